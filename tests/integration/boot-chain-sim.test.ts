import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readBuildManifest, selectIdentity, type BuildIdentity, type BuildManifest } from '../../main/ipsw/build-manifest';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { runBootChain, type BootChainProgress } from '../../main/restore/boot-chain';
import { BootChainError } from '../../main/restore/boot-chain-error';
import { apTicketRequester } from '../../main/tss/ap-ticket';
import { startFakeTssServer, type FakeTssServer } from '../../main/sim/fake-tss-server';
import type { Simulator } from '../../main/sim/simulator';
import { writeSyntheticIpsw } from '../../main/sim/synthetic-ipsw';
import { SimUsbipServer } from '../../main/sim/usbip-server';
import type { UsbBus } from '../../main/usb/usb-bus';
import { UsbipBus } from '../../main/usbip/usbip-bus';
import type { UsbmuxClient } from '../../main/usbmux/usbmux-client';
import { BOOT_CHAIN_ECID as ECID, FAST_BOOT_CHAIN as FAST, startBootChainPhone, type Cleanups } from './boot-chain-bench';

const cleanups: Cleanups = [];
let tss: FakeTssServer;
let workDir: string;
let archive: IpswArchive;
let manifest: BuildManifest;
let identity: BuildIdentity;
let otherBoard: BuildIdentity;

beforeAll(async () => {
  tss = await startFakeTssServer();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-bootchain-'));
  const ipsw = await writeSyntheticIpsw(workDir, {
    productTypes: ['iPhone6,1', 'iPhone6,2'],
    boards: [
      { boardConfig: 'n51ap', cpid: 0x8960, bdid: 0 },
      { boardConfig: 'n53ap', cpid: 0x8960, bdid: 2 },
    ],
    version: '12.5.7',
    build: '16H81',
    zip64: true,
  });
  archive = await IpswArchive.open(ipsw.path);
  manifest = await readBuildManifest(archive);
  identity = selectIdentity(manifest, 'n51ap', 'Erase')!;
  otherBoard = selectIdentity(manifest, 'n53ap', 'Erase')!;
});

afterAll(async () => {
  archive.close();
  await tss.close();
  await rm(workDir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Transport = 'sim' | 'usbip';

async function setup(
  transport: Transport,
  mode: 'dfu' | 'recovery' = 'dfu',
): Promise<{ sim: Simulator; bus: UsbBus; usbmux: UsbmuxClient }> {
  const { sim, simBus, usbmux } = await startBootChainPhone(tss, mode, cleanups);
  if (transport === 'sim') return { sim, bus: simBus, usbmux };
  const server = await SimUsbipServer.start({ bus: simBus });
  cleanups.push(() => server.close());
  const bus = new UsbipBus({ address: { host: '127.0.0.1', port: server.port }, pollMs: 50 });
  await bus.start();
  cleanups.push(() => bus.close());
  return { sim, bus, usbmux };
}

const requester = (id: BuildIdentity = identity) =>
  apTicketRequester(id, { ecid: ECID, chipId: 0x8960, boardId: 0 }, { url: tss.url, attempts: 1 });

describe.each<Transport>(['sim', 'usbip'])('boot chain over %s', (transport) => {
  it('walks DFU → iBSS → iBEC → logo, trust cache, ramdisk, device tree, SEP, kernel, bootx, and finds the restore-mode phone', async () => {
    const { sim, bus, usbmux } = await setup(transport);
    const progress: BootChainProgress[] = [];
    const result = await runBootChain({
      bus,
      usbmux,
      archive,
      manifest,
      identity,
      ecid: ECID,
      requestTicket: requester(),
      timeouts: FAST,
      onProgress: (p) => progress.push(p),
    });
    expect(result.restorePhone.protocolVersion).toBe(15);
    expect(BigInt(result.restorePhone.hardwareInfo.UniqueChipID as number)).toBe(ECID);
    expect(progress.map((p) => p.stage)).toEqual([
      'connect',
      'ticket',
      'ibss',
      'ibec',
      'logo',
      'firmware',
      'ramdisk',
      'devicetree',
      'sep',
      'kernel',
      'restore-mode',
    ]);
    expect(progress.find((p) => p.stage === 'ibss')?.cancellable).toBe(true);
    expect(progress.find((p) => p.stage === 'ibec')?.cancellable).toBe(false);
    const hardware = sim.phones[0]!.hardware;
    expect(hardware.mode).toBe('restore');
    expect(hardware.bootRecords.map((r) => [r.command, r.verdict.ok ? r.verdict.tag : r.verdict.reason])).toEqual([
      ['dfu-upload', 'ibss'],
      ['go', 'ibec'],
      ['setpicture', 'rlgo'],
      ['firmware', 'rtsc'],
      ['ramdisk', 'rdsk'],
      ['devicetree', 'rdtr'],
      ['rsepfirmware', 'rsep'],
      ['bootx', 'rkrn'],
    ]);
    expect(result.ticketsRequested).toBe(1);
  });

  it('requests a new ticket when the phone issues a fresh nonce at each stage', async () => {
    const { sim, bus, usbmux } = await setup(transport);
    sim.phones[0]!.hardware.freshNoncePerStage = true;
    const result = await runBootChain({ bus, usbmux, archive, manifest, identity, ecid: ECID, requestTicket: requester(), timeouts: FAST });
    // DFU nonce, then a new one in iBSS and another in iBEC.
    expect(result.ticketsRequested).toBe(3);
    expect(sim.phones[0]!.hardware.bootRecords.every((r) => r.verdict.ok)).toBe(true);
  });

  it('can be cancelled until the first image is sent, and nothing reaches the phone', async () => {
    const { sim, bus, usbmux } = await setup(transport);
    const controller = new AbortController();
    const error = await runBootChain({
      bus,
      usbmux,
      archive,
      manifest,
      identity,
      ecid: ECID,
      signal: controller.signal,
      // The person presses Cancel while Lifeline is asking the signing server.
      requestTicket: async (nonces) => {
        controller.abort();
        return requester()(nonces);
      },
      timeouts: FAST,
    }).catch((e: unknown) => e);
    expect((error as BootChainError).code).toBe('cancelled');
    expect((error as Error).message).toBe('Cancelled before anything was sent to the phone.');
    expect(sim.phones[0]!.hardware.uploads).toHaveLength(0);
    expect(sim.phones[0]!.hardware.mode).toBe('dfu');
  });

  it('refuses a cancel once an image was sent, says so once, and finishes the walk', async () => {
    const { sim, bus, usbmux } = await setup(transport);
    const controller = new AbortController();
    let refusals = 0;
    const result = await runBootChain({
      bus,
      usbmux,
      archive,
      manifest,
      identity,
      ecid: ECID,
      signal: controller.signal,
      requestTicket: requester(),
      timeouts: FAST,
      onProgress: (p) => {
        if (p.stage === 'logo') controller.abort();
      },
      onCancelRefused: () => refusals++,
    });
    expect(refusals).toBe(1);
    expect(result.restorePhone.protocolVersion).toBe(15);
    expect(sim.phones[0]!.hardware.mode).toBe('restore');
  });
});

describe('boot chain failures', () => {
  it('refuses firmware for another board before sending anything', async () => {
    const { sim, bus, usbmux } = await setup('sim');
    const error = await runBootChain({
      bus,
      usbmux,
      archive,
      manifest,
      identity: otherBoard,
      ecid: ECID,
      requestTicket: requester(otherBoard),
      timeouts: FAST,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BootChainError);
    expect((error as BootChainError).code).toBe('wrong-firmware');
    expect(sim.phones[0]!.hardware.uploads).toHaveLength(0);
  });

  it('a ticket signed by another key makes the phone stall in DFU: a typed did-not-reenumerate error', async () => {
    const { sim, bus, usbmux } = await setup('sim');
    const impostor = await startFakeTssServer();
    cleanups.push(() => impostor.close());
    const error = await runBootChain({
      bus,
      usbmux,
      archive,
      manifest,
      identity,
      ecid: ECID,
      requestTicket: apTicketRequester(identity, { ecid: ECID, chipId: 0x8960, boardId: 0 }, { url: impostor.url, attempts: 1 }),
      timeouts: { ...FAST, disconnectMs: 500 },
    }).catch((e: unknown) => e);
    expect((error as BootChainError).code).toBe('did-not-reenumerate');
    const hardware = sim.phones[0]!.hardware;
    expect(hardware.mode).toBe('dfu');
    expect(hardware.bootRecords.at(-1)?.verdict).toMatchObject({ ok: false, reason: 'the ticket signature is not valid' });
  });

  it('reports an unsigned build in plain words and sends nothing', async () => {
    const { sim, bus, usbmux } = await setup('sim');
    tss.unsignedBuilds.add(identity.uniqueBuildId!.toString('hex'));
    try {
      const error = await runBootChain({
        bus,
        usbmux,
        archive,
        manifest,
        identity,
        ecid: ECID,
        requestTicket: requester(),
        timeouts: FAST,
      }).catch((e: unknown) => e);
      expect((error as BootChainError).code).toBe('not-signed');
      expect((error as Error).message).toMatch(/no longer signs/);
      expect(sim.phones[0]!.hardware.uploads).toHaveLength(0);
    } finally {
      tss.unsignedBuilds.clear();
    }
  });

  it('starts from recovery mode too (iBEC + go)', async () => {
    const { sim, bus, usbmux } = await setup('sim', 'recovery');
    const result = await runBootChain({ bus, usbmux, archive, manifest, identity, ecid: ECID, requestTicket: requester(), timeouts: FAST });
    expect(BigInt(result.restorePhone.hardwareInfo.UniqueChipID as number)).toBe(ECID);
    expect(sim.phones[0]!.hardware.bootRecords[0]).toMatchObject({ command: 'go', verdict: { ok: true, tag: 'ibec' } });
  });
});
