import type { BootChainTimeouts } from '../../main/restore/boot-chain';
import type { FakeTssServer } from '../../main/sim/fake-tss-server';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { startSimulator } from '../../main/sim/index';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';

/** What the boot-chain walks share: one virtual iPhone 6 (n51ap) and timeouts for a simulator at 1/100 of real time, loose enough for a busy machine. */
export const BOOT_CHAIN_ECID = 0x000a1b2c3d4e5f60n;

export const FAST_BOOT_CHAIN: Partial<BootChainTimeouts> = {
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

export type Cleanups = (() => Promise<void> | void)[];

/** The virtual phone in `mode`, trusting tickets `tss` signs, on a SimUsbBus; each thing started is pushed onto `cleanups`. */
export async function startBootChainPhone(tss: FakeTssServer, mode: 'dfu' | 'recovery', cleanups: Cleanups) {
  const sim = await startSimulator({
    phones: [{ model: { productType: 'iPhone6,1' }, mode, ecid: `0x${BOOT_CHAIN_ECID.toString(16)}`, timeFactor: 0.01 }],
  });
  cleanups.push(() => sim.close());
  const hardware = sim.phones[0]!.hardware;
  hardware.ticketKey = tss.key.publicKey;
  const simBus = new SimUsbBus([hardware]);
  cleanups.push(() => simBus.close());
  const usbmux = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });
  return { sim, hardware, simBus, usbmux };
}
