import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readBuildManifest, selectIdentity, type BuildIdentity, type BuildManifest } from '../../main/ipsw/build-manifest';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { IrecvClient } from '../../main/irecv/irecv-client';
import { runBootChain, type BootChainProgress } from '../../main/restore/boot-chain';
import { startFakeTssServer, type FakeTssServer } from '../../main/sim/fake-tss-server';
import { writeSyntheticIpsw } from '../../main/sim/synthetic-ipsw';
import { FakeAppleDriver } from '../../main/sim/win32/fake-apple-driver';
import { apTicketRequester } from '../../main/tss/ap-ticket';
import { AppleDriverBus } from '../../main/usb/apple-driver-bus';
import { AppleIoctl } from '../../main/usb/win32-api';
import { BOOT_CHAIN_ECID as ECID, FAST_BOOT_CHAIN as FAST, startBootChainPhone, type Cleanups } from './boot-chain-bench';

const cleanups: Cleanups = [];
let tss: FakeTssServer;
let workDir: string;
let archive: IpswArchive;
let manifest: BuildManifest;
let identity: BuildIdentity;

beforeAll(async () => {
  tss = await startFakeTssServer();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-bootchain-win-'));
  const ipsw = await writeSyntheticIpsw(workDir, {
    productTypes: ['iPhone6,1'],
    boards: [{ boardConfig: 'n51ap', cpid: 0x8960, bdid: 0 }],
    version: '12.5.7',
    build: '16H81',
  });
  archive = await IpswArchive.open(ipsw.path);
  manifest = await readBuildManifest(archive);
  identity = selectIdentity(manifest, 'n51ap', 'Erase')!;
});

afterAll(async () => {
  archive.close();
  await tss.close();
  await rm(workDir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A virtual phone behind the fake Windows PC: SimUsbBus → FakeAppleDriver (Win32 surface) → AppleDriverBus. */
async function setup(mode: 'dfu' | 'recovery') {
  const { sim, hardware, simBus, usbmux } = await startBootChainPhone(tss, mode, cleanups);
  const driver = await FakeAppleDriver.start({ bus: simBus });
  cleanups.push(() => driver.close());
  const bus = new AppleDriverBus({ loadApi: async () => driver, pollMs: 20 });
  await bus.start();
  cleanups.push(() => bus.close());
  return { sim, hardware, driver, bus, usbmux };
}

const requester = () => apTicketRequester(identity, { ecid: ECID, chipId: 0x8960, boardId: 0 }, { url: tss.url, attempts: 1 });

describe('boot chain over Apple’s Windows driver (fake Win32 surface)', () => {
  it('walks DFU → iBSS → recovery (iBEC) → logo, firmware, ramdisk, device tree, SEP, kernel, and finds the restore-mode phone', async () => {
    const { hardware, driver, bus, usbmux } = await setup('dfu');
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
    // Everything went through the driver's I/O controls: control transfers, bulk writes for recovery uploads, one reset after DFU.
    const codes = new Set(driver.ioctls.map((i) => i.code));
    expect(codes).toEqual(new Set([AppleIoctl.ControlTransfer, AppleIoctl.BulkOut, AppleIoctl.ResetDevice]));
    expect(driver.ioctls.filter((i) => i.code === AppleIoctl.ResetDevice).length).toBeGreaterThanOrEqual(1);
    expect(driver.openHandleCount()).toBe(0);
  });

  it('starts from recovery mode too (iBEC + go)', async () => {
    const { hardware, bus, usbmux } = await setup('recovery');
    const result = await runBootChain({ bus, usbmux, archive, manifest, identity, ecid: ECID, requestTicket: requester(), timeouts: FAST });
    expect(BigInt(result.restorePhone.hardwareInfo.UniqueChipID as number)).toBe(ECID);
    expect(hardware.bootRecords[0]).toMatchObject({ command: 'go', verdict: { ok: true, tag: 'ibec' } });
  });

  it('reads chip, board, ECID and nonces of a DFU phone through the interface path and string descriptors', async () => {
    const { bus } = await setup('dfu');
    const client = await IrecvClient.open(bus, { ecid: ECID, timeouts: FAST });
    try {
      expect(client.mode).toBe('dfu');
      // The path carries the serial lower-cased with '_' for spaces; the handle gives it back as the phone sends it.
      expect(client.info).toMatchObject({ cpid: 0x8960, bdid: 0x00, ecid: ECID, srtg: 'iBoot-1704.10' });
      expect(client.info.model?.productType).toBe('iPhone6,1');
      expect(client.info.apNonce?.length).toBe(20);
      expect(client.info.sepNonce?.length).toBe(20);
    } finally {
      await client.close();
    }
  });
});
