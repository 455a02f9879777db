import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostStatus, Phone } from '../../common/phone';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';
import { startHostRegistry } from '../../main/devices/host-sources';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { startSimUsbipServer, type SimUsbipServer } from '../../main/sim/usbip-server';
import { USBMUXD_ADDRESS_ENV, parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { A7_SPEC, bootToRestoreMode, startRestoreBench, type RestoreBench } from './sim-restore-host';
import { phonesUntil } from './phones-until';

/** A phone running the restore ramdisk enumerates with its normal-mode product id: only restored's answer on usbmuxd says which mode it is in. */
const ECID = 0x000a1b2c3d4e5f62n;
let bench: RestoreBench;
let dataDir: string;
const saved = { usbmuxd: process.env[USBMUXD_ADDRESS_ENV], data: process.env.LIFELINE_DATA_DIR };

beforeAll(async () => {
  // timeFactor 1: the ramdisk waits its full time for a StartRestore that never comes, so the phone stays in restore mode.
  bench = await startRestoreBench(A7_SPEC, {
    model: { productType: 'iPhone6,1' },
    mode: 'dfu',
    ecid: `0x${ECID.toString(16)}`,
    timeFactor: 1,
  });
  await bootToRestoreMode(bench, 'Erase');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-restore-mode-'));
}, 60_000);

afterAll(async () => {
  for (const [key, value] of [
    [USBMUXD_ADDRESS_ENV, saved.usbmuxd],
    ['LIFELINE_DATA_DIR', saved.data],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await bench?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a phone in restore mode', () => {
  it('is listed by the registry as restore mode, as the same phone (by its ECID) with its model, and why no backup can be made', async () => {
    expect(bench.phone.hardware.mode).toBe('restore');
    const usb = new SimUsbBus([bench.phone.hardware]);
    const registry = await startHostRegistry({
      usb,
      usbmuxAddress: parseUsbmuxSocketAddress(bench.sim.address)!,
      initialBackoffMs: 50,
      probeTimeoutMs: 5_000,
    });
    try {
      const [phone] = await phonesUntil(registry, (phones) => phones.length === 1 && phones.every((p) => !p.identifying));
      expect(phone).toMatchObject({
        id: ECID.toString(16).toUpperCase().padStart(16, '0'),
        mode: 'restore',
        connected: true,
        model: { name: 'iPhone 5s (GSM)', known: true },
        triage: { canBackUp: false, code: 'backup-wrong-mode' },
      });
      expect(phone!.triage.reason).toContain('restore mode');
    } finally {
      await registry.close();
    }
  });

  it('is listed by `lifeline devices` as restore mode, in JSON and in words', async () => {
    const usbip: SimUsbipServer = await startSimUsbipServer({ bus: new SimUsbBus([bench.phone.hardware]) });
    process.env[USBMUXD_ADDRESS_ENV] = bench.sim.address;
    process.env.LIFELINE_DATA_DIR = dataDir;
    try {
      const json: string[] = [];
      expect(await runCli(['--json', '--usbip', usbip.address, 'devices'], { out: (t) => json.push(t), err: () => undefined })).toBe(
        EXIT.ok,
      );
      const { phones } = JSON.parse(json.join('')) as { phones: Phone[]; host: HostStatus };
      expect(phones.map((p) => [p.model.name, p.mode])).toEqual([['iPhone 5s (GSM)', 'restore']]);

      const words: string[] = [];
      expect(await runCli(['--usbip', usbip.address, 'devices'], { out: (t) => words.push(t), err: () => undefined })).toBe(EXIT.ok);
      expect(words.join('\n')).toMatch(/iPhone 5s \(GSM\) \[…[0-9A-F]{6}\] — restore mode/);
    } finally {
      await usbip.close();
    }
  });
});
