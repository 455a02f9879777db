import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DLMessage,
  deviceReadyMessage,
  parseDeviceLinkMessage,
  processMessage,
  versionExchangeMessage,
} from '../../../main/devicelink/device-link';
import { DeviceLinkFolderHost } from '../../../main/backup/device-link-host';
import { MobileBackup2Client } from '../../../main/backup/mobilebackup2-client';
import { PlistChannel } from '../../../main/plist/framing';
import { decodePlist, PlistLimitError } from '../../../main/plist/plist-codec';
import { PlistReal } from '../../../main/plist/plist-value';
import { createDuplexPair } from '../../../main/sim/duplex-pair';
import { expansionBomb } from './binary-plist-writer';

const MB = 1024 * 1024;

function framed(body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}

/** Heap + buffer bytes in use, and the process's peak resident size so far (both in bytes). */
function memory(): { inUse: number; peakRss: number } {
  globalThis.gc?.();
  const usage = process.memoryUsage();
  return { inUse: usage.heapUsed + usage.arrayBuffers, peakRss: process.resourceUsage().maxRSS * 1024 };
}

/** Growth of what is in use (no collection in between, so garbage from the decode still counts) and of the peak RSS. */
function growthSince(before: { inUse: number; peakRss: number }): { inUse: number; peakRss: number } {
  const usage = process.memoryUsage();
  return { inUse: usage.heapUsed + usage.arrayBuffers - before.inUse, peakRss: process.resourceUsage().maxRSS * 1024 - before.peakRss };
}

describe('a binary plist that references one 1 MiB data object 500,000 times', () => {
  const bomb = expansionBomb();

  it('is the ≈1.5 MB attack frame', () => {
    expect(bomb.length).toBeGreaterThan(1.5 * MB - 100_000);
    expect(bomb.length).toBeLessThan(1.6 * MB);
  });

  it('fails to decode with a typed output-budget error', () => {
    const error = (() => {
      try {
        decodePlist(bomb);
        return undefined;
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(PlistLimitError);
    expect(error).toMatchObject({ limit: 'maxOutputBytes' });
  });

  it('fails a framed plist channel with a typed error while memory stays small', async () => {
    const [near, far] = createDuplexPair();
    const channel = new PlistChannel(near, { format: 'binary', maxBytes: 16 * MB });
    const frame = framed(bomb);
    const before = memory();
    far.write(frame);
    await expect(channel.receive()).rejects.toBeInstanceOf(PlistLimitError);
    const growth = growthSince(before);
    expect(growth.inUse).toBeLessThan(100 * MB);
    expect(growth.peakRss).toBeLessThan(100 * MB);
    near.destroy();
  });

  it('ends a MobileBackup2 operation mid-backup as a protocol error while memory stays small', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lifeline-plist-bomb-'));
    const [host, device] = createDuplexPair();
    const client = new MobileBackup2Client(host, { handshakeTimeoutMs: 5000 });
    const phone = new PlistChannel(device, { format: 'binary', timeoutMs: 5000 });
    try {
      const phoneHandshake = (async () => {
        await phone.send(versionExchangeMessage());
        await phone.receive();
        await phone.send(deviceReadyMessage());
        await phone.receive();
        await phone.send(processMessage({ MessageName: 'Response', ErrorCode: 0, ProtocolVersion: new PlistReal(2.1) }));
      })();
      await Promise.all([client.handshake(), phoneHandshake]);
      const handled: string[] = [];
      const running = client
        .run(new DeviceLinkFolderHost(root), { idleTimeoutMs: 5000, onMessage: (name) => handled.push(name) })
        .catch((e: unknown) => e);
      await phone.send([DLMessage.GetFreeDiskSpace]);
      expect(parseDeviceLinkMessage(await phone.receive()).name).toBe(DLMessage.StatusResponse);
      const frame = framed(bomb);
      const before = memory();
      device.write(frame);
      const error = await running;
      const growth = growthSince(before);
      expect(handled).toEqual([DLMessage.GetFreeDiskSpace]);
      expect(error).toMatchObject({
        name: 'MobileBackup2Error',
        kind: 'protocol',
        message: expect.stringMatching(/expands beyond \d+ bytes/),
      });
      expect(growth.inUse).toBeLessThan(100 * MB);
      expect(growth.peakRss).toBeLessThan(100 * MB);
    } finally {
      client.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
