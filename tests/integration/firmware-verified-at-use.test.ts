import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../common/device-table';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';
import { FirmwareService, type FirmwareSettings } from '../../main/firmware/firmware-service';
import { startFakeAppleServers, type FakeAppleServers, type FakeFirmware } from '../../main/sim/fake-apple-servers';
import { writeSyntheticIpsw } from '../../main/sim/synthetic-ipsw';

let work: string;
let servers: FakeAppleServers;
let latest: FakeFirmware;
let original: Buffer;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'firmware-at-use-'));
  const ipsw = await writeSyntheticIpsw(work, {
    productTypes: ['iPhone6,1'],
    boards: [{ boardConfig: 'n51ap', cpid: 0x8960, bdid: 0 }],
    version: '12.5.8',
    build: '16H88',
    osBytes: 1024 * 1024,
  });
  latest = { ...ipsw.spec, fileName: ipsw.fileName, size: ipsw.size, sha1: ipsw.sha1, sha256: ipsw.sha256, signed: true, path: ipsw.path };
  original = await readFile(ipsw.path);
  servers = await startFakeAppleServers({ firmwares: [latest] });
});
afterAll(async () => {
  await servers.close();
  await rm(work, { recursive: true, force: true });
});

const fast = { downloader: { backoffMs: 5, idleTimeoutMs: 2000, spaceMarginBytes: 0, maxAttempts: 2 } };
const target = { productType: 'iPhone6,1', boardConfig: 'n51ap' };
const cdnRequests = () => servers.requests.filter((r) => r.path.startsWith('/cdn/')).length;

async function settings(): Promise<FirmwareSettings> {
  return { cacheDir: await mkdtemp(path.join(work, 'cache-')), appleUrl: servers.appleCatalogUrl, ipswmeUrl: servers.ipswmeUrl };
}
/** No catalog reachable and none cached: only what is on disk can be used. */
function unreachable(config: FirmwareSettings): FirmwareSettings {
  return { ...config, appleUrl: 'http://127.0.0.1:9/version', ipswmeUrl: 'http://127.0.0.1:9/v4', catalogMaxAgeMs: 0 };
}

/** Flips one byte inside the stored OS image (still a valid zip) and puts the modification time back. */
async function tamperKeepingSizeAndMtime(file: string): Promise<void> {
  const before = await stat(file);
  const bytes = await readFile(file);
  const at = bytes.length - 200_000;
  bytes[at] = bytes[at]! ^ 0xff;
  await writeFile(file, bytes);
  await utimes(file, before.atimeMs / 1000, before.mtimeMs / 1000);
  const after = await stat(file);
  expect(after.size).toBe(before.size);
  expect(Math.abs(after.mtimeMs - before.mtimeMs)).toBeLessThan(0.01);
}

describe('firmware is verified when it is used', () => {
  it('refuses a cached IPSW whose bytes changed though its size and mtime did not, with a clear problem', async () => {
    const config = await settings();
    const first = await new FirmwareService(config, fast).prepare(target);
    await tamperKeepingSizeAndMtime(first.path);
    await rm(path.join(config.cacheDir, 'catalog'), { recursive: true });
    const offline = new FirmwareService(unreachable(config), fast);
    expect(await offline.status(target)).toBeNull();
    await expect(offline.prepare(target)).rejects.toMatchObject({
      problem: {
        code: 'firmware-changed-on-disk',
        title: 'The downloaded firmware was changed after it was checked',
        detail: expect.stringContaining(latest.fileName),
      },
    });
    expect(existsSync(first.path)).toBe(false);
  });

  it('downloads afresh when the catalog is reachable and the cached bytes changed', async () => {
    const config = await settings();
    const first = await new FirmwareService(config, fast).prepare(target);
    await tamperKeepingSizeAndMtime(first.path);
    const before = cdnRequests();
    const again = await new FirmwareService(config, fast).prepare(target);
    expect(again).toMatchObject({ path: first.path, sha1: latest.sha1, catalogVerified: true });
    expect((await readFile(again.path)).equals(original)).toBe(true);
    expect(cdnRequests()).toBe(before + 1);
  });

  it('re-hashes a cached IPSW that was only touched, and keeps it when the bytes are intact', async () => {
    const config = await settings();
    const first = await new FirmwareService(config, fast).prepare(target);
    await utimes(first.path, new Date(), new Date());
    await rm(path.join(config.cacheDir, 'catalog'), { recursive: true });
    const offline = new FirmwareService(unreachable(config), fast);
    expect(await offline.status(target)).toBeNull();
    const phases: string[] = [];
    const again = await offline.prepare(target, { onProgress: (p) => phases.push(p.phase) });
    expect(again).toMatchObject({ path: first.path, sha1: latest.sha1 });
    expect(phases).toContain('verifying');
    expect(await offline.status(target)).toEqual(again);
  });

  it('never trusts a marker outside Lifeline’s cache, even one naming the file’s current identity', async () => {
    const config = await settings();
    const chosen = await mkdtemp(path.join(work, 'chosen-'));
    const first = await new FirmwareService(config, fast).prepare(target, { directory: chosen });
    expect(path.dirname(first.path)).toBe(chosen);
    expect(existsSync(`${first.path}.verified.json`)).toBe(false);

    await tamperKeepingSizeAndMtime(first.path);
    const info = await lstat(first.path, { bigint: true });
    const forged = {
      version: 2,
      productTypes: ['iPhone6,1'],
      boards: ['n51ap'],
      productVersion: '12.5.8',
      build: '16H88',
      size: Number(info.size),
      identity: {
        dev: String(info.dev),
        ino: String(info.ino),
        size: String(info.size),
        mtimeNs: String(info.mtimeNs),
        ctimeNs: String(info.ctimeNs),
      },
      sha1: latest.sha1,
      sha256: latest.sha256,
      signedAsOf: null,
    };
    await writeFile(`${first.path}.verified.json`, JSON.stringify(forged));
    await rm(path.join(config.cacheDir, 'catalog'), { recursive: true });

    await expect(new FirmwareService(unreachable(config), fast).prepare(target, { directory: chosen })).rejects.toMatchObject({
      problem: { code: 'firmware-offline' },
    });
    const before = cdnRequests();
    const again = await new FirmwareService(config, fast).prepare(target, { directory: chosen });
    expect(cdnRequests()).toBe(before + 1);
    expect((await readFile(again.path)).equals(original)).toBe(true);
  });
});

describe('a restore', () => {
  it('refuses a local IPSW that fits the phone but that no catalog hash vouches for', async () => {
    const boards = DEVICE_MODELS.filter((m) => m.productType === 'iPhone9,3').map((m) => ({
      boardConfig: m.boardConfig,
      cpid: m.cpid,
      bdid: m.bdid ?? 0,
    }));
    const dir = await mkdtemp(path.join(work, 'unknown-build-'));
    const unknown = await writeSyntheticIpsw(dir, {
      productTypes: ['iPhone9,3'],
      boards,
      version: '15.8.8',
      build: '19H999',
      osBytes: 64 * 1024,
    });
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['--demo', '--json', 'restore', '--ipsw', unknown.path, '--until', 'ramdisk'], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    expect(code).toBe(EXIT.failed);
    expect(`${out.join('\n')}\n${err.join('\n')}`).toMatch(/firmware-unverified|cannot be checked, so Lifeline will not restore from it/);
  }, 60_000);
});
