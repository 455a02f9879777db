import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BbfwArchive } from '../../../main/baseband/bbfw-archive';
import { ZipBuilder } from '../../../main/baseband/zip-builder';
import { readBuildManifest, selectIdentity } from '../../../main/ipsw/build-manifest';
import { IpswArchive } from '../../../main/ipsw/ipsw-reader';
import { basebandUpdaterFor, type BasebandUpdater } from '../../../main/restore/baseband-updater';
import { startFakeTssServer, type FakeTssServer } from '../../../main/sim/fake-tss-server';
import { practiceModemCheck } from '../../../main/sim/restore/baseband-check';
import { simBasebandOf } from '../../../main/sim/restore/restore-ramdisk';
import { RestoreStatus } from '../../../main/sim/restore/restore-status';
import { writeSyntheticIpsw } from '../../../main/sim/synthetic-ipsw';

const ecid = 0x000a1b2c3d4e5f60n;
const modem = simBasebandOf(ecid, '350508950000000');
const args = (nonce?: Uint8Array) => ({
  ChipID: modem.chipId,
  CertID: modem.certId,
  ChipSerialNo: Buffer.from(modem.chipSerial),
  ...(nonce ? { Nonce: Buffer.from(nonce) } : {}),
});

/** The same archive without its ticket: what idevicerestore 1.0.0 answers to a request without a baseband nonce. */
async function withoutTicket(zip: Buffer): Promise<Buffer> {
  const archive = await BbfwArchive.open({ bytes: zip });
  try {
    const rebuilt = new ZipBuilder(1 << 24);
    for (const entry of archive.entries())
      if (entry.name !== 'bbticket.der') rebuilt.addFile(entry.name, await archive.read(entry.name, 1 << 24));
    return rebuilt.finish();
  } finally {
    archive.close();
  }
}

describe('the virtual phone’s modem check in a restore', () => {
  let dir = '';
  let tss: FakeTssServer;
  let archive: IpswArchive;
  let updater: BasebandUpdater;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lifeline-modem-check-'));
    tss = await startFakeTssServer();
    tss.basebandPhones.set(String(ecid), { bbChipId: modem.chipId, bbGoldCertId: modem.certId, bbSnum: modem.chipSerial });
    const spec = {
      productTypes: ['iPhone6,2'],
      boards: [{ boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 }],
      version: '12.5.7',
      build: '16H81',
    };
    archive = await IpswArchive.open((await writeSyntheticIpsw(dir, spec)).path);
    const identity = selectIdentity(await readBuildManifest(archive), 'n53ap', 'Erase')!;
    updater = basebandUpdaterFor({ archive, identity, ecid, tss: { url: tss.url, attempts: 1 }, tempDir: dir })!;
  });

  afterAll(async () => {
    await updater?.close();
    archive?.close();
    await tss?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts signed images without a ticket when it sent no nonce, and wants a ticket bound to its nonce when it did', async () => {
    const check = practiceModemCheck(ecid, modem, tss.key.publicKey);
    const bare = await withoutTicket(await updater.basebandData(args()));
    const digest = expect.stringMatching(/^[0-9a-f]{64}$/);
    const modemFiles = Object.fromEntries(
      ['restoresbl1.mbn', 'sbl1.mbn', 'apps.mbn', 'qdsp6sw.mbn', 'rpm.mbn', 'tz.mbn', 'restorepsi_dummy.bin'].map((name) => [name, digest]),
    );
    expect(await check({ arguments: args(), nonce: null }, bare)).toEqual({ ok: true, digests: modemFiles });
    const withNonce = await updater.basebandData(args(modem.nonce));
    expect(await check({ arguments: args(modem.nonce), nonce: modem.nonce }, withNonce)).toEqual({
      ok: true,
      digests: { ...modemFiles, 'bbticket.der': digest },
    });
    expect(await check({ arguments: args(modem.nonce), nonce: modem.nonce }, await withoutTicket(withNonce))).toMatchObject({
      ok: false,
      status: RestoreStatus.Baseband,
      reason: 'no bbticket.der',
    });
  });

  it('refuses images signed for another modem, and a ticket under a key it does not trust', async () => {
    const other = practiceModemCheck(ecid, { ...modem, chipSerial: Buffer.from('99999999') }, tss.key.publicKey);
    const zip = await updater.basebandData(args());
    expect(await other({ arguments: args(), nonce: null }, zip)).toMatchObject({ ok: false, reason: expect.stringMatching(/SNUM/) });
    const stranger = await startFakeTssServer();
    try {
      const untrusting = practiceModemCheck(ecid, modem, stranger.key.publicKey);
      expect(await untrusting({ arguments: args(), nonce: null }, zip)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/trusted key/),
      });
      expect(await untrusting({ arguments: args(), nonce: null }, await withoutTicket(zip))).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/not signed for this modem/),
      });
    } finally {
      await stranger.close();
    }
  });
});
