import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AsrClient, type AsrProgress } from '../../../main/asr/asr-client';
import { AsrError } from '../../../main/asr/asr-error';
import { memoryImageSource, type AsrImageSource } from '../../../main/asr/asr-image-source';
import { ASR_CHECKSUM_CHUNK_SIZE, encodeInitiate, encodeOobRequest } from '../../../main/asr/asr-wire';
import { encodeXmlPlist } from '../../../main/plist/plist-codec';
import type { PlistDict } from '../../../main/plist/plist-value';
import { createDuplexPair } from '../../../main/sim/duplex-pair';
import { runAsrDevice } from '../../../main/sim/restore/asr-device';
import { syntheticOsImage } from '../../../main/sim/restore/synthetic-os-image';
import { rejectionOf } from '../../thrown';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A phone that says exactly what the test scripts, and keeps what the host sends back. */
function scriptedPhone(phoneEnd: Duplex): { say: (message: PlistDict | string) => void; heard: () => string; closed: Promise<void> } {
  const chunks: Buffer[] = [];
  phoneEnd.on('data', (chunk: Buffer) => chunks.push(chunk));
  phoneEnd.on('error', () => undefined);
  return {
    say: (message) => phoneEnd.write(typeof message === 'string' ? message : encodeXmlPlist(message)),
    heard: () => Buffer.concat(chunks).toString('latin1'),
    closed: new Promise((resolve) => phoneEnd.once('close', () => resolve())),
  };
}

async function hostAgainst(
  phone: (host: Duplex, phoneEnd: Duplex) => void,
  source: AsrImageSource,
  options: Parameters<typeof AsrClient.connect>[1] = {},
) {
  const [hostEnd, phoneEnd] = createDuplexPair();
  phone(hostEnd, phoneEnd);
  const client = await AsrClient.connect(hostEnd, options);
  return client.sendImage(source);
}

describe('AsrClient with the virtual phone', () => {
  it.each([
    ['checksum chunks, a short last chunk', true, 2 * ASR_CHECKSUM_CHUNK_SIZE + 12345],
    ['checksum chunks, whole chunks', true, 3 * ASR_CHECKSUM_CHUNK_SIZE],
    ['no checksum chunks', false, 1_000_003],
    ['an empty image', true, 0],
  ])('streams the image (%s) and the phone receives exactly its bytes', async (_name, checksumChunks, size) => {
    const image = syntheticOsImage(size, 3);
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { checksumChunks, expectedSha256: image.sha256() });
    const client = await AsrClient.connect(hostEnd);
    expect(client.checksumChunks).toBe(checksumChunks);
    const outcome = await client.sendImage(image);
    const report = await phone;
    expect(outcome).toMatchObject({ outcome: 'sent', bytesSent: size, checksumChunks });
    expect(report).toMatchObject({ outcome: 'received', bytesReceived: size, digestMatches: true, error: null });
    expect(report.chunksVerified).toBe(checksumChunks ? Math.ceil(size / ASR_CHECKSUM_CHUNK_SIZE) : 0);
  });

  it('answers each out-of-band read with the bytes at that offset', async () => {
    const image = syntheticOsImage(3 * 1024 * 1024 + 7, 5);
    const requests = [
      { offset: 0, length: 512 },
      { offset: image.size - 128000 - 512, length: 128000 },
      { offset: image.size - 1, length: 1 },
      { offset: 1024 * 1024 + 4090, length: 20 },
    ];
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { oobRequests: () => requests });
    const outcome = await (await AsrClient.connect(hostEnd)).sendImage(image);
    const report = await phone;
    expect(outcome).toMatchObject({ outcome: 'sent', oobRequests: 4 });
    const expected = await Promise.all(requests.map(async (r) => ({ ...r, sha256: sha256(await image.readRange(r.offset, r.length)) })));
    expect(report.oobAnswers).toEqual(expected);
    expect(new Set(expected.map((e) => e.sha256)).size).toBe(4);
  });

  it('resends the packet info after a second Initiate and switches to checksum chunks', async () => {
    const image = syntheticOsImage(ASR_CHECKSUM_CHUNK_SIZE * 2 + 1, 9);
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { checksumChunks: false, reinitiateWithChecksumChunks: true, expectedSha256: image.sha256() });
    const outcome = await (await AsrClient.connect(hostEnd)).sendImage(image);
    const report = await phone;
    expect(outcome).toMatchObject({ outcome: 'sent', checksumChunks: true, initiates: 2 });
    expect(report).toMatchObject({ outcome: 'received', initiates: 2, chunksVerified: 3, digestMatches: true });
    expect(report.packetInfo?.checksumChunkSize).toBe(ASR_CHECKSUM_CHUNK_SIZE);
  });

  it('reports progress in order, ending at the image size', async () => {
    const image = syntheticOsImage(9 * 1024 * 1024 + 100, 2);
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { checksumChunks: true });
    const seen: AsrProgress[] = [];
    await (await AsrClient.connect(hostEnd)).sendImage(image, { onProgress: (p) => seen.push(p) });
    await phone;
    expect(seen[0]).toEqual({ bytesDone: 0, bytesTotal: image.size });
    expect(seen.at(-1)).toEqual({ bytesDone: image.size, bytesTotal: image.size });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((p, i) => i === 0 || p.bytesDone > seen[i - 1]!.bytesDone)).toBe(true);
  });

  it('is cancelled, not failed, when the signal aborts during validation', async () => {
    const controller = new AbortController();
    const image = syntheticOsImage(1024 * 1024, 1);
    const source: AsrImageSource = {
      ...image,
      readRange: (offset, length, signal) => {
        controller.abort();
        return image.readRange(offset, length, signal);
      },
    };
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd);
    const outcome = await (await AsrClient.connect(hostEnd)).sendImage(source, { signal: controller.signal });
    expect(outcome).toEqual({ outcome: 'cancelled', bytesSent: 0 });
    expect((await phone).outcome).toBe('host-closed');
  });

  it('fails as stalled when the phone stops reading mid-stream', async () => {
    const image = syntheticOsImage(16 * 1024 * 1024, 4);
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { faults: { stallAtBytes: 1024 * 1024 } });
    const client = await AsrClient.connect(hostEnd, { stallTimeoutMs: 100 });
    const error = await rejectionOf(() => client.sendImage(image));
    expect(error).toBeInstanceOf(AsrError);
    expect((error as AsrError).kind).toBe('stalled');
    expect((await phone).outcome).toBe('fault-injected');
  });

  it('fails with a source error when the image is shorter than it claims', async () => {
    const image = memoryImageSource(Buffer.alloc(1000, 7));
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { oobRequests: () => [] });
    const client = await AsrClient.connect(hostEnd);
    const error = await rejectionOf(() => client.sendImage({ ...image, size: 2000 }));
    expect((error as AsrError).kind).toBe('source');
    expect((await phone).outcome).toBe('host-closed');
  });
});

describe('AsrClient against a hostile phone', () => {
  const image = memoryImageSource(Buffer.alloc(100_000, 1));

  it.each([
    ['beyond the image', { offset: 99_999, length: 2 }, 'oob-range'],
    ['with a huge length', { offset: 0, length: 2 ** 40 }, 'oob-range'],
  ])('refuses an out-of-band read %s and sends nothing for it', async (_name, request, kind) => {
    let phone!: ReturnType<typeof scriptedPhone>;
    const error = await rejectionOf(() =>
      hostAgainst((_host, phoneEnd) => {
        phone = scriptedPhone(phoneEnd);
        phone.say(encodeInitiate(false));
        phone.say(encodeOobRequest(request));
      }, image),
    );
    expect((error as AsrError).kind).toBe(kind);
    await phone.closed;
    expect(phone.heard()).toMatch(/<\/plist>\n$/);
  });

  it.each([
    ['a message that is not a plist', '<html><body>x</body></plist>', 'bad-message'],
    ['a message that never ends', `<?xml version="1.0"?><plist><string>${'A'.repeat(100_000)}`, 'bad-message'],
    ['an unknown command', encodeXmlPlist({ Command: 'EraseEverything' }).toString(), 'protocol'],
    [
      'an OOB request with a text length',
      encodeXmlPlist({ Command: 'OOBData', 'OOB Length': 'ten', 'OOB Offset': 0 }).toString(),
      'protocol',
    ],
  ])('fails with a typed error on %s', async (_name, text, kind) => {
    const error = await rejectionOf(() =>
      hostAgainst((_host, phoneEnd) => {
        const phone = scriptedPhone(phoneEnd);
        phone.say(encodeInitiate(true));
        phone.say(text);
      }, image),
    );
    expect(error).toBeInstanceOf(AsrError);
    expect((error as AsrError).kind).toBe(kind);
  });

  it('refuses a session that does not begin with Initiate', async () => {
    const [hostEnd, phoneEnd] = createDuplexPair();
    scriptedPhone(phoneEnd).say({ Command: 'Payload' });
    expect(((await rejectionOf(() => AsrClient.connect(hostEnd))) as AsrError).kind).toBe('protocol');
  });

  it('stops answering after too many out-of-band reads', async () => {
    const error = await rejectionOf(() =>
      hostAgainst(
        (_host, phoneEnd) => {
          const phone = scriptedPhone(phoneEnd);
          phone.say(encodeInitiate(false));
          for (let i = 0; i < 5; i++) phone.say(encodeOobRequest({ offset: i, length: 1 }));
        },
        image,
        { maxOobRequests: 4 },
      ),
    );
    expect((error as AsrError).kind).toBe('protocol');
  });

  it('gives a typed error when the phone hangs up before Initiate', async () => {
    const [hostEnd, phoneEnd] = createDuplexPair();
    phoneEnd.destroy();
    expect(((await rejectionOf(() => AsrClient.connect(hostEnd))) as AsrError).kind).toBe('closed');
  });
});
