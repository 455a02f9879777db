/**
 * Which UsbBus this computer uses for phones in recovery and DFU mode (docs/protocols/windows-apple-driver.md#bus-choice):
 * macOS and Linux use the npm `usb` package (libusb); Windows uses Apple's own driver, and adds `usb` only for phones a
 * WinUSB or libusbK driver was bound to. Never replaces a driver.
 */
import { AppleDriverBus, type AppleDriverBusOptions } from './apple-driver-bus';
import type { DriverSurveyEntry } from './apple-driver-enumeration';
import { isRecoveryProductId, DFU_PRODUCT_ID, WTF_PRODUCT_ID } from './apple-usb-ids';
import { HotplugListeners } from './hotplug-listeners';
import { parseIBootSerial } from './iboot-serial';
import { WINDOWS_DRIVER_FIX, openNodeUsbBus } from './node-usb-bus';
import type { UsbBackend, UsbBus, UsbBusStatus, UsbDeviceHandle } from './usb-bus';
import { LIBUSB_FAMILY_SERVICES, type Win32Api } from './win32-api';

export type WindowsUsbRoute = {
  backend: Extract<UsbBackend, 'apple-driver' | 'libusb' | 'apple-driver-and-libusb'>;
  /** Start the `usb` package too: a phone is bound to WinUSB/libusbK/libusb-win32 (or Apple's driver cannot be reached). */
  useLibusb: boolean;
  /** A recovery/DFU phone is attached with no driver at all: Apple's is not installed. */
  appleDriverMissing: boolean;
};

/** The Windows decision, from whether the Win32 binding loaded and which driver each attached rescue-mode phone has. */
export function chooseWindowsUsbRoute(input: { win32Loaded: boolean; survey: readonly DriverSurveyEntry[] }): WindowsUsbRoute {
  const appleDriverMissing = input.survey.some((entry) => entry.service === null);
  if (!input.win32Loaded) return { backend: 'libusb', useLibusb: true, appleDriverMissing };
  const libusbBound = input.survey.some((entry) => entry.service !== null && LIBUSB_FAMILY_SERVICES.has(entry.service.toLowerCase()));
  return { backend: libusbBound ? 'apple-driver-and-libusb' : 'apple-driver', useLibusb: libusbBound, appleDriverMissing };
}

function isRescueMode(device: UsbDeviceHandle): boolean {
  return device.productId === DFU_PRODUCT_ID || device.productId === WTF_PRODUCT_ID || isRecoveryProductId(device.productId);
}

function ecidOf(device: UsbDeviceHandle): bigint | undefined {
  const parsed = parseIBootSerial(device.serialNumber ?? '');
  return parsed.ok ? parsed.serial.ecid : undefined;
}

/** A bus whose status names the backend it reaches phones through. */
export class LabelledUsbBus implements UsbBus {
  constructor(
    readonly inner: UsbBus,
    readonly backend: UsbBackend,
  ) {}

  getDevices(): Promise<UsbDeviceHandle[]> {
    return this.inner.getDevices();
  }

  onConnect(callback: (device: UsbDeviceHandle) => void): () => void {
    return this.inner.onConnect(callback);
  }

  onDisconnect(callback: (device: UsbDeviceHandle) => void): () => void {
    return this.inner.onDisconnect(callback);
  }

  status(): UsbBusStatus {
    return { ...this.inner.status(), backend: this.backend };
  }

  close(): void {
    this.inner.close();
  }
}

export type WindowsUsbBusOptions = {
  apple: AppleDriverBus;
  /** Opens the `usb` package's bus, only once a phone needs it. */
  openLibusb: () => Promise<UsbBus>;
};

/**
 * Apple's driver first; the `usb` package beside it only while a rescue-mode phone is bound to a libusb-family driver. A phone
 * Apple's driver already lists is never reported twice (matched by ECID).
 */
export class WindowsUsbBus implements UsbBus {
  readonly #apple: AppleDriverBus;
  readonly #openLibusb: () => Promise<UsbBus>;
  #libusb: UsbBus | null = null;
  #libusbOpening: Promise<UsbBus> | null = null;
  readonly #listeners = new HotplugListeners();
  readonly #unsubscribe: (() => void)[] = [];
  #closed = false;

  constructor(options: WindowsUsbBusOptions) {
    this.#apple = options.apple;
    this.#openLibusb = options.openLibusb;
    this.#unsubscribe.push(
      this.#apple.onConnect((device) => this.#listeners.connected(device)),
      this.#apple.onDisconnect((device) => this.#listeners.disconnected(device)),
      this.#apple.onSurvey(() => void this.refreshRoute().catch(() => undefined)),
    );
  }

  route(): WindowsUsbRoute {
    return chooseWindowsUsbRoute({ win32Loaded: this.#apple.loaded, survey: this.#apple.driverSurvey() });
  }

  /** Follows the latest driver survey: opens the `usb` package's bus once a phone needs it. */
  async refreshRoute(): Promise<void> {
    if (this.route().useLibusb) await this.#ensureLibusb();
  }

  async getDevices(): Promise<UsbDeviceHandle[]> {
    const apple = await this.#apple.getDevices();
    await this.refreshRoute();
    if (!this.#libusb) return apple;
    const taken = new Set(this.#appleEcids());
    const extra = (await this.#libusb.getDevices()).filter((device) => this.#fromLibusb(device, taken));
    return [...apple, ...extra];
  }

  onConnect(callback: (device: UsbDeviceHandle) => void): () => void {
    return this.#listeners.onConnect(callback);
  }

  onDisconnect(callback: (device: UsbDeviceHandle) => void): () => void {
    return this.#listeners.onDisconnect(callback);
  }

  status(): UsbBusStatus {
    const route = this.route();
    const apple = this.#apple.status();
    if (route.appleDriverMissing) {
      return {
        state: 'unavailable',
        reason: 'driver-missing',
        detail: 'An iPhone in recovery or DFU mode is attached, but Windows has no driver for it.',
        fix: WINDOWS_DRIVER_FIX,
        backend: route.backend,
      };
    }
    if (apple.state === 'unavailable' && !this.#libusb) return { ...apple, backend: route.backend };
    const libusb = this.#libusb?.status();
    if (libusb?.state === 'unavailable' && (route.useLibusb || apple.state === 'unavailable')) return { ...libusb, backend: route.backend };
    return { state: 'ready', backend: route.backend };
  }

  close(): void {
    this.#closed = true;
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#listeners.clear();
    this.#apple.close();
    this.#libusb?.close();
  }

  #fromLibusb(device: UsbDeviceHandle, appleEcids: Set<bigint>): boolean {
    if (!isRescueMode(device)) return false;
    const ecid = ecidOf(device);
    return ecid === undefined || !appleEcids.has(ecid);
  }

  async #ensureLibusb(): Promise<UsbBus> {
    if (this.#libusb) return this.#libusb;
    this.#libusbOpening ??= this.#openLibusb().then((bus) => {
      if (this.#closed) {
        bus.close();
        return bus;
      }
      this.#libusb = bus;
      this.#unsubscribe.push(
        bus.onConnect((device) => {
          const taken = new Set(this.#appleEcids());
          if (this.#fromLibusb(device, taken)) this.#listeners.connected(device);
        }),
        bus.onDisconnect((device) => {
          if (isRescueMode(device)) this.#listeners.disconnected(device);
        }),
      );
      return bus;
    });
    return this.#libusbOpening;
  }

  #appleEcids(): bigint[] {
    return this.#apple.knownDevices().flatMap((device) => {
      const ecid = ecidOf(device);
      return ecid === undefined ? [] : [ecid];
    });
  }
}

export type PlatformUsbBusOptions = {
  platform?: NodeJS.Platform;
  /** The `usb` package's bus (tests pass a fake). */
  openLibusb?: () => Promise<UsbBus>;
  /** The Win32 surface for Apple's driver (tests pass the fake driver); koffi bindings by default. */
  loadWin32Api?: () => Promise<Win32Api>;
  pollMs?: number;
};

async function loadKoffi(): Promise<Win32Api> {
  const { loadKoffiWin32Api } = await import('./win32-koffi');
  return loadKoffiWin32Api();
}

/** This computer's USB access for recovery and DFU phones; resolves (never rejects) with status() saying which backend and whether it works. */
export async function openPlatformUsbBus(options: PlatformUsbBusOptions = {}): Promise<UsbBus> {
  const platform = options.platform ?? process.platform;
  const openLibusb = options.openLibusb ?? (() => openNodeUsbBus({ platform }));
  if (platform !== 'win32') return new LabelledUsbBus(await openLibusb(), 'libusb');
  const appleOptions: AppleDriverBusOptions = { loadApi: options.loadWin32Api ?? loadKoffi };
  if (options.pollMs !== undefined) appleOptions.pollMs = options.pollMs;
  const apple = new AppleDriverBus(appleOptions);
  await apple.start();
  if (!apple.loaded) {
    // Without the Win32 binding only libusb-family drivers are reachable; say so if that does not work either.
    const libusb = await openLibusb();
    if (libusb.status().state === 'ready') return new LabelledUsbBus(libusb, 'libusb');
    libusb.close();
    return new LabelledUsbBus(apple, 'apple-driver');
  }
  const bus = new WindowsUsbBus({ apple, openLibusb });
  await bus.refreshRoute();
  return bus;
}
