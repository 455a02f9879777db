/**
 * Lifeline's own restore of a virtual A7 iPhone 5s on iOS 12, end to end: the boot chain walks it from DFU to the
 * restore ramdisk, then the product's restore-mode session erases (or updates) it with data from the synthetic IPSW,
 * the baseband signed by the practice signing server. Shared by the restored integration test, the idevicerestore
 * peer test (which compares what the phone saw from each host) and the restore benchmark.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readBuildManifest, selectIdentity, type RestoreBehavior } from '../../main/ipsw/build-manifest';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { basebandUpdaterFor } from '../../main/restore/baseband-updater';
import { runBootChain } from '../../main/restore/boot-chain';
import { RESTORE_BOOT_ARGS } from '../../main/restore/boot-chain-plan';
import { runRestoreModeSession } from '../../main/restore/restore-mode-session';
import { usbmuxPortOpener } from '../../main/restored/restored-client';
import type { RestoredProgress } from '../../main/restored/restored-progress';
import { startFakeTssServer, type FakeTssServer } from '../../main/sim/fake-tss-server';
import type { RestoreFaults } from '../../main/sim/faults';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { startSimulator } from '../../main/sim/index';
import { practiceModemCheck } from '../../main/sim/restore/baseband-check';
import { simBasebandOf } from '../../main/sim/restore/restore-ramdisk';
import type { RestoreRecord } from '../../main/sim/restore/restore-record';
import type { ScenarioInput } from '../../main/sim/scenario';
import { writeSyntheticIpsw, type SyntheticIpswSpec } from '../../main/sim/synthetic-ipsw';
import { RESTORE_ENDED_EVENT, type VirtualIphone } from '../../main/sim/virtual-iphone';
import { apTicketRequester } from '../../main/tss/ap-ticket';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';
import { FAST_BOOT_CHAIN } from './boot-chain-bench';

export const A7_RESTORE_SPEC: SyntheticIpswSpec = {
  productTypes: ['iPhone6,2'],
  boards: [{ boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 }],
  version: '12.5.7',
  build: '16H81',
  osBytes: 3 * 131072 + 4321,
};

/** The phone every restore comparison uses: the same ECID (and so the same nonces and modem) for every host. */
export const A7_RESTORE_PHONE: ScenarioInput = {
  timeFactor: 0.01,
  model: { productType: 'iPhone6,2' },
  mode: 'dfu',
  ecid: '0x000A1B2C3D4E5F60',
  ios: '12.4',
  trusted: true,
  filesystem: { fileCount: 20, totalBytes: 100_000 },
};

/**
 * Makes a virtual phone trust `tss`'s test key (boot images and its modem's tickets and blobs, checked for real) and
 * tells `tss` its modem, as Apple's server knows a real phone's.
 */
export function introducePhoneToSigningServer(phone: VirtualIphone, tss: FakeTssServer): void {
  phone.hardware.ticketKey = tss.key.publicKey;
  const modem = simBasebandOf(phone.identity.ecid, phone.identity.imei);
  phone.basebandCheck = practiceModemCheck(phone.identity.ecid, modem, tss.key.publicKey);
  tss.basebandPhones.set(String(phone.identity.ecid), { bbChipId: modem.chipId, bbGoldCertId: modem.certId, bbSnum: modem.chipSerial });
}

export type LifelineA7RestoreOptions = {
  behavior: RestoreBehavior;
  faults?: RestoreFaults;
  /** A signing server shared with another host's run (default: one of its own). */
  tss?: FakeTssServer;
  /** Undone by the caller, last first. */
  cleanups: (() => Promise<void>)[];
};

export type LifelineA7Restore = {
  result: Awaited<ReturnType<typeof runRestoreModeSession>> | null;
  error: unknown;
  progress: RestoredProgress[];
  record: RestoreRecord;
  hadBaseband: boolean;
  phone: VirtualIphone;
  /** From the boot chain's start to the session's end. */
  wallMs: number;
};

export async function restoreA7WithLifeline(options: LifelineA7RestoreOptions): Promise<LifelineA7Restore> {
  const { behavior, faults = {}, cleanups } = options;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-restored-sim-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const archive = await IpswArchive.open((await writeSyntheticIpsw(dir, A7_RESTORE_SPEC)).path);
  cleanups.push(async () => archive.close());
  const manifest = await readBuildManifest(archive);
  const tss = options.tss ?? (await startFakeTssServer());
  if (!options.tss) cleanups.push(() => tss.close());
  const sim = await startSimulator({ phones: [A7_RESTORE_PHONE] });
  cleanups.push(() => sim.close());
  const phone = sim.phones[0]!;
  introducePhoneToSigningServer(phone, tss);
  phone.restoreWith(A7_RESTORE_SPEC);
  phone.faults.set({ restore: faults });
  const bus = new SimUsbBus([phone.hardware]);
  cleanups.push(async () => bus.close());
  const usbmux = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });

  const started = performance.now();
  const identity = selectIdentity(manifest, phone.model.boardConfig, behavior)!;
  const ecid = phone.identity.ecid;
  const requester = apTicketRequester(
    identity,
    { ecid, chipId: phone.model.cpid, boardId: phone.model.bdid ?? 0 },
    { url: tss.url, attempts: 1 },
  );
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
    // As the product's restore run does: the boot-args the boot chain set.
    restoreBootArgs: RESTORE_BOOT_ARGS,
    sources: { archive, identity, ticket: ticket!, behavior: behavior === 'Erase' ? 'erase' : 'update', ...(baseband ? { baseband } : {}) },
    onProgress: (p) => progress.push(p),
  });
  const [result, error] = await session.then(
    (value) => [value, null] as const,
    (thrown: unknown) => [null, thrown] as const,
  );
  const wallMs = performance.now() - started;
  await phoneDone;
  return { result, error, progress, record: phone.restores.at(-1)!, hadBaseband: baseband !== null, phone, wallMs };
}
