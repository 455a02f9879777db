import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../../../common/api';
import { IpswArchive } from '../../../main/ipsw/ipsw-reader';
import { writeSyntheticIpsw, type SyntheticIpswSpec } from '../../../main/sim/synthetic-ipsw';
import { fillerBlock } from '../../../main/sim/zip-writer';

const spec = (zip64: boolean): SyntheticIpswSpec => ({
  productTypes: ['iPhone6,1'],
  boards: [{ boardConfig: 'n51ap', cpid: 0x8960, bdid: 0x00 }],
  version: '12.5.8',
  build: '16H88',
  osBytes: 3 * 1024 * 1024 + 123,
  zip64,
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ipsw-reader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('IpswArchive', () => {
  for (const zip64 of [false, true]) {
    it(`lists entries and reads BuildManifest.plist from a ${zip64 ? 'ZIP64' : 'plain ZIP'} IPSW`, async () => {
      const sub = await mkdtemp(path.join(dir, zip64 ? 'z64-' : 'z32-'));
      const ipsw = await writeSyntheticIpsw(sub, spec(zip64));
      const archive = await IpswArchive.open(ipsw.path);
      try {
        const names = archive.entries().map((e) => e.name);
        expect(names).toContain('BuildManifest.plist');
        expect(names).toContain('Firmware/dfu/iBSS.n51.RELEASE.im4p');
        const manifest = await archive.readSmall('BuildManifest.plist', 1024 * 1024);
        expect(manifest.toString('utf8')).toContain('<key>BuildIdentities</key>');
        const os = archive.entry('058-99999-16H88.dmg');
        expect(os).toMatchObject({ size: 3 * 1024 * 1024 + 123, method: 0 });
      } finally {
        archive.close();
      }
    });
  }

  it('streams a byte range of the stored OS image that equals the bytes written there', async () => {
    const sub = await mkdtemp(path.join(dir, 'range-'));
    const ipsw = await writeSyntheticIpsw(sub, spec(true));
    const archive = await IpswArchive.open(ipsw.path);
    try {
      const block = fillerBlock('16H88'.length * 7919);
      const start = 1024 * 1024 - 10;
      const bytes = await collect(await archive.openStream('058-99999-16H88.dmg', { start, end: start + 30 }));
      expect(bytes).toEqual(Buffer.concat([block.subarray(block.length - 10), block.subarray(0, 20)]));
      await expect(archive.openStream('058-99999-16H88.dmg', { start: 0, end: 4 * 1024 * 1024 })).rejects.toThrow(RangeError);
    } finally {
      archive.close();
    }
  });

  it('refuses to read a small entry whole when it is larger than the limit', async () => {
    const sub = await mkdtemp(path.join(dir, 'limit-'));
    const ipsw = await writeSyntheticIpsw(sub, spec(false));
    const archive = await IpswArchive.open(ipsw.path);
    try {
      await expect(archive.readSmall('058-99999-16H88.dmg', 1024)).rejects.toMatchObject({ problem: { code: 'ipsw-unreadable' } });
      await expect(archive.readSmall('missing.plist', 1024)).rejects.toBeInstanceOf(ProblemError);
    } finally {
      archive.close();
    }
  });

  it('names a non-zip file as not usable firmware', async () => {
    const file = path.join(dir, 'not-a-zip.ipsw');
    await writeFile(file, Buffer.alloc(4096, 0x41));
    await expect(IpswArchive.open(file)).rejects.toMatchObject({
      problem: { code: 'ipsw-unreadable', detail: expect.stringContaining('not-a-zip.ipsw') },
    });
  });

  it('names a truncated IPSW as not usable firmware', async () => {
    const sub = await mkdtemp(path.join(dir, 'trunc-'));
    const ipsw = await writeSyntheticIpsw(sub, spec(true));
    await truncate(ipsw.path, Math.floor(ipsw.size / 2));
    await expect(IpswArchive.open(ipsw.path)).rejects.toMatchObject({ problem: { code: 'ipsw-unreadable' } });
  });
});
