import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBuildManifest, selectIdentity, type BuildIdentity } from '../../../main/ipsw/build-manifest';
import type { PlistDict } from '../../../main/plist/plist-value';
import { parseIm4m, propertyBytes, propertyInteger } from '../../../main/img4/im4m';
import { ticketSignatureValid } from '../../../main/img4/ticket-signature';
import { checkTicket } from '../../../main/tss/ticket-check';
import { requestApTicket, tssUrlFromEnvironment, APPLE_TSS_URL } from '../../../main/tss/tss-client';
import { TssError } from '../../../main/tss/tss-error';
import { buildApTicketRequest } from '../../../main/tss/tss-request';
import { parseTssAnswer, ticketFromAnswer } from '../../../main/tss/tss-response';
import { startFakeTssServer, type FakeTssServer } from '../../../main/sim/fake-tss-server';
import { syntheticBuildManifest } from '../../../main/sim/synthetic-ipsw';

const spec = { productTypes: ['iPhone6,2'], boards: [{ boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 }], version: '12.5.7', build: '16H81' };

function identity(): BuildIdentity {
  const manifest = syntheticBuildManifest(spec);
  const first = (manifest.BuildIdentities as PlistDict[])[0]!;
  const m = first.Manifest as PlistDict;
  m.BasebandFirmware = { Digest: Buffer.alloc(20), Trusted: true, Info: { Path: 'bb.bbfw' } };
  m.Diags = { Digest: Buffer.alloc(20), Trusted: true };
  m.Untrusted = { Digest: Buffer.alloc(20), Trusted: false };
  m.Ftab = { Digest: Buffer.alloc(20), Trusted: true, Info: { IsFTAB: true } };
  m.Ruled = {
    Digest: Buffer.alloc(20, 4),
    Trusted: false,
    Info: {
      RestoreRequestRules: [
        { Conditions: { ApRawProductionMode: true, ApRequiresImage4: true }, Actions: { EPRO: false, ESEC: true } },
        { Conditions: { ApInRomDFU: true }, Actions: { ESEC: false } },
        { Conditions: { SomethingNew: true }, Actions: { EPRO: true } },
      ],
    },
  };
  return selectIdentity(parseBuildManifest(manifest), 'n53ap', 'Erase')!;
}

const phone = { ecid: 0x000a1b2c3d4e5f60n, apNonce: Buffer.alloc(20, 0xaa), sepNonce: Buffer.alloc(20, 0xbb), uuid: 'abc' };

describe('IMG4 AP TSS request', () => {
  const request = buildApTicketRequest(identity(), phone);

  it('carries the skeleton, the phone and the nonces', () => {
    expect(request).toMatchObject({
      '@ApImg4Ticket': true,
      '@UUID': 'ABC',
      '@VersionInfo': 'libauthinstall-1104.0.9',
      ApChipID: 0x8960,
      ApBoardID: 2,
      ApSecurityDomain: 1,
    });
    expect(request.ApECID).toBe(phone.ecid);
    expect(request.ApNonce).toEqual(phone.apNonce);
    expect(request.SepNonce).toEqual(phone.sepNonce);
    expect(request.UniqueBuildID).toHaveLength(20);
  });

  it('copies Trusted components without Info and with EPRO/ESEC, and skips baseband, Diags, FTAB and untrusted entries', () => {
    const ibss = request.iBSS as PlistDict;
    expect(Object.keys(ibss).sort()).toEqual(['Digest', 'EPRO', 'ESEC', 'Trusted']);
    expect(ibss).toMatchObject({ EPRO: true, ESEC: true });
    for (const skipped of ['BasebandFirmware', 'Diags', 'Untrusted', 'Ftab']) expect(request[skipped]).toBeUndefined();
    expect(request.ftap).toMatchObject({ Digest: Buffer.alloc(0), Trusted: true });
  });

  it('applies only the RestoreRequestRules whose every condition matches', () => {
    // Rule 1 fires (production + img4); rule 2 needs ApInRomDFU (absent = no match); rule 3 has an unknown condition.
    expect(request.Ruled).toMatchObject({ EPRO: false, ESEC: true });
  });
});

describe('TSS answers', () => {
  it('parses STATUS, MESSAGE and the REQUEST_STRING plist, and extracts the ticket', () => {
    const answer = parseTssAnswer(
      'STATUS=0&MESSAGE=SUCCESS&REQUEST_STRING=<?xml version="1.0"?><plist version="1.0"><dict><key>ApImg4Ticket</key><data>MAA=</data></dict></plist>',
    );
    expect(answer.status).toBe(0);
    expect(ticketFromAnswer(answer)).toEqual(Buffer.from([0x30, 0]));
  });

  it('explains STATUS 94 as not signed or malformed', () => {
    const error = (() => {
      try {
        ticketFromAnswer(parseTssAnswer("STATUS=94&MESSAGE=This device isn't eligible for the requested build."));
      } catch (e) {
        return e as TssError;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(TssError);
    expect(error?.code).toBe('not-signed');
    expect(error?.message).toMatch(/no longer signs .* or the request was malformed/);
  });

  it('defaults to Apple’s address and honours LIFELINE_TSS_URL', () => {
    expect(tssUrlFromEnvironment({})).toBe(APPLE_TSS_URL);
    expect(tssUrlFromEnvironment({ LIFELINE_TSS_URL: 'http://127.0.0.1:9/TSS' })).toBe('http://127.0.0.1:9/TSS');
  });
});

describe('fake TSS server', () => {
  let tss: FakeTssServer;
  beforeAll(async () => {
    tss = await startFakeTssServer();
  });
  afterAll(() => tss.close());

  it('signs a ticket whose MANP and digests match the request, under its test key', async () => {
    const id = identity();
    const ticket = await requestApTicket(buildApTicketRequest(id, phone), { url: tss.url, attempts: 1 });
    expect(ticketSignatureValid(ticket, tss.key.publicKey)).toBe(true);
    checkTicket(ticket, { ecid: phone.ecid, chipId: 0x8960, boardId: 2, apNonce: phone.apNonce, sepNonce: phone.sepNonce });
    const parsed = parseIm4m(ticket);
    expect(propertyInteger(parsed.manifest, 'ECID')).toBe(phone.ecid);
    const restoreKernel = id.components.find((c) => c.name === 'RestoreKernelCache')!;
    expect(Buffer.from(propertyBytes(parsed.images.get('rkrn'), 'DGST')!)).toEqual(restoreKernel.digest);
    expect(() => checkTicket(ticket, { ecid: phone.ecid, chipId: 0x8960, boardId: 2, apNonce: Buffer.alloc(20, 1) })).toThrow(/BNCH/);
  });

  it('refuses an unsigned build with STATUS 94, retries an answer without STATUS, and gives up bounded', async () => {
    const id = identity();
    tss.unsignedBuilds.add(id.uniqueBuildId!.toString('hex'));
    await expect(requestApTicket(buildApTicketRequest(id, phone), { url: tss.url, attempts: 1 })).rejects.toMatchObject({
      code: 'not-signed',
      status: 94,
    });
    tss.unsignedBuilds.clear();
    tss.faults.noStatusCount = 2;
    await expect(requestApTicket(buildApTicketRequest(id, phone), { url: tss.url, attempts: 3, retryDelayMs: 1 })).resolves.toBeInstanceOf(
      Buffer,
    );
    tss.faults.noStatusCount = 5;
    await expect(requestApTicket(buildApTicketRequest(id, phone), { url: tss.url, attempts: 2, retryDelayMs: 1 })).rejects.toMatchObject({
      code: 'unreachable',
    });
    tss.faults.noStatusCount = 0;
  });

  it('refuses a request missing the ApNonce as malformed (STATUS 94)', async () => {
    const request = buildApTicketRequest(identity(), phone);
    delete request.ApNonce;
    await expect(requestApTicket(request, { url: tss.url, attempts: 1 })).rejects.toMatchObject({ code: 'not-signed' });
  });
});
