import type { PracticeControls } from '../rescue/engine';
import type { UsbBus } from '../usb/usb-bus';
import { parseUsbmuxSocketAddress, type UsbmuxAddress } from '../usbmux/usbmux-address';
import { demoScenarios } from './demo-scenarios';
import { SimUsbBus } from './hardware/sim-usb-bus';
import { practiceControls } from './practice-controls';
import { startFakeTssServer, type FakeTssServer } from './fake-tss-server';
import { startPracticeFirmware, type PracticeFirmware } from './practice-firmware';
import { startSimulator } from './index';
import type { Simulator } from './simulator';
import type { ScenarioInput } from './scenario';

/** Practice mode's "computer": virtual phones on a private fake usbmuxd and a simulated USB bus. */
export type PracticeHost = {
  sim: Simulator;
  usb: UsbBus;
  usbmuxAddress: UsbmuxAddress;
  practice: PracticeControls;
  /** Fake Apple catalogs + CDN with synthetic IPSWs for the practice phones (firmware issue 7). */
  firmware: PracticeFirmware;
  /** The practice signing server; every virtual phone's boot chain trusts its test key (issue 8). */
  tss: FakeTssServer;
  close(): Promise<void>;
};

export async function startPracticeHost(options: { timeFactor?: number; phones?: ScenarioInput[] } = {}): Promise<PracticeHost> {
  const sim = await startSimulator({ phones: options.phones ?? demoScenarios(options.timeFactor ?? 1) });
  const usb = new SimUsbBus(sim.phones.map((phone) => phone.hardware));
  const usbmuxAddress = parseUsbmuxSocketAddress(sim.address);
  if (!usbmuxAddress) throw new Error(`Simulator address ${sim.address} is not a usbmuxd address`);
  const firmware = await startPracticeFirmware(sim.phones.map((phone) => phone.model.productType));
  const tss = await startFakeTssServer();
  for (const phone of sim.phones) phone.hardware.ticketKey = tss.key.publicKey;
  return {
    sim,
    usb,
    usbmuxAddress,
    practice: practiceControls(() => sim.phones),
    firmware,
    tss,
    close: async () => {
      usb.close();
      await sim.close();
      await firmware.close();
      await tss.close();
    },
  };
}
