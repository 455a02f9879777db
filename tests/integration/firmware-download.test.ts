import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FirmwareDownloader, type DownloadProgress, type DownloadRequest } from '../../main/firmware/downloader';
import { noFaults, startFakeAppleServers, type FakeAppleServers, type FakeFirmware } from '../../main/sim/fake-apple-servers';
import { writeSyntheticIpsw } from '../../main/sim/synthetic-ipsw';
import { startConnectProxy, startTlsFront, testCertificate } from './local-network';

let work: string;
let servers: FakeAppleServers;
let firmware: FakeFirmware;
let original: Buffer;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'firmware-download-'));
  const ipsw = await writeSyntheticIpsw(work, {
    productTypes: ['iPhone6,1'],
    boards: [{ boardConfig: 'n51ap', cpid: 0x8960, bdid: 0 }],
    version: '12.5.8',
    build: '16H88',
    osBytes: 6 * 1024 * 1024,
    zip64: true,
  });
  firmware = {
    ...ipsw.spec,
    fileName: ipsw.fileName,
    size: ipsw.size,
    sha1: ipsw.sha1,
    sha256: ipsw.sha256,
    signed: true,
    path: ipsw.path,
  };
  original = await readFile(ipsw.path);
  servers = await startFakeAppleServers({ firmwares: [firmware] });
});
afterAll(async () => {
  await servers.close();
  await rm(work, { recursive: true, force: true });
});
afterEach(() => {
  Object.assign(servers.faults, noFaults());
  servers.requests.length = 0;
});

const fast = { backoffMs: 5, maxBackoffMs: 20, idleTimeoutMs: 400, spaceMarginBytes: 0 };
let counter = 0;
async function target(): Promise<string> {
  const dir = await mkdtemp(path.join(work, `cache-${counter++}-`));
  return path.join(dir, firmware.fileName);
}
function request(destination: string, extra: Partial<DownloadRequest> = {}): DownloadRequest {
  return {
    url: servers.firmwareUrl(firmware),
    destination,
    expectedSize: firmware.size,
    sha1: firmware.sha1,
    sha256: firmware.sha256 ?? null,
    ...extra,
  };
}
const firmwareRequests = () => servers.requests.filter((r) => r.path.startsWith('/cdn/'));

describe('FirmwareDownloader against the local fake CDN', () => {
  it('downloads, verifies SHA-1 and SHA-256 while writing, and renames the staging file into place', async () => {
    const destination = await target();
    const seen: DownloadProgress[] = [];
    const result = await new FirmwareDownloader(fast).download(request(destination, { onProgress: (p) => seen.push(p) }));
    expect(result).toEqual({ path: destination, size: firmware.size, sha1: firmware.sha1, sha256: firmware.sha256 });
    expect((await readFile(destination)).equals(original)).toBe(true);
    expect(await readdir(path.dirname(destination))).toEqual([firmware.fileName]);
    expect(seen.at(-1)).toMatchObject({ phase: 'verifying', bytesDone: firmware.size, bytesTotal: firmware.size });
  });

  it('resumes with a Range request after the server drops the connection midway', async () => {
    const destination = await target();
    servers.faults.dropAfterBytes = 1_500_000;
    servers.faults.dropCount = 2;
    const result = await new FirmwareDownloader(fast).download(request(destination));
    expect(result.sha1).toBe(firmware.sha1);
    const ranges = firmwareRequests().map((r) => r.range);
    expect(ranges).toEqual([null, 'bytes=1500000-', 'bytes=3000000-']);
    expect((await readFile(destination)).equals(original)).toBe(true);
  });

  it('resumes across a restart: a new downloader picks up the staging file and its sidecar', async () => {
    const destination = await target();
    servers.faults.bytesPerSecond = 4 * 1024 * 1024;
    const controller = new AbortController();
    const first = new FirmwareDownloader(fast).download(
      request(destination, { signal: controller.signal, onProgress: (p) => p.bytesDone > 2_000_000 && controller.abort() }),
    );
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    const kept = (await stat(`${destination}.partial`)).size;
    expect(kept).toBeGreaterThan(2_000_000);
    expect(JSON.parse(await readFile(`${destination}.partial.json`, 'utf8'))).toMatchObject({
      url: servers.firmwareUrl(firmware),
      sha1: firmware.sha1,
    });
    expect(existsSync(destination)).toBe(false);

    servers.faults.bytesPerSecond = null;
    servers.requests.length = 0;
    const result = await new FirmwareDownloader(fast).download(request(destination));
    expect(result.sha1).toBe(firmware.sha1);
    expect(firmwareRequests().map((r) => r.range)).toEqual([`bytes=${kept}-`]);
    expect((await readFile(destination)).equals(original)).toBe(true);
    expect(existsSync(`${destination}.partial.json`)).toBe(false);
  });

  it('rejects a corrupted download, never promotes it, and downloads it afresh', async () => {
    const destination = await target();
    servers.faults.corruptAt = 4_000_000;
    servers.faults.corruptCount = 1;
    const result = await new FirmwareDownloader(fast).download(request(destination));
    expect(result.sha1).toBe(firmware.sha1);
    expect(firmwareRequests().map((r) => r.range)).toEqual([null, null]);
    expect((await readFile(destination)).equals(original)).toBe(true);
  });

  it('gives up with a hash-mismatch problem when every copy is corrupt, leaving nothing in the cache', async () => {
    const destination = await target();
    servers.faults.corruptAt = 10;
    servers.faults.corruptCount = 5;
    await expect(new FirmwareDownloader(fast).download(request(destination))).rejects.toMatchObject({
      problem: { code: 'firmware-hash-mismatch' },
    });
    expect(await readdir(path.dirname(destination))).toEqual([]);
  });

  it('reports a 404 as firmware not found without retrying', async () => {
    const destination = await target();
    servers.faults.status = 404;
    await expect(new FirmwareDownloader(fast).download(request(destination))).rejects.toMatchObject({
      problem: { code: 'firmware-not-found' },
    });
    expect(firmwareRequests()).toHaveLength(1);
    expect(existsSync(destination)).toBe(false);
  });

  it('retries server errors with backoff, then fails naming the cause and keeping what it has', async () => {
    const destination = await target();
    servers.faults.status = 503;
    await expect(new FirmwareDownloader({ ...fast, maxAttempts: 3 }).download(request(destination))).rejects.toMatchObject({
      problem: { code: 'firmware-network', detail: expect.stringContaining('are kept') },
      cause: { message: expect.stringContaining('HTTP 503') },
    });
    expect(firmwareRequests()).toHaveLength(3);
    expect(existsSync(destination)).toBe(false);
  });

  it('starts over when the server answers a resume with 416', async () => {
    const destination = await target();
    servers.faults.dropAfterBytes = 1_000_000;
    servers.faults.dropCount = 1;
    servers.faults.rangeNotSatisfiableCount = 1;
    const result = await new FirmwareDownloader(fast).download(request(destination));
    expect(result.sha1).toBe(firmware.sha1);
    expect(firmwareRequests().map((r) => r.range)).toEqual([null, 'bytes=1000000-', null]);
  });

  it('starts over from byte 0 when the server ignores the Range header', async () => {
    const destination = await target();
    servers.faults.dropAfterBytes = 1_000_000;
    servers.faults.dropCount = 1;
    servers.faults.ignoreRange = true;
    const result = await new FirmwareDownloader(fast).download(request(destination));
    expect(result.sha1).toBe(firmware.sha1);
    expect((await readFile(destination)).equals(original)).toBe(true);
  });

  it('notices a server that stalls, drops the connection and resumes', async () => {
    const destination = await target();
    servers.faults.stallAfterBytes = 2_000_000;
    servers.faults.stallCount = 1;
    const result = await new FirmwareDownloader(fast).download(request(destination));
    expect(result.sha1).toBe(firmware.sha1);
    expect(firmwareRequests().map((r) => r.range)).toEqual([null, 'bytes=2000000-']);
  });

  it('refuses a server that lies about the size, leaving nothing promoted', async () => {
    const destination = await target();
    servers.faults.claimedLength = firmware.size + 10;
    await expect(new FirmwareDownloader(fast).download(request(destination))).rejects.toMatchObject({
      problem: {
        code: 'firmware-size-mismatch',
        detail: expect.stringContaining(`${firmware.size + 10} bytes; the catalog says ${firmware.size}`),
      },
    });
    expect(existsSync(destination)).toBe(false);
  });

  it('refuses to start when the disk is too small', async () => {
    const destination = await target();
    const downloader = new FirmwareDownloader({ ...fast, freeBytes: async () => 1000 });
    await expect(downloader.download(request(destination))).rejects.toMatchObject({ problem: { code: 'disk-full' } });
    expect(firmwareRequests()).toHaveLength(0);
  });

  it('makes one transfer for two requests of the same file, and keeps going while one caller still wants it', async () => {
    const destination = await target();
    servers.faults.bytesPerSecond = 20 * 1024 * 1024;
    const downloader = new FirmwareDownloader(fast);
    const leaving = new AbortController();
    const a = downloader.download(request(destination, { signal: leaving.signal }));
    const b = downloader.download(request(destination));
    leaving.abort();
    await expect(a).rejects.toMatchObject({ name: 'AbortError' });
    expect((await b).sha1).toBe(firmware.sha1);
    expect(firmwareRequests()).toHaveLength(1);
  });

  it('downloads an https firmware through a CONNECT tunnel from HTTPS_PROXY, certificate checked', async () => {
    const certificate = await testCertificate(['updates.cdn-apple.com']);
    const front = await startTlsFront(certificate, Number(new URL(servers.origin).port));
    const proxy = await startConnectProxy(front.port);
    try {
      const destination = await target();
      const url = `https://updates.cdn-apple.com${new URL(servers.firmwareUrl(firmware)).pathname}`;
      const downloader = new FirmwareDownloader({ ...fast, env: { HTTPS_PROXY: proxy.url }, trustedCertificates: [certificate.certPem] });
      servers.faults.dropAfterBytes = 2_000_000;
      servers.faults.dropCount = 1;
      const result = await downloader.download(request(destination, { url }));
      expect(result.sha1).toBe(firmware.sha1);
      expect((await readFile(destination)).equals(original)).toBe(true);
      expect(proxy.tunnels).toEqual(['updates.cdn-apple.com:443', 'updates.cdn-apple.com:443']);
      expect(firmwareRequests().map((r) => r.range)).toEqual([null, 'bytes=2000000-']);
    } finally {
      await proxy.close();
      await front.close();
    }
  });
});
