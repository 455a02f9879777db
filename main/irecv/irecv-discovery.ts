/**
 * Finding a DFU / recovery phone on a UsbBus, always by ECID: addresses change on every re-enumeration
 * (docs/protocols/irecv.md#opening-and-reconnecting step 5). Every wait is bounded and cancellable.
 */
import type { UsbBus, UsbDeviceHandle } from '../usb/usb-bus';
import { deviceInfoFromSerial, type IrecvDeviceInfo, type IrecvMode } from './irecv-device-info';
import { IrecvError } from './irecv-errors';

/** Between listings when the bus gives no hotplug event (USB/IP polls anyway). */
const POLL_MS = 250;

export type DiscoveryOptions = {
  ecid?: bigint;
  /** Only these modes count (e.g. recovery after iBSS). */
  modes?: readonly IrecvMode[];
  timeoutMs: number;
  signal?: AbortSignal;
  /** Skip this enumeration (the one that is about to go away). */
  excludeId?: string;
};

export type DiscoveredDevice = { device: UsbDeviceHandle; info: IrecvDeviceInfo };

function matches(device: UsbDeviceHandle, options: DiscoveryOptions): DiscoveredDevice | null {
  if (options.excludeId !== undefined && device.id === options.excludeId) return null;
  const info = deviceInfoFromSerial(device);
  if (!info) return null;
  if (options.modes && !options.modes.includes(info.mode)) return null;
  if (options.ecid !== undefined && info.ecid !== options.ecid) return null;
  return { device, info };
}

/** Resolves when `check` returns a value; re-checks on hotplug events and every POLL_MS. */
async function until<T>(
  bus: UsbBus,
  check: () => Promise<T | null>,
  options: { timeoutMs: number; signal?: AbortSignal },
  onTimeout: () => IrecvError,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let wake: (() => void) | null = null;
  const nudge = (): void => wake?.();
  const offConnect = bus.onConnect(nudge);
  const offDisconnect = bus.onDisconnect(nudge);
  const onAbort = (): void => nudge();
  options.signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (options.signal?.aborted) throw new IrecvError('Cancelled while waiting for the phone', 'cancelled');
      const found = await check();
      if (found !== null) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw onTimeout();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(POLL_MS, left));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    offConnect();
    offDisconnect();
    options.signal?.removeEventListener('abort', onAbort);
  }
}

export function findIrecvDevice(bus: UsbBus, options: DiscoveryOptions): Promise<DiscoveredDevice> {
  return until(
    bus,
    async () => {
      for (const device of await bus.getDevices()) {
        const found = matches(device, options);
        if (found) return found;
      }
      return null;
    },
    options,
    () =>
      new IrecvError(
        options.ecid !== undefined
          ? `The phone did not appear in DFU or recovery mode within ${Math.round(options.timeoutMs / 1000)} s`
          : `No phone in DFU or recovery mode appeared within ${Math.round(options.timeoutMs / 1000)} s`,
        'not-found',
      ),
  );
}

/** Every DFU / recovery device on the bus now (no waiting). */
export async function listIrecvDevices(bus: UsbBus): Promise<DiscoveredDevice[]> {
  const found: DiscoveredDevice[] = [];
  for (const device of await bus.getDevices()) {
    const match = matches(device, { timeoutMs: 0 });
    if (match) found.push(match);
  }
  return found;
}

/** Resolves once the enumeration `deviceId` has left the bus. */
export function waitForDeparture(bus: UsbBus, deviceId: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<true> {
  return until(
    bus,
    async () => ((await bus.getDevices()).some((d) => d.id === deviceId) ? null : true),
    options,
    () =>
      new IrecvError(
        `The phone did not leave the bus within ${Math.round(options.timeoutMs / 1000)} s after the reset`,
        'did-not-reenumerate',
      ),
  );
}
