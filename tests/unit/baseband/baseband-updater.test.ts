import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BbfwArchive } from '../../../main/baseband/bbfw-archive';
import { BasebandError } from '../../../main/baseband/baseband-error';
import { personaliseBbfw } from '../../../main/baseband/bbfw-personalise';
import { stitchMbn } from '../../../main/baseband/mbn-stitch';
import { ZipBuilder } from '../../../main/baseband/zip-builder';
import { IpswArchive } from '../../../main/ipsw/ipsw-reader';
import { readBuildManifest, selectIdentity, type BuildIdentity } from '../../../main/ipsw/build-manifest';
import { basebandUpdaterFor, parseModemReport, type BasebandUpdater } from '../../../main/restore/baseband-updater';
import { TssError } from '../../../main/tss/tss-error';
import { startFakeTssServer, type FakeTssServer } from '../../../main/sim/fake-tss-server';
import { checkBasebandData } from '../../../main/sim/restore/baseband-check';
import { SYNTHETIC_BBFW_SIGNED, SYNTHETIC_BB_CHIP_ID, syntheticBbfw } from '../../../main/sim/restore/synthetic-bbfw';
import { writeSyntheticIpsw, type SyntheticIpswSpec } from '../../../main/sim/synthetic-ipsw';

const spec: SyntheticIpswSpec = {
  productTypes: ['iPhone6,2'],
  boards: [{ boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 }],
  version: '12.5.7',
  build: '16H81',
};
const ecid = 0x000a1b2c3d4e5f60n;
const modem = { bbChipId: SYNTHETIC_BB_CHIP_ID, bbGoldCertId: 0x7f2a1c3b, bbSnum: Buffer.from('0badcafe', 'hex') };
const nonce = Buffer.alloc(20, 0x5c);
const args = (bbNonce?: Buffer) => ({
  ChipID: modem.bbChipId,
  CertID: modem.bbGoldCertId,
  ChipSerialNo: modem.bbSnum,
  ...(bbNonce ? { Nonce: bbNonce } : {}),
});
const signedFiles = Object.values(SYNTHETIC_BBFW_SIGNED);

let dir: string;
let tss: FakeTssServer;
let archive: IpswArchive;
let identity: BuildIdentity;
let updater: BasebandUpdater;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lifeline-bb-'));
  tss = await startFakeTssServer();
  tss.basebandPhones.set(String(ecid), modem);
  archive = await IpswArchive.open((await writeSyntheticIpsw(dir, spec)).path);
  identity = selectIdentity(await readBuildManifest(archive), 'n53ap', 'Erase')!;
  updater = basebandUpdaterFor({ archive, identity, ecid, tss: { url: tss.url, attempts: 1 }, tempDir: dir })!;
});

afterAll(async () => {
  await updater?.close();
  archive?.close();
  await tss?.close();
  await rm(dir, { recursive: true, force: true });
});

const expectation = (bbNonce: Buffer | null) => ({ ecid, ...modem, bbNonce, publicKey: tss.key.publicKey, signedFiles });

describe('BasebandUpdater over a synthetic IPSW and the practice signing server', () => {
  it('personalises the bbfw so the phone’s modem check accepts it for the nonce it sent', async () => {
    const zip = await updater.basebandData(args(nonce));
    await expect(checkBasebandData(zip, expectation(nonce))).resolves.toEqual({
      accepted: true,
      signedFiles: expect.arrayContaining(signedFiles),
    });
    const request = tss.requests.at(-1)!;
    expect(request).toMatchObject({ '@BBTicket': true, BbChipID: modem.bbChipId, BbGoldCertId: modem.bbGoldCertId });
    expect(request.BbNonce).toEqual(nonce);
  });

  it('is rejected by the phone when the ticket is for another nonce', async () => {
    const zip = await updater.basebandData(args(Buffer.alloc(20, 0x11)));
    const result = await checkBasebandData(zip, expectation(nonce));
    expect(result).toEqual({ accepted: false, reason: expect.stringMatching(/nonce/) });
  });

  it('sends only modem images and the ticket; unsigned images travel byte for byte', async () => {
    const zip = await updater.basebandData(args(nonce));
    const sent = await BbfwArchive.open({ bytes: zip });
    const original = await BbfwArchive.open({ bytes: syntheticBbfw(spec.build).bytes });
    try {
      const names = sent.entries().map((e) => e.name);
      expect(names).toContain('bbticket.der');
      expect(names).not.toContain('Info.plist');
      expect(names).not.toContain('bbfw-build.txt');
      expect(await sent.read('apps.mbn', 1 << 20)).toEqual(await original.read('apps.mbn', 1 << 20));
      expect(await sent.read('sbl1.mbn', 1 << 20)).not.toEqual(await original.read('sbl1.mbn', 1 << 20));
    } finally {
      sent.close();
      original.close();
    }
  });

  it('asks the signing server once per nonce, and again without one on the first request', async () => {
    const before = tss.requests.length;
    await updater.basebandData(args(nonce));
    expect(tss.requests.length).toBe(before);
    const first = await updater.basebandData(args());
    expect(tss.requests.length).toBe(before + 1);
    expect(tss.requests.at(-1)!.BbNonce).toBeUndefined();
    await expect(checkBasebandData(first, expectation(null))).resolves.toMatchObject({ accepted: true });
  });

  it('passes the signing server’s refusal of another modem’s serial number on as a typed error', async () => {
    const refused = updater.basebandData({ ...args(Buffer.alloc(20, 0x22)), ChipSerialNo: Buffer.from('deadbeef', 'hex') });
    await expect(refused).rejects.toBeInstanceOf(TssError);
    await expect(refused).rejects.toMatchObject({ code: 'server-error', status: 49 });
  });

  it('refuses a phone whose modem is not the firmware’s, and bounded arguments', async () => {
    await expect(updater.basebandData({ ...args(nonce), ChipID: 0x1234 })).rejects.toThrow(/not the one this firmware is for/);
    expect(() => parseModemReport({ ChipID: 1, CertID: 2 })).toThrow(BasebandError);
    expect(() => parseModemReport({ ChipID: -1, CertID: 2, ChipSerialNo: Buffer.alloc(4) })).toThrow(/ChipID/);
    expect(() => parseModemReport({ ChipID: 1, CertID: 2, ChipSerialNo: Buffer.alloc(4), Nonce: Buffer.alloc(65) })).toThrow(/Nonce/);
  });

  it('does nothing for a model without a baseband', async () => {
    const ipodDir = await mkdtemp(path.join(dir, 'ipod-'));
    const ipod = await IpswArchive.open(
      (
        await writeSyntheticIpsw(ipodDir, {
          ...spec,
          productTypes: ['iPod9,1'],
          boards: [{ boardConfig: 'n112ap', cpid: 0x8010, bdid: 0x16 }],
        })
      ).path,
    );
    try {
      const ipodIdentity = selectIdentity(await readBuildManifest(ipod), 'n112ap', 'Erase')!;
      expect(basebandUpdaterFor({ archive: ipod, identity: ipodIdentity, ecid })).toBeNull();
      expect(ipod.entries().some((e) => e.name.endsWith('.bbfw'))).toBe(false);
    } finally {
      ipod.close();
    }
  });
});

describe('bbfw stitching', () => {
  it('overwrites the end of the file with the blob and keeps its size', () => {
    const stitched = stitchMbn(Buffer.alloc(10, 1), Buffer.from([7, 8, 9]), 'x.mbn');
    expect([...stitched]).toEqual([1, 1, 1, 1, 1, 1, 1, 7, 8, 9]);
    expect(() => stitchMbn(Buffer.alloc(2), Buffer.alloc(3), 'x.mbn')).toThrow(/larger than the file/);
  });

  async function bbfwWith(files: Record<string, Buffer>): Promise<BbfwArchive> {
    const zip = new ZipBuilder(1 << 20);
    for (const [name, data] of Object.entries(files)) zip.addFile(name, data);
    return BbfwArchive.open({ bytes: zip.finish() });
  }

  it.each([
    ['an element Lifeline cannot place', { Mystery: Buffer.alloc(4) }, { 'sbl1.mbn': Buffer.alloc(8) }, 'unknown-element'],
    ['a signed file missing from the bbfw', { SBL1: Buffer.alloc(4) }, { 'apps.mbn': Buffer.alloc(8) }, 'missing-file'],
    ['an Intel .fls element', { RamPSI: Buffer.alloc(4) }, { 'psi_ram.fls': Buffer.alloc(8) }, 'unsupported-format'],
  ])('refuses %s', async (_name, blobs, files, code) => {
    const bbfw = await bbfwWith(files);
    try {
      await expect(
        personaliseBbfw(bbfw, { bbTicket: Buffer.alloc(4), blobs: new Map(Object.entries(blobs)) }, 0x5a00e1),
      ).rejects.toMatchObject({ code });
    } finally {
      bbfw.close();
    }
  });

  it('stops before the output outgrows its limit', async () => {
    const bbfw = await bbfwWith({ 'sbl1.mbn': Buffer.alloc(64 * 1024, 3), 'apps.mbn': Buffer.alloc(64 * 1024, 4) });
    try {
      await expect(
        personaliseBbfw(bbfw, { bbTicket: Buffer.alloc(4), blobs: new Map([['SBL1', Buffer.alloc(4)]]) }, 0x5a00e1, {
          maxSignedFileBytes: 1 << 20,
          maxOutputBytes: 100,
        }),
      ).rejects.toMatchObject({ code: 'too-large' });
    } finally {
      bbfw.close();
    }
  });
});
