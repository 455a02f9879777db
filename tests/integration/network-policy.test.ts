import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBuildManifest, selectIdentity } from '../../main/ipsw/build-manifest';
import { FirmwareDownloader } from '../../main/firmware/downloader';
import { HttpBodyTooLargeError, httpGet, httpGetText } from '../../main/net/http-client';
import { NetworkPolicyError } from '../../main/net/network-policy';
import { requestApTicket, APPLE_TSS_URL } from '../../main/tss/tss-client';
import { buildApTicketRequest } from '../../main/tss/tss-request';
import { startFakeTssServer, type FakeTssServer } from '../../main/sim/fake-tss-server';
import { syntheticBuildManifest } from '../../main/sim/synthetic-ipsw';
import { startConnectProxy, startTlsFront, testCertificate, type TestCertificate } from './local-network';

let work: string;
let certificate: TestCertificate;
/** Local http server whose routes each test sets; records every request. */
let plain: http.Server;
let plainPort: number;
const seen: string[] = [];
let route: (request: http.IncomingMessage, response: http.ServerResponse) => void = (_q, s) => s.writeHead(404).end();

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'network-policy-'));
  certificate = await testCertificate(['localhost', 'gs.apple.com', 'updates.cdn-apple.com']);
  plain = http.createServer((request, response) => {
    seen.push(request.url ?? '');
    route(request, response);
  });
  plain.listen(0, '127.0.0.1');
  await once(plain, 'listening');
  plainPort = (plain.address() as AddressInfo).port;
});
afterAll(async () => {
  plain.closeAllConnections();
  await new Promise<void>((resolve) => plain.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

const fast = { backoffMs: 5, maxBackoffMs: 20, idleTimeoutMs: 2000, spaceMarginBytes: 0, maxAttempts: 2 };

describe('the network policy, applied by the http client', () => {
  it('refuses plain http to a host beyond this computer before connecting', async () => {
    const proxy = await startConnectProxy(plainPort);
    try {
      await expect(
        httpGet('http://updates.cdn-apple.com/x.ipsw', { env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url } }),
      ).rejects.toBeInstanceOf(NetworkPolicyError);
      const dir = await mkdtemp(path.join(work, 'http-'));
      await expect(
        new FirmwareDownloader(fast).download({
          url: 'http://updates.cdn-apple.com/x.ipsw',
          destination: path.join(dir, 'x.ipsw'),
          expectedSize: 10,
          sha1: 'a'.repeat(40),
          sha256: null,
        }),
      ).rejects.toMatchObject({
        problem: { code: 'firmware-blocked-url', detail: expect.stringContaining('updates.cdn-apple.com') },
        cause: { message: expect.stringContaining('only https') },
      });
      expect(await readdir(dir)).toEqual([]);
      expect(proxy.tunnels).toEqual([]);
      expect(proxy.plainRequests).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('refuses a redirect to a host that is not on the list, for catalogs and downloads alike', async () => {
    route = (_request, response) => response.writeHead(302, { Location: 'https://evil.example.com/x.ipsw' }).end();
    seen.length = 0;
    await expect(httpGetText(`http://127.0.0.1:${plainPort}/version`, { maxBytes: 1000 })).rejects.toThrow(
      /evil.example.com is not one of the hosts/,
    );
    const dir = await mkdtemp(path.join(work, 'redirect-'));
    await expect(
      new FirmwareDownloader(fast).download({
        url: `http://127.0.0.1:${plainPort}/cdn/x.ipsw`,
        destination: path.join(dir, 'x.ipsw'),
        expectedSize: 10,
        sha1: 'a'.repeat(40),
        sha256: null,
      }),
    ).rejects.toMatchObject({ problem: { code: 'firmware-blocked-url' } });
    expect(seen).toEqual(['/version', '/cdn/x.ipsw']);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a redirect from an allowed https host (through the proxy) to one that is not listed', async () => {
    route = (_request, response) => response.writeHead(301, { Location: 'https://mirror.example.net/x.ipsw' }).end();
    const front = await startTlsFront(certificate, plainPort);
    const proxy = await startConnectProxy(front.port);
    try {
      await expect(
        httpGet('https://updates.cdn-apple.com/x.ipsw', { env: { HTTPS_PROXY: proxy.url }, trustedCertificates: [certificate.certPem] }),
      ).rejects.toThrow(/mirror.example.net is not one of the hosts Lifeline talks to \(redirected from updates.cdn-apple.com\)/);
      expect(proxy.tunnels).toEqual(['updates.cdn-apple.com:443']);
    } finally {
      await proxy.close();
      await front.close();
    }
  });

  it('refuses a redirect from https to http', async () => {
    const secure = https.createServer({ cert: certificate.certPem, key: certificate.keyPem }, (_request, response) =>
      response.writeHead(302, { Location: `http://127.0.0.1:${plainPort}/downgraded` }).end(),
    );
    secure.listen(0, '127.0.0.1');
    await once(secure, 'listening');
    seen.length = 0;
    try {
      const url = `https://localhost:${(secure.address() as AddressInfo).port}/catalog`;
      await expect(httpGetText(url, { maxBytes: 1000, trustedCertificates: [certificate.certPem] })).rejects.toThrow(
        /redirected to plain http/,
      );
      expect(seen).toEqual([]);
    } finally {
      secure.closeAllConnections();
      await new Promise<void>((resolve) => secure.close(() => resolve()));
    }
  });

  it('keeps certificate checks on: the local https server is refused without the test trust anchor', async () => {
    const secure = https.createServer({ cert: certificate.certPem, key: certificate.keyPem }, (_request, response) => response.end('ok'));
    secure.listen(0, '127.0.0.1');
    await once(secure, 'listening');
    try {
      const url = `https://localhost:${(secure.address() as AddressInfo).port}/`;
      await expect(httpGetText(url, { maxBytes: 100 })).rejects.toThrow(/certificate/);
      expect((await httpGetText(url, { maxBytes: 100, trustedCertificates: [certificate.certPem] })).toString()).toBe('ok');
    } finally {
      secure.closeAllConnections();
      await new Promise<void>((resolve) => secure.close(() => resolve()));
    }
  });
});

describe('size caps while streaming', () => {
  /** A body with no Content-Length that never ends on its own. */
  function endless(): { stopped: Promise<void> } {
    let stopped!: () => void;
    const promise = new Promise<void>((resolve) => (stopped = resolve));
    route = (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = (): void => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump);
      };
      response.once('close', () => stopped());
      pump();
    };
    return { stopped: promise };
  }

  it('stops a firmware download without Content-Length at the cap and never promotes the partial', async () => {
    const { stopped } = endless();
    const dir = await mkdtemp(path.join(work, 'cap-'));
    const destination = path.join(dir, 'x.ipsw');
    const downloader = new FirmwareDownloader({ ...fast, maxBytesWithoutSize: 1024 * 1024 });
    await expect(
      downloader.download({
        url: `http://127.0.0.1:${plainPort}/cdn/x.ipsw`,
        destination,
        expectedSize: null,
        sha1: 'a'.repeat(40),
        sha256: null,
      }),
    ).rejects.toMatchObject({
      problem: { code: 'firmware-too-large', detail: expect.stringContaining('more than 1048576 bytes') },
    });
    await stopped;
    expect(existsSync(destination)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });

  it('stops a catalog without Content-Length at its cap', async () => {
    const { stopped } = endless();
    await expect(httpGetText(`http://127.0.0.1:${plainPort}/version`, { maxBytes: 256 * 1024 })).rejects.toBeInstanceOf(
      HttpBodyTooLargeError,
    );
    await stopped;
  });

  it('checks free space against the announced length when the catalog gives no size', async () => {
    route = (_request, response) => response.writeHead(200, { 'Content-Length': String(50_000_000) }).end();
    const dir = await mkdtemp(path.join(work, 'space-'));
    const downloader = new FirmwareDownloader({ ...fast, freeBytes: async () => 1_000_000 });
    await expect(
      downloader.download({
        url: `http://127.0.0.1:${plainPort}/cdn/x.ipsw`,
        destination: path.join(dir, 'x.ipsw'),
        expectedSize: null,
        sha1: 'a'.repeat(40),
        sha256: null,
      }),
    ).rejects.toMatchObject({
      problem: { code: 'disk-full' },
    });
    expect(existsSync(path.join(dir, 'x.ipsw'))).toBe(false);
  });
});

describe('TSS through HTTPS_PROXY', () => {
  let tss: FakeTssServer;
  beforeAll(async () => {
    tss = await startFakeTssServer();
  });
  afterAll(() => tss.close());

  function ticketRequest() {
    const manifest = parseBuildManifest(
      syntheticBuildManifest({
        productTypes: ['iPhone6,2'],
        boards: [{ boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 }],
        version: '12.5.7',
        build: '16H81',
      }),
    );
    return buildApTicketRequest(selectIdentity(manifest, 'n53ap', 'Erase')!, {
      ecid: 0x1234n,
      apNonce: Buffer.alloc(20, 0xaa),
      sepNonce: Buffer.alloc(20, 0xbb),
    });
  }

  it('asks Apple’s address through a CONNECT tunnel and gets the ticket', async () => {
    const front = await startTlsFront(certificate, Number(new URL(tss.url).port));
    const proxy = await startConnectProxy(front.port);
    try {
      const ticket = await requestApTicket(ticketRequest(), {
        url: APPLE_TSS_URL,
        attempts: 1,
        env: { HTTPS_PROXY: proxy.url },
        trustedCertificates: [certificate.certPem],
      });
      expect(ticket.length).toBeGreaterThan(100);
      expect(proxy.tunnels).toEqual(['gs.apple.com:443']);
      expect(tss.requests).toHaveLength(1);
    } finally {
      await proxy.close();
      await front.close();
    }
  });

  it('does not take the proxy’s word for the signing server’s identity', async () => {
    const front = await startTlsFront(certificate, Number(new URL(tss.url).port));
    const proxy = await startConnectProxy(front.port);
    try {
      await expect(
        requestApTicket(ticketRequest(), { url: APPLE_TSS_URL, attempts: 1, env: { HTTPS_PROXY: proxy.url } }),
      ).rejects.toMatchObject({
        code: 'unreachable',
        message: expect.stringMatching(/certificate/),
      });
      expect(proxy.tunnels).toEqual(['gs.apple.com:443']);
    } finally {
      await proxy.close();
      await front.close();
    }
  });

  it('refuses a signing server address the policy does not allow, without retrying', async () => {
    await expect(
      requestApTicket(ticketRequest(), { url: 'http://gs.apple.com/TSS/controller?action=2', attempts: 5, retryDelayMs: 60_000 }),
    ).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringContaining('only https'),
    });
  });
});
