import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsrClient, type AsrProgress } from '../../main/asr/asr-client';
import { AsrError } from '../../main/asr/asr-error';
import { ipswEntryImageSource, type AsrImageSource } from '../../main/asr/asr-image-source';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { runAsrDevice, type AsrDeviceOptions, type AsrDeviceReport } from '../../main/sim/restore/asr-device';
import { syntheticOsImage } from '../../main/sim/restore/synthetic-os-image';
import { writeZip } from '../../main/sim/zip-writer';
import { rejectionOf } from '../thrown';

const IMAGE_BYTES = 64 * 1024 * 1024;
const OS_ENTRY = '058-99999-21A000.dmg';
const image = syntheticOsImage(IMAGE_BYTES, 77);

let work: string;
let archive: IpswArchive;
let source: AsrImageSource;
let expectedSha256: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'asr-loopback-'));
  const zipPath = path.join(work, 'synthetic.ipsw');
  await writeZip(
    zipPath,
    [
      { name: 'Restore.plist', data: Buffer.from('<plist/>') },
      { name: OS_ENTRY, chunks: () => image.chunks() },
    ],
    { zip64: true },
  );
  archive = await IpswArchive.open(zipPath);
  source = ipswEntryImageSource(archive, OS_ENTRY);
  expectedSha256 = image.sha256();
}, 60_000);

afterAll(async () => {
  archive?.close();
  await rm(work, { recursive: true, force: true });
});

/** The virtual phone's ASR port on 127.0.0.1 for one session, and the host's socket to it. */
async function session(options: AsrDeviceOptions): Promise<{ socket: net.Socket; phone: Promise<AsrDeviceReport> }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const [phoneSocket] = await accepted;
  server.close();
  return { socket, phone: runAsrDevice(phoneSocket, options) };
}

describe('ASR over a loopback TCP socket, image streamed from a zip entry', () => {
  it('delivers the 64 MiB image byte for byte, checksummed per chunk, with the phone reads answered', async () => {
    const { socket, phone } = await session({ checksumChunks: true, expectedSha256 });
    const client = await AsrClient.connect(socket);
    const progress: AsrProgress[] = [];
    const outcome = await client.sendImage(source, { onProgress: (p) => progress.push(p) });
    const report = await phone;

    expect(outcome).toMatchObject({ outcome: 'sent', bytesSent: IMAGE_BYTES, checksumChunks: true, oobRequests: 3 });
    expect(report).toMatchObject({
      outcome: 'received',
      bytesReceived: IMAGE_BYTES,
      chunksVerified: IMAGE_BYTES / 131072,
      digestMatches: true,
    });
    const answers = await Promise.all(
      report.oobAnswers.map(async ({ offset, length }) => ({
        offset,
        length,
        sha256: createHash('sha256')
          .update(await image.readRange(offset, length))
          .digest('hex'),
      })),
    );
    expect(report.oobAnswers).toEqual(answers);
    expect(report.oobAnswers.map((a) => a.length)).toEqual([128000, 512, 512]);
    expect(progress.at(-1)).toEqual({ bytesDone: IMAGE_BYTES, bytesTotal: IMAGE_BYTES });
  });

  it('ends as cancelled when the signal aborts mid-stream, and the phone sees the host go', async () => {
    const controller = new AbortController();
    const { socket, phone } = await session({
      checksumChunks: false,
      onImageBytes: (received) => {
        if (received >= 16 * 1024 * 1024) controller.abort();
      },
    });
    const client = await AsrClient.connect(socket);
    const outcome = await client.sendImage(source, { signal: controller.signal });
    const report = await phone;

    expect(outcome.outcome).toBe('cancelled');
    expect(outcome.bytesSent).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(outcome.bytesSent).toBeLessThan(IMAGE_BYTES);
    expect(socket.destroyed).toBe(true);
    expect(report).toMatchObject({ outcome: 'host-closed', sha256: null });
  });

  it('fails with a typed closed error when the phone drops the connection mid-stream', async () => {
    const { socket, phone } = await session({ checksumChunks: true, faults: { disconnectAtBytes: 8 * 1024 * 1024 } });
    const client = await AsrClient.connect(socket);
    const error = await rejectionOf(() => client.sendImage(source));
    const report = await phone;

    expect(error).toBeInstanceOf(AsrError);
    expect((error as AsrError).kind).toBe('closed');
    expect(report).toMatchObject({ outcome: 'fault-injected', bytesReceived: 8 * 1024 * 1024 });
  });

  it('refuses a phone that asks for bytes beyond the image, and sends it none', async () => {
    const { socket, phone } = await session({
      faults: { badOobRequest: { Command: 'OOBData', 'OOB Length': 4096, 'OOB Offset': IMAGE_BYTES - 100 } },
    });
    const client = await AsrClient.connect(socket);
    const error = await rejectionOf(() => client.sendImage(source));

    expect((error as AsrError).kind).toBe('oob-range');
    expect(await phone).toMatchObject({ outcome: 'fault-injected', badOobAnswered: false });
  });
});
