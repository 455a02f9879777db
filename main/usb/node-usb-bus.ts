/**
 * UsbBus over the npm `usb` package v3 (node-usb-rs on nusb; WebUSB API only). Loaded lazily so a missing native
 * binary becomes a status, not a crash. `usb@3` rejects getDevices where /sys/bus/usb is missing and its WebUSB
 * listeners leak rejections, so hotplug uses the native Emitter directly and every call is caught.
 */
import { forgetUnseen, HotplugListeners } from './hotplug-listeners';
import { APPLE_VENDOR_ID } from './apple-usb-ids';
import { LINUX_UDEV_FIX } from './linux-udev-rule';
import {
  UsbDeviceError,
  type UsbBus,
  type UsbBusStatus,
  type UsbControlSetup,
  type UsbDeviceHandle,
  type UsbInTransferResult,
  type UsbOutTransferResult,
} from './usb-bus';

/** libirecovery's USB_TIMEOUT (docs/protocols/irecv.md#interfaces-and-endpoints); node-usb's default of 1 s is too short for iBoot. */
const TRANSFER_TIMEOUT_MS = 10_000;
const MAX_DESCRIPTOR_STRING = 256;

/** The parts of usb@3's device object we use. */
export type NativeUsbDevice = {
  vendorId: number;
  productId: number;
  bus?: string;
  address?: number;
  ports?: number[];
  readonly handle?: string;
  readonly serialNumber: string | null;
  readonly productName: string | null;
  readonly manufacturerName: string | null;
  readonly opened: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(value: number): Promise<void>;
  claimInterface(n: number): Promise<void>;
  releaseInterface(n: number): Promise<void>;
  controlTransferIn(setup: UsbControlSetup, length: number, timeout?: number): Promise<{ status: string; data?: DataView }>;
  controlTransferOut(setup: UsbControlSetup, data?: Uint8Array, timeout?: number): Promise<{ status: string; bytesWritten?: number }>;
  transferIn(endpoint: number, length: number, timeout?: number): Promise<{ status: string; data?: DataView }>;
  transferOut(endpoint: number, data: Uint8Array, timeout?: number): Promise<{ status: string; bytesWritten?: number }>;
  reset?(): Promise<void>;
};

export type NativeUsbBackend = {
  getDevices(): Promise<NativeUsbDevice[]>;
  /** Hotplug; absent when the native emitter is unavailable. */
  hotplug?: {
    addAttach(callback: (device: NativeUsbDevice) => void): Promise<void>;
    addDetach(callback: (handle: string) => void): Promise<void>;
    removeAttach(): Promise<void>;
    removeDetach(): Promise<void>;
  };
};

export type NodeUsbBusOptions = {
  /** Replaces the real `usb` module (tests). */
  loadBackend?: () => Promise<NativeUsbBackend>;
  platform?: NodeJS.Platform;
};

type Unavailable = Extract<UsbBusStatus, { state: 'unavailable' }>;

function isFunction(value: unknown): value is (...args: never[]) => unknown {
  return typeof value === 'function';
}

/** Dynamic import of `usb` (patches the device prototype with the WebUSB methods) plus its native hotplug emitter. */
async function loadRealBackend(): Promise<NativeUsbBackend> {
  const usbModule: unknown = await import('usb');
  const nativeModule: unknown = await import('usb/index.js' as string);
  const pick = (mod: unknown, key: string): unknown => {
    if (typeof mod !== 'object' || mod === null) return undefined;
    const direct = (mod as Record<string, unknown>)[key];
    if (direct !== undefined) return direct;
    const fallback = (mod as { default?: Record<string, unknown> }).default;
    return fallback?.[key];
  };
  const WebUsbClass = pick(usbModule, 'WebUSB');
  const EmitterClass = pick(nativeModule, 'Emitter');
  if (!isFunction(WebUsbClass)) throw new Error('the usb module has no WebUSB class');
  const webusb = new (WebUsbClass as unknown as new (o: object) => { getDevices(): Promise<NativeUsbDevice[]> })({ allowAllDevices: true });
  const backend: NativeUsbBackend = { getDevices: () => webusb.getDevices() };
  if (isFunction(EmitterClass)) {
    backend.hotplug = new (EmitterClass as unknown as new () => NonNullable<NativeUsbBackend['hotplug']>)();
  }
  return backend;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'unknown error';
}

export const WINDOWS_DRIVER_FIX =
  'Windows has no Apple driver for this iPhone. Install Apple’s “Apple Devices” app from the Microsoft Store ' +
  '(or iTunes), then unplug and reconnect the iPhone. Do not replace Apple’s driver with tools such as Zadig.';

/** Turn a failure from the usb module into a calm, actionable status. */
export function classifyUsbFailure(error: unknown, platform: NodeJS.Platform, phase: 'load' | 'list' | 'open'): Unavailable {
  const detail = messageOf(error).slice(0, 500);
  const code = typeof error === 'object' && error !== null ? String((error as { code?: unknown }).code ?? '') : '';
  if (phase === 'load') {
    return {
      state: 'unavailable',
      reason: 'library-failed',
      detail,
      fix: 'Lifeline’s USB component could not be loaded on this computer. Reinstall Lifeline; if this keeps happening, send support a diagnostics file (“Export diagnostics”, or `lifeline diagnostics export`). Phones that start up normally can still be reached through Apple’s usbmuxd service.',
    };
  }
  if (/\/sys\/bus\/usb|no usb subsystem|usbfs|ENOENT/i.test(detail)) {
    return {
      state: 'unavailable',
      reason: 'no-usb-subsystem',
      detail,
      fix: 'This system gives Lifeline no access to USB (common in containers and virtual machines), so phones in recovery or DFU mode can’t be seen here. Run Lifeline directly on a computer with the iPhone in one of its own USB ports. Phones that start up normally can still be reached through Apple’s usbmuxd service.',
    };
  }
  if (/EACCES|EPERM|permission denied|access denied|access is denied|LIBUSB_ERROR_ACCESS/i.test(`${detail} ${code}`)) {
    if (platform === 'win32') return { state: 'unavailable', reason: 'driver-missing', detail, fix: WINDOWS_DRIVER_FIX };
    return {
      state: 'unavailable',
      reason: 'permission-denied',
      detail,
      fix:
        platform === 'linux'
          ? LINUX_UDEV_FIX
          : 'This computer refused Lifeline access to the iPhone. Allow the accessory when macOS asks (System Settings › Privacy & Security › Allow accessories to connect), then unplug and reconnect the iPhone.',
    };
  }
  if (platform === 'win32' && /not supported|NOT_SUPPORTED|driver/i.test(`${detail} ${code}`)) {
    return { state: 'unavailable', reason: 'driver-missing', detail, fix: WINDOWS_DRIVER_FIX };
  }
  return {
    state: 'unavailable',
    reason: 'no-usb-subsystem',
    detail,
    fix: 'Lifeline could not list USB devices. Unplug and reconnect the iPhone, try another USB port directly on the computer (no hub), then try again.',
  };
}

function safeString(read: () => string | null | undefined): string | undefined {
  try {
    const value = read();
    return typeof value === 'string' ? value.slice(0, MAX_DESCRIPTOR_STRING) : undefined;
  } catch {
    return undefined;
  }
}

function toStatus(value: string): 'ok' | 'stall' | 'babble' {
  return value === 'ok' || value === 'babble' ? value : 'stall';
}

class NodeUsbDeviceHandle implements UsbDeviceHandle {
  readonly id: string;
  readonly location: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string;
  readonly productName?: string;
  readonly manufacturerName?: string;
  readonly #device: NativeUsbDevice;
  readonly #onFailure: (error: unknown) => UsbDeviceError;

  constructor(device: NativeUsbDevice, key: string, onFailure: (error: unknown) => UsbDeviceError) {
    this.#device = device;
    this.#onFailure = onFailure;
    this.vendorId = device.vendorId;
    this.productId = device.productId;
    const ports = Array.isArray(device.ports) ? device.ports.join('.') : '';
    this.location = `usb:${device.bus ?? '?'}${ports ? `/${ports}` : ''}`;
    this.id = `usb:${key}`;
    const serial = safeString(() => device.serialNumber);
    const product = safeString(() => device.productName);
    const manufacturer = safeString(() => device.manufacturerName);
    if (serial !== undefined) this.serialNumber = serial;
    if (product !== undefined) this.productName = product;
    if (manufacturer !== undefined) this.manufacturerName = manufacturer;
  }

  get opened(): boolean {
    try {
      return this.#device.opened;
    } catch {
      return false;
    }
  }

  async #call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.#onFailure(error);
    }
  }

  open(): Promise<void> {
    return this.#call(() => this.#device.open());
  }

  close(): Promise<void> {
    return this.#call(() => this.#device.close());
  }

  selectConfiguration(value: number): Promise<void> {
    return this.#call(() => this.#device.selectConfiguration(value));
  }

  claimInterface(n: number): Promise<void> {
    return this.#call(() => this.#device.claimInterface(n));
  }

  releaseInterface(n: number): Promise<void> {
    return this.#call(() => this.#device.releaseInterface(n));
  }

  async controlTransferIn(setup: UsbControlSetup, length: number): Promise<UsbInTransferResult> {
    const r = await this.#call(() => this.#device.controlTransferIn(setup, length, TRANSFER_TIMEOUT_MS));
    return r.data ? { status: toStatus(r.status), data: r.data } : { status: toStatus(r.status) };
  }

  async controlTransferOut(setup: UsbControlSetup, data?: Uint8Array): Promise<UsbOutTransferResult> {
    const r = await this.#call(() => this.#device.controlTransferOut(setup, data ?? new Uint8Array(0), TRANSFER_TIMEOUT_MS));
    return { status: toStatus(r.status), bytesWritten: r.bytesWritten ?? 0 };
  }

  async transferIn(endpoint: number, length: number): Promise<UsbInTransferResult> {
    const r = await this.#call(() => this.#device.transferIn(endpoint, length, TRANSFER_TIMEOUT_MS));
    return r.data ? { status: toStatus(r.status), data: r.data } : { status: toStatus(r.status) };
  }

  async transferOut(endpoint: number, data: Uint8Array): Promise<UsbOutTransferResult> {
    const r = await this.#call(() => this.#device.transferOut(endpoint, data, TRANSFER_TIMEOUT_MS));
    return { status: toStatus(r.status), bytesWritten: r.bytesWritten ?? 0 };
  }

  reset(): Promise<void> {
    return this.#call(async () => {
      if (typeof this.#device.reset !== 'function') throw new Error('this USB library cannot reset devices');
      await this.#device.reset();
    });
  }
}

export class NodeUsbBus implements UsbBus {
  readonly #platform: NodeJS.Platform;
  readonly #load: () => Promise<NativeUsbBackend>;
  #backend: NativeUsbBackend | null = null;
  #status: UsbBusStatus = { state: 'ready' };
  readonly #known = new Map<string, NodeUsbDeviceHandle>();
  readonly #listeners = new HotplugListeners();
  #hotplug = false;
  #closed = false;

  constructor(options: NodeUsbBusOptions = {}) {
    this.#platform = options.platform ?? process.platform;
    this.#load = options.loadBackend ?? loadRealBackend;
  }

  /** Load the module, list devices once and, if USB works, start hotplug. Never rejects. */
  async start(): Promise<UsbBusStatus> {
    if (this.#closed) return this.#status;
    if (!this.#backend) {
      try {
        this.#backend = await this.#load();
      } catch (error) {
        this.#status = classifyUsbFailure(error, this.#platform, 'load');
        return this.#status;
      }
    }
    await this.getDevices();
    if (this.#status.state === 'ready') await this.#startHotplug();
    return this.#status;
  }

  status(): UsbBusStatus {
    return this.#status;
  }

  /** Apple devices attached now; [] (with status() explaining) when USB is unavailable. Re-probes each call. */
  async getDevices(): Promise<UsbDeviceHandle[]> {
    const backend = this.#backend;
    if (!backend || this.#closed) return [];
    let devices: NativeUsbDevice[];
    try {
      devices = await backend.getDevices();
    } catch (error) {
      this.#status = classifyUsbFailure(error, this.#platform, 'list');
      return [];
    }
    if (this.#status.state === 'unavailable' && this.#status.reason === 'no-usb-subsystem') this.#status = { state: 'ready' };
    const seen = new Set<string>();
    const handles: UsbDeviceHandle[] = [];
    for (const device of Array.isArray(devices) ? devices : []) {
      if (device?.vendorId !== APPLE_VENDOR_ID) continue;
      const handle = this.#wrap(device);
      seen.add(this.#keyOf(device));
      handles.push(handle);
    }
    for (const handle of forgetUnseen(this.#known, seen)) {
      if (this.#hotplug) this.#listeners.disconnected(handle);
    }
    if (this.#status.state === 'ready' && !this.#hotplug && this.#backend?.hotplug) void this.#startHotplug();
    return handles;
  }

  onConnect(callback: (device: UsbDeviceHandle) => void): () => void {
    return this.#listeners.onConnect(callback);
  }

  onDisconnect(callback: (device: UsbDeviceHandle) => void): () => void {
    return this.#listeners.onDisconnect(callback);
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    const hotplug = this.#backend?.hotplug;
    if (this.#hotplug && hotplug) {
      this.#hotplug = false;
      hotplug.removeAttach().catch(() => undefined);
      hotplug.removeDetach().catch(() => undefined);
    }
    this.#known.clear();
  }

  #keyOf(device: NativeUsbDevice): string {
    const handle = safeString(() => device.handle);
    return handle ?? `${device.bus ?? '?'}:${device.address ?? '?'}`;
  }

  #wrap(device: NativeUsbDevice): NodeUsbDeviceHandle {
    const key = this.#keyOf(device);
    const existing = this.#known.get(key);
    if (existing) return existing;
    const handle = new NodeUsbDeviceHandle(device, key, (error) => this.#deviceFailure(error));
    this.#known.set(key, handle);
    return handle;
  }

  #deviceFailure(error: unknown): UsbDeviceError {
    const status = classifyUsbFailure(error, this.#platform, 'open');
    const message = messageOf(error);
    if (status.reason === 'permission-denied' || status.reason === 'driver-missing') {
      this.#status = status;
      return new UsbDeviceError(message, 'io');
    }
    if (/no such device|disconnected|not found|ENODEV/i.test(message)) return new UsbDeviceError(message, 'disconnected');
    return new UsbDeviceError(message, 'io');
  }

  async #startHotplug(): Promise<void> {
    const hotplug = this.#backend?.hotplug;
    if (!hotplug || this.#hotplug || this.#closed) return;
    this.#hotplug = true;
    try {
      await hotplug.addAttach((device) => {
        try {
          if (this.#closed || device?.vendorId !== APPLE_VENDOR_ID) return;
          const key = this.#keyOf(device);
          if (this.#known.has(key)) return;
          this.#listeners.connected(this.#wrap(device));
        } catch {
          // A malformed device object from the native layer is ignored.
        }
      });
      await hotplug.addDetach((key) => {
        const handle = this.#known.get(String(key));
        if (!handle || this.#closed) return;
        this.#known.delete(String(key));
        this.#listeners.disconnected(handle);
      });
    } catch {
      // Hotplug is a convenience: without it, callers still see changes by calling getDevices().
      this.#hotplug = false;
      hotplug.removeAttach().catch(() => undefined);
      hotplug.removeDetach().catch(() => undefined);
    }
  }
}

/** Create and start the real bus; resolves (never rejects) with status() telling whether USB works here. */
export async function openNodeUsbBus(options: NodeUsbBusOptions = {}): Promise<NodeUsbBus> {
  const bus = new NodeUsbBus(options);
  await bus.start();
  return bus;
}
