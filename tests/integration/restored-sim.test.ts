/**
 * Lifeline's restore-mode session against the virtual phone's restored, end to end: an A7 iPhone 5s on iOS 12 is walked
 * from DFU to the restore ramdisk by the boot chain, then erased (or updated) by the product's restored client with
 * data from the synthetic IPSW — the phone checks every answer, the OS image arrives over ASR, the baseband firmware
 * is signed by the practice signing server, and the phone's final status is acknowledged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBuildManifest, selectIdentity, type RestoreBehavior } from '../../main/ipsw/build-manifest';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { basebandUpdaterFor } from '../../main/restore/baseband-updater';
import { runBootChain } from '../../main/restore/boot-chain';
import { runRestoreModeSession } from '../../main/restore/restore-mode-session';
import { problemForRestoredError } from '../../main/restore/restored-problem';
import { RestoredError } from '../../main/restored/restored-error';
import { usbmuxPortOpener } from '../../main/restored/restored-client';
import type { RestoredProgress } from '../../main/restored/restored-progress';
import { startFakeTssServer } from '../../main/sim/fake-tss-server';
import type { RestoreFaults } from '../../main/sim/faults';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { startSimulator } from '../../main/sim/index';
import { RESTORE_ENDED_EVENT } from '../../main/sim/virtual-iphone';
import { simBasebandOf } from '../../main/sim/restore/restore-ramdisk';
import { writeSyntheticIpsw, type SyntheticIpswSpec } from '../../main/sim/synthetic-ipsw';
import { apTicketRequester } from '../../main/tss/ap-ticket';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';

const A7_SPEC: SyntheticIpswSpec = {
  productTypes: ['iPhone6,2'],
  boards: [{ boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 }],
  version: '12.5.7',
  build: '16H81',
  osBytes: 3 * 131072 + 4321,
};

const FAST_BOOT_CHAIN = {
  dfuStatusPollMs: 10,
  disconnectMs: 5_000,
  reconnectMs: 5_000,
  discoveryMs: 5_000,
  ibecDisconnectMs: 5_000,
  ibecReconnectMs: 5_000,
  bootxDisconnectMs: 5_000,
  restoreModeMs: 10_000,
  goDelayMs: 0,
  ramdiskDelayMs: 0,
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function restoreA7(behavior: RestoreBehavior, faults: RestoreFaults = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-restored-sim-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const archive = await IpswArchive.open((await writeSyntheticIpsw(dir, A7_SPEC)).path);
  cleanups.push(async () => archive.close());
  const manifest = await readBuildManifest(archive);
  const tss = await startFakeTssServer();
  cleanups.push(() => tss.close());
  const sim = await startSimulator({
    phones: [{ timeFactor: 0.01, model: { productType: 'iPhone6,2' }, mode: 'dfu', ecid: '0x000A1B2C3D4E5F60', ios: '12.4', trusted: true, filesystem: { fileCount: 20, totalBytes: 100_000 } }],
  });
  cleanups.push(() => sim.close());
  const phone = sim.phones[0]!;
  phone.hardware.ticketKey = tss.key.publicKey;
  phone.restoreWith(A7_SPEC);
  phone.faults.set({ restore: faults });
  const modem = simBasebandOf(phone.identity.ecid, phone.identity.imei);
  tss.basebandPhones.set(String(phone.identity.ecid), { bbChipId: modem.chipId, bbGoldCertId: modem.certId, bbSnum: modem.chipSerial });
  const bus = new SimUsbBus([phone.hardware]);
  cleanups.push(async () => bus.close());
  const usbmux = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });

  const identity = selectIdentity(manifest, phone.model.boardConfig, behavior)!;
  const ecid = phone.identity.ecid;
  const requester = apTicketRequester(identity, { ecid, chipId: phone.model.cpid, boardId: phone.model.bdid ?? 0 }, { url: tss.url, attempts: 1 });
  let ticket: Buffer | null = null;
  const booted = await runBootChain({
    bus,
    usbmux,
    archive,
    manifest,
    identity,
    ecid,
    requestTicket: async (nonces) => (ticket = await requester(nonces)),
    timeouts: FAST_BOOT_CHAIN,
  });
  const baseband = basebandUpdaterFor({ archive, identity, ecid, tss: { url: tss.url, attempts: 1 }, tempDir: dir });
  cleanups.push(async () => baseband?.close());

  const phoneDone = new Promise<void>((resolve) => phone.events.once(RESTORE_ENDED_EVENT, () => resolve()));
  const progress: RestoredProgress[] = [];
  const session = runRestoreModeSession({
    openPort: usbmuxPortOpener(usbmux, booted.restorePhone.deviceId),
    ecid,
    sources: { archive, identity, ticket: ticket!, behavior: behavior === 'Erase' ? 'erase' : 'update', ...(baseband ? { baseband } : {}) },
    onProgress: (p) => progress.push(p),
  });
  const [result, error] = await session.then(
    (value) => [value, null] as const,
    (thrown: unknown) => [null, thrown] as const,
  );
  await phoneDone;
  return { result, error, progress, record: phone.restores.at(-1)!, hadBaseband: baseband !== null };
}

describe('restored: Lifeline against the virtual phone', () => {
  it('erases an A7 iPhone on iOS 12 from restore mode to the acknowledged final status', async () => {
    const { result, progress, record, hadBaseband } = await restoreA7('Erase');

    expect(result).toMatchObject({ outcome: 'restored', hardwareInfo: { ChipID: 0x8960, BoardID: 2 } });
    expect(hadBaseband).toBe(true);
    expect(record).toMatchObject({ label: 'lifeline', behavior: 'Erase', status: { code: 0 }, finalStatusAcknowledged: true, outcome: 'finished' });
    // Identification by the boot chain first, then the session's own conversation.
    expect(record.requests.slice(-4)).toEqual(['QueryType', 'QueryValue HardwareInfo', 'QueryValue SavedDebugInfo', 'StartRestore']);
    expect(record.dataRequests.length).toBeGreaterThan(0);
    expect(record.dataRequests.filter((request) => !request.answered || request.rejected !== null)).toEqual([]);
    expect(record.dataRequests.map((request) => request.dataType)).toEqual(expect.arrayContaining(['RootTicket', 'SystemImageData', 'KernelCache', 'NORData', 'BasebandData']));
    expect(record.asr).toMatchObject({ outcome: 'received', digestMatches: true, bytesReceived: A7_SPEC.osBytes });
    const fractions = progress.map((p) => p.fraction);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(fractions.at(-1)).toBe(1);
  });

  it('updates the same phone with the Update identity, and the phone knows it was an update', async () => {
    const { result, record } = await restoreA7('Update');
    expect(result?.outcome).toBe('restored');
    expect(record).toMatchObject({ behavior: 'Update', outcome: 'finished', finalStatusAcknowledged: true });
    expect(record.dataRequests.filter((request) => request.rejected !== null)).toEqual([]);
  });

  it('reports the phone’s failing status with its number and log, as Apple’s restore error', async () => {
    const { result, error, record } = await restoreA7('Erase', { status: { code: 14, at: 'NORData', log: 'flash NOR failed' } });
    expect(result).toBeNull();
    expect(error).toBeInstanceOf(RestoredError);
    expect(error).toMatchObject({ kind: 'status', status: 14, log: 'flash NOR failed' });
    expect(problemForRestoredError(error)?.code).toBe('restore-error-14');
    expect(record).toMatchObject({ outcome: 'failed', status: { code: 14 } });
  });

  it('reports a restored crash with its backtrace when the phone drops the connection', async () => {
    const { error, record } = await restoreA7('Erase', { crashAt: 'KernelCache' });
    expect(error).toMatchObject({ kind: 'crashed' });
    expect((error as RestoredError).log).not.toBe('');
    expect(record.outcome).toBe('crashed');
  });
});
