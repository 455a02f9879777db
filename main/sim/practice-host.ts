import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE } from '../backup/private-files';
import type { PracticeControls } from '../../common/api';
import type { FirmwareSettings } from '../firmware/firmware-service';
import type { UsbBus } from '../usb/usb-bus';
import { parseUsbmuxSocketAddress, type UsbmuxAddress } from '../usbmux/usbmux-address';
import { demoScenarios } from './demo-scenarios';
import { SimUsbBus } from './hardware/sim-usb-bus';
import { practiceControls } from './practice-controls';
import { startFakeTssServer, type FakeTssServer } from './fake-tss-server';
import { startPracticeFirmware, type PracticeFirmware } from './practice-firmware';
import { simBasebandOf } from './restore/restore-ramdisk';
import { startSimulator } from './index';
import type { Simulator } from './simulator';
import type { ScenarioInput } from './scenario';

/** Practice mode's "computer": virtual phones on a private fake usbmuxd and a simulated USB bus. */
export type PracticeHost = {
  sim: Simulator;
  usb: SimUsbBus;
  usbmuxAddress: UsbmuxAddress;
  practice: PracticeControls;
  /** Fake Apple catalogs + CDN with synthetic IPSWs for the practice phones. */
  firmware: PracticeFirmware;
  /** The practice signing server; every virtual phone's boot chain trusts its test key. */
  tss: FakeTssServer;
  /** This run's own folder for practice data (backups): fresh, owner-only, removed on close. */
  dataDir: string;
  close(): Promise<void>;
};

/**
 * What an engine uses of a practice host, in this process or another one (remote-practice-host.ts): the buses the
 * phones are on, the hands, the fake Apple servers and the practice data folder.
 */
export type PracticeConnection = {
  usb: UsbBus;
  usbmuxAddress: UsbmuxAddress;
  practice: PracticeControls;
  firmwareSettings: FirmwareSettings;
  tssUrl: string;
  dataDir: string;
  close(): Promise<void>;
};

/** A practice host of this process, as an engine uses it (closing it closes the phones). */
export function practiceConnectionOf(host: PracticeHost): PracticeConnection {
  return {
    usb: host.usb,
    usbmuxAddress: host.usbmuxAddress,
    practice: host.practice,
    firmwareSettings: host.firmware.settings,
    tssUrl: host.tss.url,
    dataDir: host.dataDir,
    close: host.close,
  };
}

export async function startPracticeHost(options: { timeFactor?: number; phones?: ScenarioInput[] } = {}): Promise<PracticeHost> {
  const sim = await startSimulator({ phones: options.phones ?? demoScenarios(options.timeFactor ?? 1) });
  const usb = new SimUsbBus(sim.phones.map((phone) => phone.hardware));
  const usbmuxAddress = parseUsbmuxSocketAddress(sim.address);
  if (!usbmuxAddress) throw new Error(`Simulator address ${sim.address} is not a usbmuxd address`);
  const firmware = await startPracticeFirmware(sim.phones.map((phone) => phone.model.productType));
  const tss = await startFakeTssServer();
  for (const phone of sim.phones) {
    phone.hardware.ticketKey = tss.key.publicKey;
    // The practice signing server knows each phone's modem, as Apple's knows a real one's.
    const modem = simBasebandOf(phone.identity.ecid, phone.identity.imei);
    tss.basebandPhones.set(String(phone.identity.ecid), { bbChipId: modem.chipId, bbGoldCertId: modem.certId, bbSnum: modem.chipSerial });
  }
  const dataDir = await privateTempDir();
  return {
    sim,
    usb,
    usbmuxAddress,
    practice: practiceControls(() => sim.phones),
    firmware,
    tss,
    dataDir,
    close: async () => {
      usb.close();
      await sim.close();
      await firmware.close();
      await tss.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A temp folder nobody else can predict, enter or pre-create (a shared, fixed name in /tmp could be planted). */
async function privateTempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-practice-'));
  if (process.platform !== 'win32') await chmod(dir, PRIVATE_DIR_MODE);
  return dir;
}
