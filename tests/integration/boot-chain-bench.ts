import type { BootChainTimeouts } from '../../main/restore/boot-chain';
import type { FakeTssServer } from '../../main/sim/fake-tss-server';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { startSimulator } from '../../main/sim/index';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';

/** What the boot-chain walks share: one virtual iPhone 6 (n51ap) and timeouts for a simulator at 1/100 of real time. */
export const BOOT_CHAIN_ECID = 0x000a1b2c3d4e5f60n;

export const FAST_BOOT_CHAIN: Partial<BootChainTimeouts> = {
  dfuStatusPollMs: 10,
  disconnectMs: 3_000,
  reconnectMs: 3_000,
  discoveryMs: 3_000,
  ibecDisconnectMs: 3_000,
  ibecReconnectMs: 3_000,
  bootxDisconnectMs: 3_000,
  restoreModeMs: 5_000,
  goDelayMs: 0,
  ramdiskDelayMs: 0,
};

export type Cleanups = (() => Promise<void> | void)[];

/** The virtual phone in `mode`, trusting tickets `tss` signs, on a SimUsbBus; each thing started is pushed onto `cleanups`. */
export async function startBootChainPhone(tss: FakeTssServer, mode: 'dfu' | 'recovery', cleanups: Cleanups) {
  const sim = await startSimulator({ phones: [{ model: { productType: 'iPhone6,1' }, mode, ecid: `0x${BOOT_CHAIN_ECID.toString(16)}`, timeFactor: 0.01 }] });
  cleanups.push(() => sim.close());
  const hardware = sim.phones[0]!.hardware;
  hardware.ticketKey = tss.key.publicKey;
  const simBus = new SimUsbBus([hardware]);
  cleanups.push(() => simBus.close());
  const usbmux = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });
  return { sim, hardware, simBus, usbmux };
}
