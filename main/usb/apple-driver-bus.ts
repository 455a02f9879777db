/**
 * UsbBus through Apple's own Windows driver (docs/protocols/windows-apple-driver.md): phones in recovery and DFU mode are
 * found through SetupAPI device interfaces, opened with CreateFile and driven with DeviceIoControl. Hotplug is a poll of
 * the interface list. The Win32 surface is injected: koffi bindings on Windows, the virtual phone's fake driver in tests.
 */
import { forgetUnseen, HotplugListeners } from './hotplug-listeners';
import { serialFromWindowsPath } from './iboot-serial';
import {
  listAppleDriverInterfaces,
  surveyRescueDrivers,
  type AppleDriverInterface,
  type DriverSurveyEntry,
} from './apple-driver-enumeration';
import {
  UsbDeviceError,
  type UsbBus,
  type UsbBusStatus,
  type UsbControlSetup,
  type UsbDeviceHandle,
  type UsbInTransferResult,
  type UsbOutTransferResult,
} from './usb-bus';
import {
  AppleIoctl,
  CONTROL_SETUP_SIZE,
  FILE_FLAG_OVERLAPPED,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  GENERIC_READ,
  GENERIC_WRITE,
  OPEN_EXISTING,
  Win32Error,
  type Win32Api,
  type Win32Handle,
} from './win32-api';

/** Same 10 s as the other buses (docs/protocols/irecv.md#interfaces-and-endpoints). */
const TRANSFER_TIMEOUT_MS = 10_000;
/** USB re-enumeration takes longer than the 100 ms attach debounce, so a 50 ms poll always sees the gap (docs/protocols/windows-apple-driver.md#hotplug). */
export const APPLE_DRIVER_POLL_MS = 50;
/** The driver survey walks every USB device: once a second is enough for a status line. */
const SURVEY_EVERY_POLLS = 20;
const MAX_CONTROL_LENGTH = 0xffff;
/** Recovery mode's bulk OUT endpoint 0x04, the only one the driver writes to (docs/protocols/windows-apple-driver.md#bulk-writes). */
const BULK_OUT_ENDPOINT = 4;
const MAX_BULK_LENGTH = 0x10_0000;

const REQUEST_TYPE_BITS = { standard: 0, class: 1, vendor: 2 } as const;
const RECIPIENT_BITS = { device: 0, interface: 1, endpoint: 2, other: 3 } as const;

export function win32ErrorName(code: number): string {
  const entry = Object.entries(Win32Error).find(([, value]) => value === code);
  return entry
    ? `ERROR_${entry[0].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c : `_${c}`)).toUpperCase()} (${code})`
    : `Windows error ${code}`;
}

/** The 8-byte setup packet that starts a ControlTransfer buffer (docs/protocols/windows-apple-driver.md#control-transfers). */
export function encodeControlSetup(setup: UsbControlSetup, directionIn: boolean, length: number): Uint8Array {
  const packet = new Uint8Array(CONTROL_SETUP_SIZE + length);
  const view = new DataView(packet.buffer);
  view.setUint8(0, (directionIn ? 0x80 : 0) | (REQUEST_TYPE_BITS[setup.requestType] << 5) | RECIPIENT_BITS[setup.recipient]);
  view.setUint8(1, setup.request & 0xff);
  view.setUint16(2, setup.value & 0xffff, true);
  view.setUint16(4, setup.index & 0xffff, true);
  view.setUint16(6, length, true);
  return packet;
}

function ioError(operation: string, code: number): UsbDeviceError {
  const message = `${operation} through Apple’s driver failed: ${win32ErrorName(code)}`;
  if (code === Win32Error.DeviceNotConnected || code === Win32Error.FileNotFound || code === Win32Error.InvalidHandle) {
    return new UsbDeviceError(message, 'disconnected');
  }
  return new UsbDeviceError(message, 'io');
}

export class AppleDriverDevice implements UsbDeviceHandle {
  readonly id: string;
  readonly location: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string;
  readonly path: string;
  readonly #api: Win32Api;
  #handle: Win32Handle | null = null;
  readonly #claimed = new Set<number>();
  #gone = false;

  constructor(api: Win32Api, found: AppleDriverInterface, id: string) {
    this.#api = api;
    this.path = found.path;
    this.id = id;
    this.vendorId = found.vendorId;
    this.productId = found.productId;
    this.location = `win:${found.locationInfo ?? found.path.toLowerCase()}`;
    const serial = serialFromWindowsPath(found.path);
    if (serial !== null) this.serialNumber = serial;
  }

  get opened(): boolean {
    return this.#handle !== null;
  }

  /** Called by the bus when the interface left the list: every further request fails as disconnected. */
  markGone(): void {
    this.#gone = true;
    this.#closeHandle();
  }

  async open(): Promise<void> {
    if (this.#gone) throw new UsbDeviceError('the phone has left the USB bus', 'disconnected');
    if (this.#handle !== null) return;
    const handle = this.#api.createFile(
      this.path,
      GENERIC_READ | GENERIC_WRITE,
      FILE_SHARE_READ | FILE_SHARE_WRITE,
      OPEN_EXISTING,
      FILE_FLAG_OVERLAPPED,
    );
    if (handle === null) throw ioError('Opening the phone', this.#api.getLastError());
    this.#handle = handle;
  }

  async close(): Promise<void> {
    this.#claimed.clear();
    this.#closeHandle();
  }

  /** Apple's driver selects configuration 1 itself; asking for it again is accepted, anything else does not exist. */
  async selectConfiguration(configurationValue: number): Promise<void> {
    this.#requireOpen();
    if (configurationValue !== 1) throw new UsbDeviceError(`configuration ${configurationValue} does not exist`, 'not-found');
  }

  /** The driver owns the interfaces: claiming is bookkeeping only. */
  async claimInterface(interfaceNumber: number): Promise<void> {
    this.#requireOpen();
    this.#claimed.add(interfaceNumber);
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.#requireOpen();
    this.#claimed.delete(interfaceNumber);
  }

  async controlTransferIn(setup: UsbControlSetup, length: number): Promise<UsbInTransferResult> {
    const wanted = Math.max(0, Math.min(MAX_CONTROL_LENGTH, Math.floor(length)));
    const packet = encodeControlSetup(setup, true, wanted);
    const moved = await this.#ioctl('A control request', AppleIoctl.ControlTransfer, packet, packet);
    if (moved === 'stall') return { status: 'stall' };
    const count = Math.max(0, Math.min(wanted, moved - CONTROL_SETUP_SIZE));
    const data = packet.slice(CONTROL_SETUP_SIZE, CONTROL_SETUP_SIZE + count);
    return { status: 'ok', data: new DataView(data.buffer, data.byteOffset, data.byteLength) };
  }

  async controlTransferOut(setup: UsbControlSetup, data?: Uint8Array): Promise<UsbOutTransferResult> {
    const payload = data ?? new Uint8Array(0);
    if (payload.byteLength > MAX_CONTROL_LENGTH)
      throw new UsbDeviceError('a control transfer carries at most 65535 bytes', 'invalid-state');
    const packet = encodeControlSetup(setup, false, payload.byteLength);
    packet.set(payload, CONTROL_SETUP_SIZE);
    const moved = await this.#ioctl('A control request', AppleIoctl.ControlTransfer, packet, packet);
    // A control transfer completes whole or stalls (USB 2.0 section 8.5.3).
    return moved === 'stall' ? { status: 'stall', bytesWritten: 0 } : { status: 'ok', bytesWritten: payload.byteLength };
  }

  async transferIn(endpointNumber: number, _length?: number): Promise<UsbInTransferResult> {
    this.#requireOpen();
    throw new UsbDeviceError(`Apple’s driver offers no bulk IN transfers (endpoint ${endpointNumber})`, 'not-found');
  }

  async transferOut(endpointNumber: number, data: Uint8Array): Promise<UsbOutTransferResult> {
    this.#requireOpen();
    if (endpointNumber !== BULK_OUT_ENDPOINT) {
      throw new UsbDeviceError(`Apple’s driver writes bulk data to endpoint ${BULK_OUT_ENDPOINT} only, not ${endpointNumber}`, 'not-found');
    }
    if (data.byteLength > MAX_BULK_LENGTH) throw new UsbDeviceError('bulk writes go in chunks of at most 1 MiB', 'invalid-state');
    const buffer = new Uint8Array(data);
    const moved = await this.#ioctl('A bulk write', AppleIoctl.BulkOut, buffer, buffer);
    return moved === 'stall' ? { status: 'stall', bytesWritten: 0 } : { status: 'ok', bytesWritten: Math.min(moved, data.byteLength) };
  }

  /** USB port reset; the phone re-enumerates and comes back as a new device on the bus. */
  async reset(): Promise<void> {
    const moved = await this.#ioctl('Resetting the phone', AppleIoctl.ResetDevice, null, null);
    if (moved === 'stall') throw new UsbDeviceError('the phone refused the reset', 'io');
  }

  #requireOpen(): Win32Handle {
    if (this.#gone) throw new UsbDeviceError('the phone has left the USB bus', 'disconnected');
    if (this.#handle === null) throw new UsbDeviceError('the device is not open', 'not-open');
    return this.#handle;
  }

  /** Bytes the driver reports moved, or 'stall' when the phone refused the request (ERROR_GEN_FAILURE). */
  async #ioctl(operation: string, code: number, input: Uint8Array | null, output: Uint8Array | null): Promise<number | 'stall'> {
    const handle = this.#requireOpen();
    const bytes = new Uint32Array(1);
    const error = await this.#api.deviceIoControl(
      handle,
      code,
      input,
      input?.byteLength ?? 0,
      output,
      output?.byteLength ?? 0,
      bytes,
      TRANSFER_TIMEOUT_MS,
    );
    if (error === Win32Error.Success) return bytes[0]!;
    if (error === Win32Error.GenFailure) return 'stall';
    throw ioError(operation, error);
  }

  #closeHandle(): void {
    const handle = this.#handle;
    this.#handle = null;
    if (handle !== null) this.#api.closeHandle(handle);
  }
}

export type AppleDriverBusOptions = {
  /** The Win32 surface; on Windows the koffi bindings, loaded lazily. */
  loadApi: () => Promise<Win32Api>;
  pollMs?: number;
};

const WINDOWS_API_FIX =
  'Lifeline could not load the Windows component it uses to reach Apple’s driver. Reinstall Lifeline; if this keeps happening, send support a diagnostics file (“Export diagnostics”, or `lifeline diagnostics export`).';

export class AppleDriverBus implements UsbBus {
  readonly #options: AppleDriverBusOptions;
  #api: Win32Api | null = null;
  #status: UsbBusStatus = { state: 'ready', backend: 'apple-driver' };
  readonly #known = new Map<string, AppleDriverDevice>();
  readonly #listeners = new HotplugListeners();
  #survey: DriverSurveyEntry[] = [];
  readonly #surveyListeners = new Set<(survey: readonly DriverSurveyEntry[]) => void>();
  #timer: NodeJS.Timeout | null = null;
  #polls = 0;
  #nextId = 1;
  #closed = false;

  constructor(options: AppleDriverBusOptions) {
    this.#options = options;
  }

  /** Load the Win32 surface, list once and start polling. Never rejects. */
  async start(): Promise<UsbBusStatus> {
    if (this.#closed || this.#api) return this.#status;
    try {
      this.#api = await this.#options.loadApi();
    } catch (error) {
      const detail = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      this.#status = { state: 'unavailable', reason: 'library-failed', detail, fix: WINDOWS_API_FIX, backend: 'apple-driver' };
      return this.#status;
    }
    this.#poll(true);
    const interval = Math.max(10, this.#options.pollMs ?? APPLE_DRIVER_POLL_MS);
    this.#timer = setInterval(() => this.#poll(++this.#polls % SURVEY_EVERY_POLLS === 0), interval);
    this.#timer.unref();
    return this.#status;
  }

  /** Whether the Win32 surface loaded (false: the bus sees nothing, and status() says why). */
  get loaded(): boolean {
    return this.#api !== null;
  }

  /** Recovery/DFU phones on the USB bus and the driver each is bound to, as of the last survey. */
  driverSurvey(): readonly DriverSurveyEntry[] {
    return this.#survey;
  }

  /** Told after every driver survey (about once a second). */
  onSurvey(listener: (survey: readonly DriverSurveyEntry[]) => void): () => void {
    this.#surveyListeners.add(listener);
    return () => this.#surveyListeners.delete(listener);
  }

  /** The phones listed at the last poll, without polling again. */
  knownDevices(): AppleDriverDevice[] {
    return [...this.#known.values()];
  }

  status(): UsbBusStatus {
    return this.#status;
  }

  async getDevices(): Promise<AppleDriverDevice[]> {
    this.#poll(false);
    return [...this.#known.values()];
  }

  onConnect(callback: (device: UsbDeviceHandle) => void): () => void {
    return this.#listeners.onConnect(callback);
  }

  onDisconnect(callback: (device: UsbDeviceHandle) => void): () => void {
    return this.#listeners.onDisconnect(callback);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const device of this.#known.values()) device.markGone();
    this.#known.clear();
    this.#listeners.clear();
    this.#surveyListeners.clear();
  }

  #poll(survey: boolean): void {
    const api = this.#api;
    if (!api || this.#closed) return;
    if (survey) {
      const surveyed = surveyRescueDrivers(api);
      if (surveyed.ok) {
        this.#survey = surveyed.items;
        for (const listener of [...this.#surveyListeners]) listener(this.#survey);
      }
    }
    const listed = listAppleDriverInterfaces(api);
    if (!listed.ok) {
      this.#status = {
        state: 'unavailable',
        reason: 'no-usb-subsystem',
        detail: `${listed.step} failed: ${win32ErrorName(listed.error)}`,
        fix: 'Lifeline could not list USB devices through Windows. Unplug and reconnect the iPhone, then try again.',
        backend: 'apple-driver',
      };
      return;
    }
    this.#status = { state: 'ready', backend: 'apple-driver' };
    const present = new Set<string>();
    const arrived: AppleDriverDevice[] = [];
    for (const found of listed.items) {
      const key = found.path.toLowerCase();
      if (present.has(key)) continue;
      present.add(key);
      if (this.#known.has(key)) continue;
      const device = new AppleDriverDevice(api, found, `apple-driver:${this.#nextId++}`);
      this.#known.set(key, device);
      arrived.push(device);
    }
    for (const device of forgetUnseen(this.#known, present)) {
      device.markGone();
      this.#listeners.disconnected(device);
    }
    for (const device of arrived) this.#listeners.connected(device);
  }
}

/** Create and start the bus; resolves (never rejects) with status() telling whether it works. */
export async function openAppleDriverBus(options: AppleDriverBusOptions): Promise<AppleDriverBus> {
  const bus = new AppleDriverBus(options);
  await bus.start();
  return bus;
}
