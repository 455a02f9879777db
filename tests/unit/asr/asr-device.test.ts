import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AsrError } from '../../../main/asr/asr-error';
import { ipswEntryImageSource } from '../../../main/asr/asr-image-source';
import {
  ASR_PHONE_MESSAGE_END,
  encodePacketInfo,
  parsePhoneMessage,
  readAsrMessage,
  type AsrPhoneMessage,
} from '../../../main/asr/asr-wire';
import { encodeXmlPlist } from '../../../main/plist/plist-codec';
import type { PlistDict } from '../../../main/plist/plist-value';
import { createDuplexPair } from '../../../main/sim/duplex-pair';
import { runAsrDevice, typicalOobRequests } from '../../../main/sim/restore/asr-device';
import { ByteReader } from '../../../main/wire/byte-reader';
import { thrownBy } from '../../thrown';

/** A host that does what the test says, byte for byte. */
function scriptedHost(hostEnd: Duplex): {
  next: () => Promise<AsrPhoneMessage>;
  send: (bytes: Buffer | PlistDict) => void;
  end: () => void;
} {
  const reader = new ByteReader(hostEnd);
  hostEnd.on('error', () => undefined);
  return {
    next: async () => parsePhoneMessage(await readAsrMessage(reader, ASR_PHONE_MESSAGE_END)),
    send: (bytes) => hostEnd.write(Buffer.isBuffer(bytes) ? bytes : encodeXmlPlist(bytes)),
    end: () => hostEnd.end(),
  };
}

const sha1 = (bytes: Buffer): Buffer => createHash('sha1').update(bytes).digest();

describe('the virtual phone against a hostile or broken host', () => {
  const image = Buffer.alloc(1000, 0x5a);

  async function hostUpToPayload(host: ReturnType<typeof scriptedHost>, info: PlistDict): Promise<void> {
    expect(await host.next()).toEqual({ command: 'Initiate', checksumChunks: true });
    host.send(info);
    expect(await host.next()).toEqual({ command: 'Payload' });
  }

  it('stops with checksum-mismatch when a chunk SHA-1 is wrong', async () => {
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { checksumChunks: true, oobRequests: () => [] });
    const host = scriptedHost(hostEnd);
    await hostUpToPayload(host, encodePacketInfo(image.length, true));
    host.send(image);
    host.send(Buffer.alloc(20));
    expect(await phone).toMatchObject({ outcome: 'checksum-mismatch', chunksVerified: 0, bytesReceived: image.length });
  });

  it('receives a correct stream, then reports bytes sent after the image as a host error', async () => {
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { checksumChunks: true, oobRequests: () => [] });
    const host = scriptedHost(hostEnd);
    await hostUpToPayload(host, encodePacketInfo(image.length, true));
    host.send(Buffer.concat([image, sha1(image), Buffer.from('extra')]));
    expect(await phone).toMatchObject({ outcome: 'host-error', chunksVerified: 1, bytesReceived: image.length });
  });

  it('refuses packet info that is not what a real host sends', async () => {
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { checksumChunks: true });
    const host = scriptedHost(hostEnd);
    expect((await host.next()).command).toBe('Initiate');
    host.send({ ...encodePacketInfo(image.length, true), 'Packets Per FEC': 24 });
    expect(await phone).toMatchObject({ outcome: 'host-error', packetInfo: null });
  });

  it('says whether the digest matched what it was told to expect', async () => {
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { oobRequests: () => [], expectedSha256: '00'.repeat(32) });
    const host = scriptedHost(hostEnd);
    expect(await host.next()).toEqual({ command: 'Initiate', checksumChunks: false });
    host.send(encodePacketInfo(image.length, false));
    expect(await host.next()).toEqual({ command: 'Payload' });
    host.send(image);
    host.end();
    expect(await phone).toMatchObject({
      outcome: 'received',
      sha256: createHash('sha256').update(image).digest('hex'),
      digestMatches: false,
    });
  });

  it('reports a host that hangs up mid-stream as host-closed', async () => {
    const [hostEnd, phoneEnd] = createDuplexPair();
    const phone = runAsrDevice(phoneEnd, { oobRequests: () => [] });
    const host = scriptedHost(hostEnd);
    expect((await host.next()).command).toBe('Initiate');
    host.send(encodePacketInfo(image.length, false));
    expect((await host.next()).command).toBe('Payload');
    host.send(image.subarray(0, 10));
    host.end();
    expect(await phone).toMatchObject({ outcome: 'host-closed', sha256: null, digestMatches: null });
  });
});

describe('typical out-of-band reads', () => {
  it('stay inside the image for every size', () => {
    for (const size of [0, 1, 511, 512, 100_000, 512_000, 1_500_000_000]) {
      expect(typicalOobRequests(size).every((r) => r.offset + r.length <= size && r.length > 0)).toBe(true);
    }
    expect(typicalOobRequests(1_500_000_000).map((r) => r.length)).toEqual([128000, 512, 512]);
  });
});

describe('image from an IPSW entry', () => {
  it('refuses a compressed entry (it could not be read at an offset)', () => {
    const archive = {
      entry: () => ({ name: 'os.dmg', size: 10, compressedSize: 5, method: 8 }),
      openStream: () => Promise.reject(new Error('unused')),
    };
    const error = thrownBy(() => ipswEntryImageSource(archive, 'os.dmg'));
    expect((error as AsrError).kind).toBe('source');
    expect((thrownBy(() => ipswEntryImageSource({ ...archive, entry: () => undefined }, 'x')) as AsrError).kind).toBe('source');
  });
});
