/**
 * Lifeline's restore of a virtual A12 iPhone XS on iOS 18, end to end through the engine's own modules: the boot chain
 * walks it from DFU to the restore ramdisk, then the restore-mode session erases it. The phone checks every answer —
 * root ticket, personalised images and NOR, the SE and Face ID (Savage) firmware with their tickets, the OS image over
 * ASR with chunk checksums, the baseband — serves its factory data over FDR through Lifeline's agent, acknowledges
 * nothing it did not verify, and comes back as a new phone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FdrEvent } from '../../main/fdr/fdr-client';
import { readBuildManifest, selectIdentity } from '../../main/ipsw/build-manifest';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { basebandUpdaterFor } from '../../main/restore/baseband-updater';
import { runBootChain } from '../../main/restore/boot-chain';
import { runRestoreModeSession } from '../../main/restore/restore-mode-session';
import { usbmuxPortOpener } from '../../main/restored/restored-client';
import { startFakeTssServer } from '../../main/sim/fake-tss-server';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { startSimulator } from '../../main/sim/index';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { writeSyntheticIpsw, type SyntheticIpswSpec } from '../../main/sim/synthetic-ipsw';
import { RESTORE_ENDED_EVENT } from '../../main/sim/virtual-iphone';
import { apTicketRequester } from '../../main/tss/ap-ticket';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';
import { FAST_BOOT_CHAIN } from './boot-chain-bench';
import { introducePhoneToSigningServer } from './lifeline-a7-restore';
import { waitForMode } from './sim-restore-host';

const A12_RESTORE_SPEC: SyntheticIpswSpec = {
  productTypes: ['iPhone11,2'],
  boards: [{ boardConfig: 'd321ap', cpid: 0x8020, bdid: 0x0e }],
  version: '18.7.10',
  build: '22H31',
  osBytes: 3 * 131072 + 777,
  sealedSystemVolume: true,
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function eraseA12WithLifeline() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-restored-a12-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const archive = await IpswArchive.open((await writeSyntheticIpsw(dir, A12_RESTORE_SPEC)).path);
  cleanups.push(() => archive.close());
  const manifest = await readBuildManifest(archive);
  const tss = await startFakeTssServer();
  cleanups.push(() => tss.close());
  const sim = await startSimulator({
    phones: [
      {
        timeFactor: 0.01,
        model: { productType: 'iPhone11,2' },
        mode: 'dfu',
        ecid: '0x0012A4B6C8D0E2F4',
        ios: '17.6',
        trusted: true,
        passcodeSet: true,
        filesystem: { fileCount: 20, totalBytes: 100_000 },
      },
    ],
  });
  cleanups.push(() => sim.close());
  const phone = sim.phones[0]!;
  introducePhoneToSigningServer(phone, tss);
  phone.restoreWith(A12_RESTORE_SPEC);
  const bus = new SimUsbBus([phone.hardware]);
  cleanups.push(() => bus.close());
  const usbmux = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });

  const identity = selectIdentity(manifest, 'd321ap', 'Erase')!;
  const ecid = phone.identity.ecid;
  const requester = apTicketRequester(identity, { ecid, chipId: 0x8020, boardId: 0x0e }, { url: tss.url, attempts: 1 });
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
  const fdrEvents: FdrEvent[] = [];
  const result = await runRestoreModeSession({
    openPort: usbmuxPortOpener(usbmux, booted.restorePhone.deviceId),
    ecid,
    sources: { archive, identity, ticket: ticket!, behavior: 'erase', ...(baseband ? { baseband } : {}) },
    tss: { url: tss.url, attempts: 1 },
    onEvent: (event) => {
      if (event.type === 'fdr') fdrEvents.push(event.event);
    },
  });
  await phoneDone;
  return { result, phone, tss, fdrEvents, hadBaseband: baseband !== null };
}

describe('restored: Lifeline erases a virtual A12 iPhone on iOS 18', () => {
  it('answers every request the phone checks, from DFU to the acknowledged final status, and the phone starts as a new one', async () => {
    const { result, phone, tss, fdrEvents, hadBaseband } = await eraseA12WithLifeline();

    expect(result).toMatchObject({ outcome: 'restored', hardwareInfo: { ChipID: 0x8020, BoardID: 0x0e } });
    expect(hadBaseband).toBe(true);
    const record = phone.restores.at(-1)!;
    expect(record).toMatchObject({
      script: 'a12-ios17',
      label: 'lifeline',
      behavior: 'Erase',
      status: { code: 0 },
      finalStatusAcknowledged: true,
      outcome: 'finished',
    });
    expect(record.dataRequests.filter((request) => !request.answered || request.rejected !== null)).toEqual([]);
    expect(record.dataRequests.map((request) => request.dataType)).toEqual([
      'RootTicket',
      'BuildIdentityDict',
      'ReceiptManifest',
      'SystemImageRootHash',
      'SystemImageCanonicalMetadata',
      'SystemImageData',
      'PersonalizedBootObjectV3',
      'DeviceTree',
      'NORData',
      'FirmwareUpdaterPreflight',
      'FirmwareUpdaterData',
      'FirmwareUpdaterData',
      'BasebandData',
      'BasebandData',
      'FDRTrustData',
    ]);
    const digestsOf = (dataType: string) => record.dataRequests.filter((r) => r.dataType === dataType).map((r) => Object.keys(r.digests));
    expect(digestsOf('RootTicket')).toEqual([['RootTicket']]);
    expect(digestsOf('NORData')[0]).toEqual(expect.arrayContaining(['LLB', 'iBoot', 'RestoreSEP', 'SEP']));
    expect(digestsOf('PersonalizedBootObjectV3')).toEqual([['KernelCache']]);
    // The secure element and the Face ID module each got a ticket for themselves and the firmware bytes they asked for.
    expect(digestsOf('FirmwareUpdaterData')).toEqual([
      ['SE,Ticket', 'SE,UpdatePayload'],
      ['Savage,Ticket', 'Savage,B2-Prod-Patch'],
    ]);
    expect(tss.requests.filter((request) => request['@SE,Ticket'] === true || request['@Savage,Ticket'] === true)).toHaveLength(2);
    expect(record.asr).toMatchObject({ outcome: 'received', digestMatches: true, bytesReceived: A12_RESTORE_SPEC.osBytes, initiates: 2 });
    expect(record.asr?.chunksVerified).toBeGreaterThan(0);
    // Factory data: the phone's FDR service was served by Lifeline's agent on 1082 and its data port.
    expect(record.fdr).toEqual({ beganControl: true, pinged: true });
    expect(fdrEvents).toEqual(expect.arrayContaining([{ kind: 'control-ready', connPort: 1083 }, { kind: 'ping' }]));

    await waitForMode(phone, 'normal');
    expect(phone.lockdownValue(undefined, 'ProductVersion')).toBe('18.7.10');
    expect(phone.lockdownValue(undefined, 'ActivationState')).toBe('Unactivated');
    expect(phone.lockdownDomain('com.apple.purplebuddy')).toMatchObject({ SetupDone: false });
    expect(phone.scenario).toMatchObject({ passcodeSet: false, activated: false, setupDone: false });
    expect(virtualFilesystemOf(phone).fileCount).toBe(0);
    expect(phone.pairedHostIds()).toEqual([]);
  });
});
