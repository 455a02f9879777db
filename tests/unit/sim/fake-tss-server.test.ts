import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlistDict } from '../../../main/plist/plist-value';
import { encodeXmlPlist } from '../../../main/plist/plist-codec';
import { parseBuildManifest, selectIdentity } from '../../../main/ipsw/build-manifest';
import {
  basebandRequestProblem,
  goldCertIdOf,
  signingPathOf,
  startFakeTssServer,
  type FakeTssServer,
} from '../../../main/sim/fake-tss-server';
import { syntheticBuildManifest } from '../../../main/sim/synthetic-ipsw';
import { buildApTicketRequest } from '../../../main/tss/tss-request';

/** One raw HTTP/1.1 exchange, so the request line is exactly what a client behind an http proxy sends. */
async function rawHttp(port: number, head: string, body: Uint8Array = new Uint8Array(0)): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`${head}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
  socket.write(body);
  const chunks: Buffer[] = [];
  for await (const chunk of socket as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

describe('the fake signing server as a client’s http proxy', () => {
  let tss: FakeTssServer;
  let port = 0;
  beforeAll(async () => {
    tss = await startFakeTssServer();
    port = Number(new URL(tss.proxyUrl).port);
  });
  afterAll(() => tss.close());

  it('signs a POST whose request line carries Apple’s absolute plain-http address, and records the line', async () => {
    const spec = {
      productTypes: ['iPhone6,2'],
      boards: [{ boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 }],
      version: '12.5.7',
      build: '16H81',
    };
    const identity = selectIdentity(parseBuildManifest(syntheticBuildManifest(spec)), 'n53ap', 'Erase')!;
    const request = buildApTicketRequest(identity, { ecid: 0x0a1b2c3d4e5f60n, apNonce: Buffer.alloc(20, 0xaa) });
    const answer = await rawHttp(
      port,
      'POST http://gs.apple.com/TSS/controller?action=2 HTTP/1.1\r\nHost: gs.apple.com',
      encodeXmlPlist(request),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain('STATUS=0&MESSAGE=SUCCESS&REQUEST_STRING=<?xml');
    expect(tss.requestLines).toContain('POST http://gs.apple.com/TSS/controller?action=2');
  });

  it('refuses CONNECT, so an https attempt through it never leaves the machine', async () => {
    const answer = await rawHttp(port, 'CONNECT gs.apple.com:443 HTTP/1.1\r\nHost: gs.apple.com:443');
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(tss.requestLines).toContain('CONNECT gs.apple.com:443');
  });

  it('answers 404 to anything but the signing path (a catalog fetch, an https URL in the request line)', async () => {
    expect(await rawHttp(port, 'GET http://api.ipsw.me/v4/device/iPhone6,2 HTTP/1.1\r\nHost: api.ipsw.me')).toMatch(/^HTTP\/1\.1 404/);
    expect(signingPathOf('https://gs.apple.com/TSS/controller?action=2')).toBeNull();
    expect(signingPathOf('http://cydia.saurik.com/TSS/controller?action=2')).toBe('/TSS/controller?action=2');
    expect(signingPathOf('/TSS/controller?action=2')).toBe('/TSS/controller?action=2');
    expect(signingPathOf('not a url')).toBeNull();
  });
});

describe('the gold certificate id as 32 bits', () => {
  it('reads a sign-extended id as the same 32-bit value, and refuses what does not fit in 32 bits', () => {
    expect(goldCertIdOf(-454817768)).toBe(3840149528);
    expect(goldCertIdOf(3840149528)).toBe(3840149528);
    expect(goldCertIdOf(3840149528n)).toBe(3840149528);
    expect(goldCertIdOf(2 ** 32)).toBeNull();
    expect(goldCertIdOf(-(2 ** 31) - 1)).toBeNull();
    expect(goldCertIdOf(1.5)).toBeNull();
    expect(goldCertIdOf('3840149528')).toBeNull();
  });

  it('accepts a baseband request whose BbGoldCertId arrives sign-extended for the phone it knows', () => {
    const request: PlistDict = {
      ApECID: 1,
      ApChipID: 0x8960,
      ApBoardID: 2,
      ApSecurityDomain: 1,
      BbChipID: 0x5a00e1,
      BbGoldCertId: -454817768,
      BbSNUM: Buffer.from('35050895'),
      BasebandFirmware: { 'PSI-PartialDigest': Buffer.alloc(20) },
    };
    const known = { bbChipId: 0x5a00e1, bbGoldCertId: 3840149528, bbSnum: Buffer.from('35050895') };
    expect(basebandRequestProblem(request, known)).toBeNull();
    expect(basebandRequestProblem({ ...request, BbGoldCertId: -454817767 }, known)).toMatch(/BbGoldCertId/);
  });
});
