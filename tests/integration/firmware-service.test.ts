import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FirmwareList, JobSummary, PreparedFirmware } from '../../common/api';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';
import { FirmwareService, type FirmwareSettings } from '../../main/firmware/firmware-service';
import { createAppEngine } from '../../main/rescue/create-engine';
import { startFakeAppleServers, type FakeAppleServers, type FakeFirmware } from '../../main/sim/fake-apple-servers';
import { writeSyntheticIpsw, type SyntheticIpswSpec } from '../../main/sim/synthetic-ipsw';

const n51 = { boardConfig: 'n51ap', cpid: 0x8960, bdid: 0x00 };
const n53 = { boardConfig: 'n53ap', cpid: 0x8960, bdid: 0x02 };

let work: string;
let servers: FakeAppleServers;
let latest: FakeFirmware;
let older: FakeFirmware;
let otherBoardOnly: FakeFirmware;
let otherBoardDir: string;

async function fake(dir: string, spec: SyntheticIpswSpec, signed: boolean): Promise<FakeFirmware> {
  const ipsw = await writeSyntheticIpsw(dir, spec);
  return { ...ipsw.spec, fileName: ipsw.fileName, size: ipsw.size, sha1: ipsw.sha1, sha256: ipsw.sha256, signed, path: ipsw.path };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'firmware-service-'));
  latest = await fake(
    work,
    {
      productTypes: ['iPhone6,1', 'iPhone6,2'],
      boards: [n51, n53],
      version: '12.5.8',
      build: '16H88',
      osBytes: 2 * 1024 * 1024,
      zip64: true,
    },
    true,
  );
  older = await fake(
    work,
    { productTypes: ['iPhone6,1', 'iPhone6,2'], boards: [n51, n53], version: '12.5.7', build: '16H81', osBytes: 1024 * 1024 },
    false,
  );
  // An IPSW for the same product type whose manifest only has the other board.
  otherBoardDir = await mkdtemp(path.join(work, 'other-'));
  otherBoardOnly = await fake(
    otherBoardDir,
    { productTypes: ['iPhone6,2'], boards: [n53], version: '12.5.8', build: '16H88', osBytes: 1024 * 1024 },
    true,
  );
  servers = await startFakeAppleServers({ firmwares: [latest, older] });
});
afterAll(async () => {
  await servers.close();
  await rm(work, { recursive: true, force: true });
});

async function settings(): Promise<FirmwareSettings> {
  return { cacheDir: await mkdtemp(path.join(work, 'cache-')), appleUrl: servers.appleCatalogUrl, ipswmeUrl: servers.ipswmeUrl };
}
const fast = { downloader: { backoffMs: 5, idleTimeoutMs: 2000, spaceMarginBytes: 0, maxAttempts: 2 } };
const target = { productType: 'iPhone6,1', boardConfig: 'n51ap' };

describe('FirmwareService', () => {
  it('lists the merged catalogs newest first and recommends the newest signed build', async () => {
    const service = new FirmwareService(await settings(), fast);
    const list = await service.list('iPhone6,1', 'n51ap');
    expect(list.entries.map((e) => [e.version, e.build, e.signed, e.sources])).toEqual([
      ['12.5.8', '16H88', true, ['apple', 'ipswme']],
      ['12.5.7', '16H81', false, ['apple', 'ipswme']],
    ]);
    expect(list.latest).toMatchObject({ build: '16H88', sha1: latest.sha1, sha256: latest.sha256, size: latest.size });
    expect(list).toMatchObject({ offline: false, warnings: [] });
    expect(list.checkedAt).not.toBeNull();
  });

  it('prepares the latest signed IPSW: downloaded once, verified, checked against the board, marked ready', async () => {
    const service = new FirmwareService(await settings(), fast);
    servers.requests.length = 0;
    const [a, b] = await Promise.all([service.prepare(target), service.prepare(target)]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({
      version: '12.5.8',
      build: '16H88',
      sha1: latest.sha1,
      catalogVerified: true,
      fitsBoard: 'n51ap',
      size: latest.size,
    });
    expect(a.signedAsOf).not.toBeNull();
    expect(servers.requests.filter((r) => r.path.startsWith('/cdn/'))).toHaveLength(1);
    expect((await readFile(a.path)).equals(await readFile(latest.path!))).toBe(true);
    expect(await service.status(target)).toEqual(a);
  });

  it('reuses the verified copy without any network, from the cached catalog or with no catalog at all', async () => {
    const config = await settings();
    const first = await new FirmwareService(config, fast).prepare(target);
    const offline = { ...config, appleUrl: 'http://127.0.0.1:9/version', ipswmeUrl: 'http://127.0.0.1:9/v4', catalogMaxAgeMs: 0 };
    const again = await new FirmwareService(offline, fast).prepare(target);
    expect(again.path).toBe(first.path);
    await rm(path.join(config.cacheDir, 'catalog'), { recursive: true });
    const noCatalog = await new FirmwareService(offline, fast).prepare(target);
    expect(noCatalog).toMatchObject({ path: first.path, build: '16H88' });
    const list = await new FirmwareService(offline, fast).list('iPhone6,1', 'n51ap');
    expect(list.offline).toBe(true);
    expect(list.warnings.join(' ')).toMatch(/could not be reached/);
  });

  it('rejects a catalog IPSW whose manifest has no identity for this board and leaves nothing in the cache', async () => {
    const lone = await startFakeAppleServers({ firmwares: [{ ...otherBoardOnly, productTypes: ['iPhone6,1'] }] });
    try {
      const config = { ...(await settings()), appleUrl: lone.appleCatalogUrl, ipswmeUrl: lone.ipswmeUrl };
      await expect(new FirmwareService(config, fast).prepare(target)).rejects.toMatchObject({ problem: { code: 'ipsw-wrong-phone' } });
      expect(await readdir(path.join(config.cacheDir, 'ipsw'))).toEqual([]);
    } finally {
      await lone.close();
    }
  });

  it('accepts a local IPSW that fits and matches the catalog checksum', async () => {
    const service = new FirmwareService(await settings(), fast);
    const prepared = await service.useLocal(latest.path!, target);
    expect(prepared).toMatchObject({ path: latest.path, build: '16H88', catalogVerified: true, fitsBoard: 'n51ap' });
    expect(await service.status(target)).toEqual(prepared);
  });

  it('refuses a local IPSW for another board, a damaged copy of a known build, and a file that is not an IPSW', async () => {
    const service = new FirmwareService(await settings(), fast);
    await expect(service.useLocal(otherBoardOnly.path!, { productType: 'iPhone6,2', boardConfig: 'n51ap' })).rejects.toMatchObject({
      problem: { code: 'ipsw-wrong-phone' },
    });
    const damaged = path.join(work, 'damaged.ipsw');
    const bytes = await readFile(latest.path!);
    const at = bytes.length - 200_000; // inside the stored OS image: still a valid zip
    bytes[at] = bytes[at]! ^ 0xff;
    await writeFile(damaged, bytes);
    await expect(service.useLocal(damaged, target)).rejects.toMatchObject({ problem: { code: 'ipsw-hash-mismatch' } });
    const text = path.join(work, 'notes.ipsw');
    await writeFile(text, 'hello');
    await expect(service.useLocal(text, target)).rejects.toMatchObject({ problem: { code: 'ipsw-unreadable' } });
    expect(await service.status(target)).toBeNull();
  });

  it('still lists firmware when ipsw.me sends odd fields, and says so', async () => {
    servers.overrides.set('/v4/device/iPhone6,1', {
      status: 200,
      body: JSON.stringify({ identifier: 'iPhone6,1', firmwares: [{ version: 12 }, 'x'] }),
    });
    try {
      const list = await new FirmwareService(await settings(), fast).list('iPhone6,1', 'n51ap');
      expect(list.entries.map((e) => e.build)).toEqual(['16H88', '16H81']);
      expect(list.entries.every((e) => e.signed === null)).toBe(true);
      expect(list.latest?.build).toBe('16H88');
      expect(list.warnings.join(' ')).toMatch(/2 firmware entries with missing or odd fields/);
    } finally {
      servers.overrides.clear();
    }
  });
});

describe('lifeline firmware (CLI)', () => {
  async function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out, err };
  }

  it('list --json prints the merged catalog; get --dir downloads; verify refuses a file for another board', async () => {
    const config = await settings();
    vi.stubEnv('LIFELINE_FIRMWARE_CACHE', config.cacheDir);
    vi.stubEnv('LIFELINE_APPLE_CATALOG_URL', config.appleUrl);
    vi.stubEnv('LIFELINE_IPSWME_URL', config.ipswmeUrl);
    try {
      const listed = await run(['--json', 'firmware', 'list', '--device', 'iPhone6,1']);
      expect(listed.code).toBe(EXIT.ok);
      const list = JSON.parse(listed.out.join('')) as FirmwareList;
      expect(list).toMatchObject({ productType: 'iPhone6,1', boardConfig: 'n51ap', latest: { build: '16H88' } });

      const dir = await mkdtemp(path.join(work, 'cli-dir-'));
      const got = await run(['--json', 'firmware', 'get', '--device', 'iPhone6,1', '--dir', dir]);
      expect(got.code).toBe(EXIT.ok);
      const prepared = JSON.parse(got.out.join('')) as PreparedFirmware;
      expect(prepared.path).toBe(path.join(dir, latest.fileName));
      expect(existsSync(prepared.path)).toBe(true);

      const verified = await run(['firmware', 'verify', otherBoardOnly.path!, '--device', 'iPhone6,2', '--board', 'n51ap']);
      expect(verified.code).toBe(EXIT.failed);
      expect(verified.err.join('\n')).toMatch(/different iPhone/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('practice mode', () => {
  it('gets iOS ready for a practice phone from the local fake Apple servers, and reports it on firmware.status', async () => {
    const engine = await createAppEngine({ demo: true, demoTimeFactor: 0.01 });
    try {
      const deadline = Date.now() + 15_000;
      let phone = engine.handlers['devices.list']
        ? (await engine.handlers['devices.list']({}, { transport: 'in-process' })).find(
            (p) => p.model.productType === 'iPhone6,1' && !p.identifying,
          )
        : undefined;
      while (!phone && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        phone = (await engine.handlers['devices.list']({}, { transport: 'in-process' })).find(
          (p) => p.model.productType === 'iPhone6,1' && p.model.boardConfig !== null,
        );
      }
      expect(phone).toBeDefined();
      const outcome = new Promise<JobSummary>((resolve) =>
        engine.on('jobs.changed', (s) => s.kind === 'firmware.prepare' && s.state !== 'running' && resolve(s)),
      );
      const { job } = await engine.handlers['firmware.prepare']({ phoneId: phone!.id }, { transport: 'in-process' });
      expect((await engine.handlers['firmware.status']({ phoneId: phone!.id }, { transport: 'in-process' })).state).toBe('preparing');
      const summary = await outcome;
      expect(summary).toMatchObject({ job, state: 'succeeded', result: { version: '12.5.8', catalogVerified: true, fitsBoard: 'n51ap' } });
      const status = await engine.handlers['firmware.status']({ phoneId: phone!.id }, { transport: 'in-process' });
      expect(status).toMatchObject({ state: 'ready', firmware: { version: '12.5.8' } });
    } finally {
      await engine.close();
    }
  });
});
