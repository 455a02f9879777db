import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { encodeXmlPlist } from '../plist/plist-codec';
import type { PlistDict } from '../plist/plist-value';
import type { SyntheticBoard } from './synthetic-ipsw';
import { fillerBlock } from './zip-writer';

/**
 * Local stand-ins for Apple's restore catalog (version.xml, docs/protocols/firmware.md#apple-catalog), ipsw.me v4 (docs/protocols/firmware.md#ipswme-catalog) and the
 * firmware CDN, speaking their real formats on 127.0.0.1 — for tests, benchmarks and practice mode. Never the internet.
 * The CDN honours Range / If-Range like a real one and can misbehave on request (`faults`).
 */
export type FakeFirmware = {
  productTypes: string[];
  boards: SyntheticBoard[];
  version: string;
  build: string;
  fileName: string;
  size: number;
  sha1: string;
  sha256?: string;
  signed: boolean;
  /** The bytes: a file on disk, or deterministic filler (benchmarks) of `size` bytes. */
  path?: string;
  fillerSeed?: number;
};

export type FakeCdnFaults = {
  /** Close the connection after this many body bytes, for the next `dropCount` firmware responses. */
  dropAfterBytes: number | null;
  dropCount: number;
  /** Flip the byte at this absolute offset in the next `corruptCount` responses that carry it. */
  corruptAt: number | null;
  corruptCount: number;
  /** Send this many body bytes, then nothing (connection left open), for the next `stallCount` responses. */
  stallAfterBytes: number | null;
  stallCount: number;
  ignoreRange: boolean;
  /** Answer firmware requests with this status (404…) instead of the file. */
  status: number | null;
  /** Answer the next `rangeNotSatisfiableCount` range requests with 416. */
  rangeNotSatisfiableCount: number;
  /** Claim this Content-Length (a server that lies about the size). */
  claimedLength: number | null;
  /** Throttle firmware bodies. */
  bytesPerSecond: number | null;
};

export type FakeRequest = { path: string; range: string | null };

export type FakeAppleServers = {
  origin: string;
  appleCatalogUrl: string;
  ipswmeUrl: string;
  firmwareUrl(firmware: FakeFirmware): string;
  faults: FakeCdnFaults;
  /** Replace a route's answer (odd catalogs): path → status + body. */
  overrides: Map<string, { status: number; body: string | Buffer; contentType?: string }>;
  requests: FakeRequest[];
  close(): Promise<void>;
};

export function noFaults(): FakeCdnFaults {
  return {
    dropAfterBytes: null,
    dropCount: 0,
    corruptAt: null,
    corruptCount: 0,
    stallAfterBytes: null,
    stallCount: 0,
    ignoreRange: false,
    status: null,
    rangeNotSatisfiableCount: 0,
    claimedLength: null,
    bytesPerSecond: null,
  };
}

const compareVersions = (a: string, b: string): number => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
};

/** Apple's catalog shape: MobileDeviceSoftwareVersionsByVersion → schema → MobileDeviceSoftwareVersions → ProductType → builds. */
export function appleCatalogPlist(firmwares: FakeFirmware[], urlOf: (f: FakeFirmware) => string): PlistDict {
  const products: PlistDict = {};
  const productTypes = [...new Set(firmwares.flatMap((f) => f.productTypes))];
  for (const productType of productTypes) {
    const builds = firmwares.filter((f) => f.productTypes.includes(productType)).sort((a, b) => compareVersions(b.version, a.version));
    const newest = builds[0]!;
    const table: PlistDict = { Unknown: { Universal: { Restore: { BuildVersion: newest.build } } } };
    for (const f of builds) {
      table[f.build] = {
        Restore: {
          BuildVersion: f.build,
          DocumentationURL: 'http://127.0.0.1/docs',
          FirmwareURL: urlOf(f),
          FirmwareSHA1: f.sha1,
          ProductVersion: f.version,
        },
      };
    }
    // Apple lists older builds that point at the current one (SameAs, docs/protocols/firmware.md#apple-catalog).
    table['10A000'] = { SameAs: newest.build };
    products[productType] = table;
  }
  return {
    MobileDeviceSoftwareVersionsByVersion: {
      '1': { MobileDeviceSoftwareVersions: {} },
      '5': { MobileDeviceSoftwareVersions: products, RecoverySoftwareVersions: {} },
    },
  };
}

/** ipsw.me v4 `/device/<ProductType>` shape. */
export function ipswMeDeviceJson(productType: string, firmwares: FakeFirmware[], urlOf: (f: FakeFirmware) => string): unknown {
  const forType = firmwares.filter((f) => f.productTypes.includes(productType)).sort((a, b) => compareVersions(b.version, a.version));
  const boards = [...new Map(forType.flatMap((f) => f.boards).map((b) => [b.boardConfig, b])).values()];
  return {
    name: productType,
    identifier: productType,
    boardconfig: boards[0]?.boardConfig.toUpperCase() ?? '',
    platform: 's5l8960x',
    cpid: boards[0]?.cpid ?? 0,
    bdid: boards[0]?.bdid ?? 0,
    boards: boards.map((b) => ({ boardconfig: b.boardConfig.toUpperCase(), platform: 's5l8960x', cpid: b.cpid, bdid: b.bdid })),
    firmwares: forType.map((f) => ({
      identifier: productType,
      version: f.version,
      buildid: f.build,
      sha1sum: f.sha1,
      md5sum: '0'.repeat(32),
      ...(f.sha256 ? { sha256sum: f.sha256 } : {}),
      filesize: f.size,
      url: urlOf(f),
      releasedate: '2026-01-26T18:00:00Z',
      uploaddate: '2026-01-26T18:00:00Z',
      signed: f.signed,
    })),
  };
}

/** `firmwares` may be a function: then they are made on the first request (practice mode starts cheaply). */
export async function startFakeAppleServers(options: {
  firmwares: FakeFirmware[] | (() => Promise<FakeFirmware[]>);
  host?: string;
}): Promise<FakeAppleServers> {
  const sockets = new Set<Socket>();
  const faults = noFaults();
  const overrides = new Map<string, { status: number; body: string | Buffer; contentType?: string }>();
  const requests: FakeRequest[] = [];
  let firmwares: FakeFirmware[] = Array.isArray(options.firmwares) ? options.firmwares : [];
  const make = Array.isArray(options.firmwares) ? null : options.firmwares;
  let made: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    if (!make) return Promise.resolve();
    made ??= make().then((list) => {
      firmwares = list;
    });
    return made;
  };
  let origin = '';
  const firmwareUrl = (f: FakeFirmware): string => `${origin}/cdn/${f.build}/${encodeURIComponent(f.fileName)}`;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ path: url.pathname, range: req.headers.range ?? null });
    void route(url.pathname, req, res).catch(() => res.destroy());
  });

  const route = async (pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await ready();
    const override = overrides.get(pathname);
    if (override) {
      res.writeHead(override.status, {
        'Content-Type': override.contentType ?? 'application/octet-stream',
        'Content-Length': Buffer.byteLength(override.body),
      });
      res.end(override.body);
      return;
    }
    if (pathname === '/version') {
      const body = encodeXmlPlist(appleCatalogPlist(firmwares, firmwareUrl));
      res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': body.length });
      res.end(body);
      return;
    }
    const device = /^\/v4\/device\/([^/]+)$/.exec(pathname);
    if (device) {
      const productType = decodeURIComponent(device[1]!);
      if (!firmwares.some((f) => f.productTypes.includes(productType))) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: 'Not Found' }));
        return;
      }
      const body = JSON.stringify(ipswMeDeviceJson(productType, firmwares, firmwareUrl));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const cdn = /^\/cdn\/([^/]+)\/([^/]+)$/.exec(pathname);
    const firmware = cdn ? firmwares.find((f) => f.build === cdn[1] && f.fileName === decodeURIComponent(cdn[2]!)) : undefined;
    if (!firmware) {
      res.writeHead(404);
      res.end();
      return;
    }
    await serveFirmware(firmware, req, res);
  };

  const serveFirmware = async (f: FakeFirmware, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (faults.status !== null) {
      res.writeHead(faults.status);
      res.end();
      return;
    }
    const etag = `"${f.sha1.slice(0, 16)}"`;
    let start = 0;
    let end = f.size; // exclusive
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (range && !faults.ignoreRange && (ifRange === undefined || ifRange === etag)) {
      start = Number(range[1]);
      end = range[2] ? Math.min(f.size, Number(range[2]) + 1) : f.size;
      if (faults.rangeNotSatisfiableCount > 0 || start >= f.size) {
        if (faults.rangeNotSatisfiableCount > 0) faults.rangeNotSatisfiableCount--;
        res.writeHead(416, { 'Content-Range': `bytes */${f.size}` });
        res.end();
        return;
      }
      status = 206;
    }
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Last-Modified': 'Mon, 26 Jan 2026 18:00:00 GMT',
      'Content-Length': faults.claimedLength ?? end - start,
    };
    if (status === 206) headers['Content-Range'] = `bytes ${start}-${end - 1}/${faults.claimedLength ?? f.size}`;
    res.writeHead(status, headers);

    const drop = faults.dropCount > 0 && faults.dropAfterBytes !== null ? faults.dropAfterBytes : null;
    if (drop !== null) faults.dropCount--;
    const stall = faults.stallCount > 0 && faults.stallAfterBytes !== null ? faults.stallAfterBytes : null;
    if (stall !== null) faults.stallCount--;
    let corruptAt =
      faults.corruptCount > 0 && faults.corruptAt !== null && faults.corruptAt >= start && faults.corruptAt < end ? faults.corruptAt : null;
    if (corruptAt !== null) faults.corruptCount--;

    let position = start;
    let sent = 0;
    const began = performance.now();
    for await (const original of bodyChunks(f, start, end)) {
      if (res.destroyed) return;
      let chunk = original;
      if (corruptAt !== null && corruptAt >= position && corruptAt < position + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[corruptAt - position] = chunk[corruptAt - position]! ^ 0xff;
        corruptAt = null;
      }
      const limit = Math.min(drop ?? Infinity, stall ?? Infinity);
      if (sent + chunk.length > limit) chunk = chunk.subarray(0, limit - sent);
      if (chunk.length > 0 && !res.write(chunk)) await drained(res);
      sent += chunk.length;
      position += chunk.length;
      if (drop !== null && sent >= drop) {
        res.socket?.destroy();
        return;
      }
      if (stall !== null && sent >= stall) return; // never ends; the client's idle timeout must notice
      if (faults.bytesPerSecond) {
        const due = began + (sent / faults.bytesPerSecond) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    res.end();
  };

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake Apple servers did not get a port');
  origin = `http://127.0.0.1:${address.port}`;
  return {
    origin,
    appleCatalogUrl: `${origin}/version`,
    ipswmeUrl: `${origin}/v4`,
    firmwareUrl,
    faults,
    overrides,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function* bodyChunks(f: FakeFirmware, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  if (f.path) {
    for await (const chunk of createReadStream(f.path, { start, end: end - 1, highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>)
      yield chunk;
    return;
  }
  const block = fillerBlock(f.fillerSeed ?? 1);
  let position = start;
  while (position < end) {
    const at = position % block.length;
    const n = Math.min(block.length - at, end - position, 256 * 1024);
    yield block.subarray(at, at + n);
    position += n;
  }
}
