import { describe, expect, it } from 'vitest';
import { parseBuildManifest, selectIdentity, type BuildIdentity } from '../../../main/ipsw/build-manifest';
import { encodeXmlPlist } from '../../../main/plist/plist-codec';
import type { PlistDict } from '../../../main/plist/plist-value';
import { buildBasebandTicketRequest, identityHasBaseband } from '../../../main/tss/tss-baseband-request';
import { MAX_BB_BLOBS, MAX_BB_TICKET_BYTES, basebandTicketFromAnswer } from '../../../main/tss/tss-baseband-response';
import { TssError } from '../../../main/tss/tss-error';
import { parseTssAnswer } from '../../../main/tss/tss-response';
import { syntheticBuildManifest, type SyntheticIpswSpec } from '../../../main/sim/synthetic-ipsw';

const spec: SyntheticIpswSpec = {
  productTypes: ['iPhone6,2'],
  boards: [{ boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 }],
  version: '12.5.7',
  build: '16H81',
};

function identityOf(change?: (identity: PlistDict) => void, s: SyntheticIpswSpec = spec): BuildIdentity {
  const manifest = syntheticBuildManifest(s);
  const first = (manifest.BuildIdentities as PlistDict[])[0]!;
  change?.(first);
  return selectIdentity(parseBuildManifest(manifest), s.boards[0]!.boardConfig, 'Erase')!;
}

const modem = {
  ecid: 0x000a1b2c3d4e5f60n,
  bbChipId: 0x5a00e1,
  bbGoldCertId: 0x7f2a1c3b,
  bbSnum: Buffer.from('0badcafe', 'hex'),
  bbNonce: Buffer.alloc(20, 0x5c),
  uuid: 'abc',
};

describe('baseband TSS request', () => {
  it('carries the common tags, @BBTicket, the phone’s modem values and the identity’s key hashes, with their types', () => {
    const request = buildBasebandTicketRequest(identityOf(), modem);
    expect(request).toMatchObject({
      '@BBTicket': true,
      '@UUID': 'ABC',
      ApChipID: 0x8960,
      ApBoardID: 2,
      ApSecurityDomain: 1,
      BbChipID: 0x5a00e1,
      BbGoldCertId: 0x7f2a1c3b,
    });
    expect(request.ApECID).toBe(modem.ecid);
    expect(request.BbSNUM).toEqual(modem.bbSnum);
    expect(request.BbNonce).toEqual(modem.bbNonce);
    expect(request.UniqueBuildID).toHaveLength(20);
    for (const key of [
      'BbProvisioningManifestKeyHash',
      'BbActivationManifestKeyHash',
      'BbCalibrationManifestKeyHash',
      'BbFactoryActivationManifestKeyHash',
      'BbSkeyId',
    ]) {
      expect(request[key]).toBeInstanceOf(Uint8Array);
    }
    expect(request['@ApImg4Ticket']).toBeUndefined();
    expect(request.ApProductionMode).toBeUndefined();
  });

  it('copies the BasebandFirmware component without Info, and leaves BbNonce out when the phone sent none', () => {
    const { bbNonce: _unused, ...firstCall } = modem;
    const request = buildBasebandTicketRequest(identityOf(), firstCall);
    const firmware = request.BasebandFirmware as PlistDict;
    expect(Object.keys(firmware).sort()).toEqual(['Digest', 'RestoreSBL1-PartialDigest', 'SBL1-PartialDigest', 'Trusted']);
    expect(request.BbNonce).toBeUndefined();
  });

  it('adds production and security mode when the identity supports FDR', () => {
    const request = buildBasebandTicketRequest(
      identityOf((identity) => ((identity.Info as PlistDict).FDRSupport = true)),
      modem,
    );
    expect(request).toMatchObject({ ApProductionMode: true, ApSecurityMode: true });
  });

  it('drops one PSI digest pair for BbChipID 0x68, chosen by the gold certificate', () => {
    const withPsi = identityOf((identity) => {
      identity.BbChipID = '0x68';
      const firmware = (identity.Manifest as PlistDict).BasebandFirmware as PlistDict;
      for (const key of ['PSI-PartialDigest', 'RestorePSI-PartialDigest', 'PSI2-PartialDigest', 'RestorePSI2-PartialDigest'])
        firmware[key] = Buffer.alloc(4);
    });
    const psi2Cert = buildBasebandTicketRequest(withPsi, { ...modem, bbChipId: 0x68, bbGoldCertId: 0x26f3facc })
      .BasebandFirmware as PlistDict;
    expect(Object.keys(psi2Cert)).toEqual(expect.arrayContaining(['PSI-PartialDigest', 'RestorePSI-PartialDigest']));
    expect(psi2Cert['PSI2-PartialDigest']).toBeUndefined();
    const otherCert = buildBasebandTicketRequest(withPsi, { ...modem, bbChipId: 0x68, bbGoldCertId: 1 }).BasebandFirmware as PlistDict;
    expect(otherCert['PSI-PartialDigest']).toBeUndefined();
    expect(otherCert['PSI2-PartialDigest']).toBeDefined();
  });

  it('refuses an empty BbSNUM and an identity without a baseband', () => {
    expect(() => buildBasebandTicketRequest(identityOf(), { ...modem, bbSnum: Buffer.alloc(0) })).toThrow(TssError);
    const ipod = identityOf(undefined, {
      ...spec,
      productTypes: ['iPod7,1'],
      boards: [{ boardConfig: 'n112ap', cpid: 0x8000, bdid: 0x10 }],
    });
    expect(identityHasBaseband(ipod)).toBe(false);
    expect(identityHasBaseband(identityOf())).toBe(true);
    expect(() => buildBasebandTicketRequest(ipod, modem)).toThrow(/no baseband component/);
  });
});

const answerWith = (plist: PlistDict, status = 0): string =>
  `STATUS=${status}&MESSAGE=${status === 0 ? 'SUCCESS' : 'No'}&REQUEST_STRING=${encodeXmlPlist(plist).toString('utf8')}`;

describe('baseband TSS answer', () => {
  it('takes the BBTicket and one blob per element', () => {
    const ticket = basebandTicketFromAnswer(
      parseTssAnswer(
        answerWith({
          BBTicket: Buffer.alloc(300, 1),
          BasebandFirmware: { 'SBL1-Blob': Buffer.alloc(256, 2), 'RestoreSBL1-Blob': Buffer.alloc(256, 3), Other: 'ignored' },
        }),
      ),
    );
    expect(ticket.bbTicket).toHaveLength(300);
    expect([...ticket.blobs.keys()].sort()).toEqual(['RestoreSBL1', 'SBL1']);
  });

  it.each([
    ['no BBTicket', { BasebandFirmware: {} }, /no BBTicket/],
    ['an empty BBTicket', { BBTicket: Buffer.alloc(0), BasebandFirmware: {} }, /no BBTicket/],
    ['an oversized BBTicket', { BBTicket: Buffer.alloc(MAX_BB_TICKET_BYTES + 1), BasebandFirmware: {} }, /at most/],
    ['no BasebandFirmware', { BBTicket: Buffer.alloc(4) }, /no BasebandFirmware/],
    ['a blob that is a string', { BBTicket: Buffer.alloc(4), BasebandFirmware: { 'SBL1-Blob': 'x' } }, /non-data/],
    ['an unusable element name', { BBTicket: Buffer.alloc(4), BasebandFirmware: { '../x-Blob': Buffer.alloc(4) } }, /unusable element/],
    [
      'too many blobs',
      {
        BBTicket: Buffer.alloc(4),
        BasebandFirmware: Object.fromEntries(Array.from({ length: MAX_BB_BLOBS + 1 }, (_, i) => [`E${i}-Blob`, Buffer.alloc(4)])),
      },
      /more than/,
    ],
  ])('refuses an answer with %s', (_name, plist, message) => {
    expect(() => basebandTicketFromAnswer(parseTssAnswer(answerWith(plist as PlistDict)))).toThrow(message);
  });

  it('turns STATUS 49 into a typed server error', () => {
    const error = (() => {
      try {
        basebandTicketFromAnswer(parseTssAnswer('STATUS=49&MESSAGE=Invalid baseband data'));
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(TssError);
    expect(error).toMatchObject({ code: 'server-error', status: 49 });
  });
});
