/**
 * The Win32 surface of a Windows PC with Apple's driver, over the virtual phones' USB personalities: SetupAPI lists them
 * under Apple's interface classes, CreateFile opens them, DeviceIoControl reaches their control and bulk endpoints. Each
 * behaviour follows docs/protocols/windows-apple-driver.md (Microsoft's contracts and the facts from libirecovery).
 */
import { UsbDeviceError, type UsbBus, type UsbControlSetup, type UsbDeviceHandle } from '../../usb/usb-bus';
import {
  APPLE_DFU_INTERFACE,
  APPLE_IBOOT_INTERFACE,
  AppleIoctl,
  CONTROL_SETUP_SIZE,
  DEVICE_PATH_OFFSET,
  DIGCF_ALLCLASSES,
  DIGCF_DEVICEINTERFACE,
  OPEN_EXISTING,
  SPDRP_HARDWAREID,
  SPDRP_LOCATION_INFORMATION,
  SPDRP_SERVICE,
  SPINT_ACTIVE,
  SP_DEVICE_INTERFACE_DATA_SIZE,
  SP_DEVICE_INTERFACE_DETAIL_DATA_W_SIZE,
  SP_DEVINFO_DATA_SIZE,
  Win32Error,
  guidBytes,
  type Win32Api,
  type Win32Handle,
} from '../../usb/win32-api';
import { SimUsbDevice } from '../hardware/sim-usb-device';

/** Which driver Windows bound to a phone: Apple's, a libusb-family one (Zadig), or none (Apple's is not installed). */
export type FakeDriverBinding = 'apple' | 'winusb' | 'libusbk' | 'none';

export type FakeAppleDriverOptions = {
  /** The virtual phones' USB side (a SimUsbBus). */
  bus: UsbBus;
  /** USB 2.0 attach debounce (TATTDB, 100 ms): a device is listed this long after it attaches. */
  enumerationDelayMs?: number;
  binding?: (device: SimUsbDevice) => FakeDriverBinding;
  /** Told when a device becomes visible in SetupAPI (the moment a poller can first see it). */
  onListed?: (device: SimUsbDevice) => void;
};

const SERVICE_NAMES: Record<Exclude<FakeDriverBinding, 'none'>, string> = { apple: 'USBAAPL64', winusb: 'WinUSB', libusbk: 'libusbK' };
const DFU_GUID = guidBytes(APPLE_DFU_INTERFACE);
const IBOOT_GUID = guidBytes(APPLE_IBOOT_INTERFACE);
const REQUEST_TYPES = ['standard', 'class', 'vendor'] as const;
const RECIPIENTS = ['device', 'interface', 'endpoint', 'other'] as const;

type DeviceNode = {
  device: SimUsbDevice;
  instance: number;
  listed: boolean;
  port: number;
};

type InfoSet = { kind: 'interfaces' | 'devices'; guid: Uint8Array | null; nodes: DeviceNode[]; destroyed: boolean };
type FileHandle = { node: DeviceNode; closed: boolean; prepared: boolean };

function sameGuid(a: Uint8Array, b: Uint8Array): boolean {
  return a.length >= 16 && b.length >= 16 && a.subarray(0, 16).every((byte, i) => byte === b[i]);
}

function interfaceClassOf(device: SimUsbDevice): Uint8Array | null {
  if (device.kind === 'dfu' || device.kind === 'wtf') return DFU_GUID;
  if (device.kind === 'recovery') return IBOOT_GUID;
  return null;
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}

/** The interface path Windows gives an Apple-driver phone (docs/protocols/windows-apple-driver.md#interface-paths). */
export function fakeInterfacePath(device: UsbDeviceHandle, classGuid: string): string {
  const serial = (device.serialNumber ?? '').toLowerCase().replace(/ /g, '_');
  return `\\\\?\\usb#vid_${hex4(device.vendorId)}&pid_${hex4(device.productId)}#${serial}#${classGuid.toLowerCase()}`;
}

function utf16z(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf16le');
}

export class FakeAppleDriver implements Win32Api {
  readonly #nodes = new Map<SimUsbDevice, DeviceNode>();
  readonly #sets = new Map<number, InfoSet>();
  readonly #files = new Map<number, FileHandle>();
  readonly #denied = new Set<SimUsbDevice>();
  readonly #binding: (device: SimUsbDevice) => FakeDriverBinding;
  readonly #delayMs: number;
  readonly #onListed: ((device: SimUsbDevice) => void) | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #unsubscribe: (() => void)[] = [];
  #nextHandle = 0x1000;
  #nextInstance = 1;
  #nextPort = 1;
  #lastError = 0;
  /** Every IOCTL the fake served, for tests: code and whether it succeeded. */
  readonly ioctls: { code: number; error: number }[] = [];

  private constructor(options: FakeAppleDriverOptions) {
    this.#binding = options.binding ?? (() => 'apple');
    this.#delayMs = options.enumerationDelayMs ?? 100;
    this.#onListed = options.onListed;
    this.#unsubscribe.push(
      options.bus.onConnect((device) => this.#attach(device, false)),
      options.bus.onDisconnect((device) => this.#detach(device)),
    );
  }

  /** A fake PC with the bus's current devices already enumerated. */
  static async start(options: FakeAppleDriverOptions): Promise<FakeAppleDriver> {
    const driver = new FakeAppleDriver(options);
    for (const device of await options.bus.getDevices()) driver.#attach(device, true);
    return driver;
  }

  /** CreateFile on this phone fails with ERROR_ACCESS_DENIED (another program holds it, or its security forbids access). */
  denyAccess(device: SimUsbDevice, denied = true): void {
    if (denied) this.#denied.add(device);
    else this.#denied.delete(device);
  }

  /** Interface paths currently listed under Apple's classes. */
  listedPaths(): string[] {
    return [...this.#nodes.values()].filter((n) => n.listed && this.#appleClass(n)).map((n) => this.#pathOf(n)!);
  }

  /** Open file handles not yet closed (leak checks). */
  openHandleCount(): number {
    return [...this.#files.values()].filter((f) => !f.closed).length;
  }

  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  // --- SetupAPI --------------------------------------------------------------------------------------------------

  setupDiGetClassDevs(classGuid: Uint8Array | null, enumerator: string | null, flags: number): Win32Handle | null {
    let set: InfoSet;
    if (flags & DIGCF_DEVICEINTERFACE) {
      if (!classGuid && !(flags & DIGCF_ALLCLASSES)) return this.#fail(Win32Error.InvalidParameter, null);
      const nodes = [...this.#nodes.values()].filter((n) => {
        const cls = this.#appleClass(n);
        return n.listed && cls !== null && (!classGuid || sameGuid(cls, classGuid));
      });
      set = { kind: 'interfaces', guid: classGuid, nodes, destroyed: false };
    } else {
      if (!classGuid && !(flags & DIGCF_ALLCLASSES)) return this.#fail(Win32Error.InvalidParameter, null);
      const underUsb = enumerator === null || enumerator.toUpperCase() === 'USB';
      const nodes = underUsb ? [...this.#nodes.values()].filter((n) => n.listed) : [];
      set = { kind: 'devices', guid: null, nodes, destroyed: false };
    }
    const handle = this.#nextHandle++;
    this.#sets.set(handle, set);
    return handle;
  }

  setupDiEnumDeviceInterfaces(setHandle: Win32Handle, classGuid: Uint8Array, memberIndex: number, interfaceData: Uint8Array): boolean {
    const set = this.#set(setHandle);
    if (!set) return this.#fail(Win32Error.InvalidHandle, false);
    if (!this.#hasCbSize(interfaceData, SP_DEVICE_INTERFACE_DATA_SIZE)) return this.#fail(Win32Error.InvalidUserBuffer, false);
    const nodes = set.kind === 'interfaces' ? set.nodes.filter((n) => sameGuid(this.#appleClass(n)!, classGuid)) : [];
    const node = nodes[memberIndex];
    if (!node) return this.#fail(Win32Error.NoMoreItems, false);
    interfaceData.set(classGuid.subarray(0, 16), 4);
    const view = new DataView(interfaceData.buffer, interfaceData.byteOffset, interfaceData.byteLength);
    view.setUint32(20, SPINT_ACTIVE, true);
    view.setBigUint64(24, BigInt(node.instance), true);
    return true;
  }

  setupDiGetDeviceInterfaceDetail(
    setHandle: Win32Handle,
    interfaceData: Uint8Array,
    detail: Uint8Array | null,
    detailSize: number,
    requiredSize: Uint32Array | null,
    deviceInfo: Uint8Array | null,
  ): boolean {
    const set = this.#set(setHandle);
    if (!set) return this.#fail(Win32Error.InvalidHandle, false);
    const node = this.#nodeFromReserved(set, interfaceData);
    if (!node) return this.#fail(Win32Error.InvalidParameter, false);
    const path = utf16z(this.#pathOf(node)!);
    const needed = DEVICE_PATH_OFFSET + path.length;
    if (requiredSize) requiredSize[0] = needed;
    if (detail === null) return this.#fail(detailSize === 0 ? Win32Error.InsufficientBuffer : Win32Error.InvalidUserBuffer, false);
    if (!this.#hasCbSize(detail, SP_DEVICE_INTERFACE_DETAIL_DATA_W_SIZE)) return this.#fail(Win32Error.InvalidUserBuffer, false);
    if (detailSize < needed || detail.byteLength < detailSize) return this.#fail(Win32Error.InsufficientBuffer, false);
    if (deviceInfo && !this.#writeDeviceInfo(deviceInfo, node)) return this.#fail(Win32Error.InvalidUserBuffer, false);
    detail.set(path, DEVICE_PATH_OFFSET);
    return true;
  }

  setupDiEnumDeviceInfo(setHandle: Win32Handle, memberIndex: number, deviceInfo: Uint8Array): boolean {
    const set = this.#set(setHandle);
    if (!set) return this.#fail(Win32Error.InvalidHandle, false);
    const node = set.nodes[memberIndex];
    if (!node) return this.#fail(Win32Error.NoMoreItems, false);
    if (!this.#writeDeviceInfo(deviceInfo, node)) return this.#fail(Win32Error.InvalidUserBuffer, false);
    return true;
  }

  setupDiGetDeviceRegistryProperty(
    setHandle: Win32Handle,
    deviceInfo: Uint8Array,
    property: number,
    buffer: Uint8Array | null,
    bufferSize: number,
    requiredSize: Uint32Array | null,
  ): boolean {
    const set = this.#set(setHandle);
    if (!set) return this.#fail(Win32Error.InvalidHandle, false);
    const node = this.#nodeFromReserved(set, deviceInfo);
    if (!node) return this.#fail(Win32Error.InvalidParameter, false);
    const value = this.#property(node, property);
    if (!value) return this.#fail(Win32Error.InvalidData, false);
    if (requiredSize) requiredSize[0] = value.length;
    if (!buffer || bufferSize < value.length || buffer.byteLength < bufferSize) return this.#fail(Win32Error.InsufficientBuffer, false);
    buffer.set(value, 0);
    return true;
  }

  setupDiDestroyDeviceInfoList(setHandle: Win32Handle): boolean {
    const set = this.#set(setHandle);
    if (!set) return this.#fail(Win32Error.InvalidHandle, false);
    set.destroyed = true;
    this.#sets.delete(Number(setHandle));
    return true;
  }

  // --- Files and I/O ---------------------------------------------------------------------------------------------

  createFile(path: string, _access: number, _shareMode: number, creationDisposition: number, _flags: number): Win32Handle | null {
    if (creationDisposition !== OPEN_EXISTING) return this.#fail(Win32Error.InvalidParameter, null);
    const node = [...this.#nodes.values()].find(
      (n) => n.listed && this.#appleClass(n) && this.#pathOf(n)!.toLowerCase() === path.toLowerCase(),
    );
    if (!node || !node.device.attached) return this.#fail(Win32Error.FileNotFound, null);
    if (this.#denied.has(node.device)) return this.#fail(Win32Error.AccessDenied, null);
    const handle = this.#nextHandle++;
    this.#files.set(handle, { node, closed: false, prepared: false });
    return handle;
  }

  async deviceIoControl(
    handle: Win32Handle,
    code: number,
    input: Uint8Array | null,
    inputSize: number,
    output: Uint8Array | null,
    outputSize: number,
    bytesReturned: Uint32Array,
    timeoutMs: number,
  ): Promise<number> {
    const error = await this.#withTimeout(this.#ioctl(handle, code, input, inputSize, output, outputSize, bytesReturned), timeoutMs);
    this.ioctls.push({ code, error });
    return error;
  }

  closeHandle(handle: Win32Handle): boolean {
    const file = this.#files.get(Number(handle));
    if (file && !file.closed) {
      file.closed = true;
      this.#files.delete(Number(handle));
      if (![...this.#files.values()].some((f) => f.node === file.node) && file.node.device.opened) void file.node.device.close();
      return true;
    }
    if (this.#sets.has(Number(handle))) return this.setupDiDestroyDeviceInfoList(handle);
    return this.#fail(Win32Error.InvalidHandle, false);
  }

  getLastError(): number {
    return this.#lastError;
  }

  // --- internals -------------------------------------------------------------------------------------------------

  #fail<T>(error: number, value: T): T {
    this.#lastError = error;
    return value;
  }

  #attach(device: UsbDeviceHandle, immediately: boolean): void {
    if (!(device instanceof SimUsbDevice) || this.#nodes.has(device)) return;
    const node: DeviceNode = { device, instance: this.#nextInstance++, listed: false, port: this.#portOf(device) };
    this.#nodes.set(device, node);
    const list = (): void => {
      if (!this.#nodes.has(device) || !device.attached) return;
      node.listed = true;
      this.#onListed?.(device);
    };
    if (immediately || this.#delayMs <= 0) {
      list();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      list();
    }, this.#delayMs);
    this.#timers.add(timer);
  }

  #detach(device: UsbDeviceHandle): void {
    if (device instanceof SimUsbDevice) this.#nodes.delete(device);
  }

  readonly #ports = new Map<string, number>();

  #portOf(device: SimUsbDevice): number {
    const known = this.#ports.get(device.location);
    if (known !== undefined) return known;
    const port = this.#nextPort++;
    this.#ports.set(device.location, port);
    return port;
  }

  #appleClass(node: DeviceNode): Uint8Array | null {
    return this.#binding(node.device) === 'apple' ? interfaceClassOf(node.device) : null;
  }

  #pathOf(node: DeviceNode): string | null {
    const cls = this.#appleClass(node);
    if (!cls) return null;
    return fakeInterfacePath(node.device, cls === DFU_GUID ? APPLE_DFU_INTERFACE : APPLE_IBOOT_INTERFACE);
  }

  #set(handle: Win32Handle): InfoSet | undefined {
    const set = this.#sets.get(Number(handle));
    return set && !set.destroyed ? set : undefined;
  }

  #hasCbSize(buffer: Uint8Array, size: number): boolean {
    return buffer.byteLength >= size && new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0, true) === size;
  }

  #writeDeviceInfo(deviceInfo: Uint8Array, node: DeviceNode): boolean {
    if (!this.#hasCbSize(deviceInfo, SP_DEVINFO_DATA_SIZE)) return false;
    const view = new DataView(deviceInfo.buffer, deviceInfo.byteOffset, deviceInfo.byteLength);
    deviceInfo.fill(0, 4, 20);
    view.setUint32(20, node.instance, true);
    view.setBigUint64(24, BigInt(node.instance), true);
    return true;
  }

  /** The Reserved field (offset 24) names the element, as SetupAPI's private pointer does. */
  #nodeFromReserved(set: InfoSet, data: Uint8Array): DeviceNode | undefined {
    if (data.byteLength < 32) return undefined;
    const instance = Number(new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(24, true));
    return set.nodes.find((n) => n.instance === instance);
  }

  #property(node: DeviceNode, property: number): Buffer | null {
    const { device } = node;
    if (property === SPDRP_HARDWAREID) {
      const id = `USB\\VID_${hex4(device.vendorId).toUpperCase()}&PID_${hex4(device.productId).toUpperCase()}`;
      return Buffer.from(`${id}&REV_0000\0${id}\0\0`, 'utf16le');
    }
    if (property === SPDRP_SERVICE) {
      const binding = this.#binding(device);
      return binding === 'none' ? null : utf16z(SERVICE_NAMES[binding]);
    }
    if (property === SPDRP_LOCATION_INFORMATION) return utf16z(`Port_#${String(node.port).padStart(4, '0')}.Hub_#0001`);
    return null;
  }

  async #withTimeout(work: Promise<number>, timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(Win32Error.OperationAborted), Math.max(0, timeoutMs));
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #ioctl(
    handle: Win32Handle,
    code: number,
    input: Uint8Array | null,
    inputSize: number,
    output: Uint8Array | null,
    outputSize: number,
    bytesReturned: Uint32Array,
  ): Promise<number> {
    const file = this.#files.get(Number(handle));
    if (!file || file.closed) return Win32Error.InvalidHandle;
    if ((input && input.byteLength < inputSize) || (!input && inputSize !== 0)) return Win32Error.InvalidParameter;
    if ((output && output.byteLength < outputSize) || (!output && outputSize !== 0)) return Win32Error.InvalidParameter;
    const { device } = file.node;
    if (!device.attached || !this.#nodes.has(device)) return Win32Error.DeviceNotConnected;
    try {
      await this.#prepare(file);
      switch (code) {
        case AppleIoctl.ControlTransfer:
          return await this.#control(device, input, inputSize, output, outputSize, bytesReturned);
        case AppleIoctl.BulkOut: {
          if (device.kind !== 'recovery') return Win32Error.InvalidFunction;
          const data = input ? input.subarray(0, inputSize) : new Uint8Array(0);
          const result = await device.transferOut(4, data);
          if (result.status !== 'ok') return Win32Error.GenFailure;
          bytesReturned[0] = result.bytesWritten;
          return Win32Error.Success;
        }
        case AppleIoctl.ResetDevice:
          await device.reset();
          bytesReturned[0] = 0;
          return Win32Error.Success;
        default:
          return Win32Error.InvalidFunction;
      }
    } catch (error) {
      if (error instanceof UsbDeviceError && error.code === 'disconnected') return Win32Error.DeviceNotConnected;
      return device.attached ? Win32Error.GenFailure : Win32Error.DeviceNotConnected;
    }
  }

  /** Apple's driver has configured the phone and owns its interfaces before any request arrives. */
  async #prepare(file: FileHandle): Promise<void> {
    if (file.prepared && file.node.device.opened) return;
    const { device } = file.node;
    if (!device.opened) await device.open();
    if (device.configurationValue !== 1) await device.selectConfiguration(1);
    await device.claimInterface(0);
    if (device.kind === 'recovery' && device.productId > 0x1281) await device.claimInterface(1);
    file.prepared = true;
  }

  async #control(
    device: SimUsbDevice,
    input: Uint8Array | null,
    inputSize: number,
    output: Uint8Array | null,
    outputSize: number,
    bytesReturned: Uint32Array,
  ): Promise<number> {
    if (!input || inputSize < CONTROL_SETUP_SIZE) return Win32Error.InvalidParameter;
    const view = new DataView(input.buffer, input.byteOffset, inputSize);
    const bmRequestType = view.getUint8(0);
    const length = view.getUint16(6, true);
    const typeBits = (bmRequestType >> 5) & 3;
    if (typeBits === 3) return Win32Error.InvalidParameter;
    const setup: UsbControlSetup = {
      requestType: REQUEST_TYPES[typeBits]!,
      recipient: RECIPIENTS[bmRequestType & 3]!,
      request: view.getUint8(1),
      value: view.getUint16(2, true),
      index: view.getUint16(4, true),
    };
    if (bmRequestType & 0x80) {
      if (!output || outputSize < CONTROL_SETUP_SIZE + length) return Win32Error.InsufficientBuffer;
      const result = await device.controlTransferIn(setup, length);
      if (result.status !== 'ok') return Win32Error.GenFailure;
      const data = result.data ? new Uint8Array(result.data.buffer, result.data.byteOffset, result.data.byteLength) : new Uint8Array(0);
      output.set(input.subarray(0, CONTROL_SETUP_SIZE), 0);
      output.set(data.subarray(0, length), CONTROL_SETUP_SIZE);
      bytesReturned[0] = CONTROL_SETUP_SIZE + Math.min(length, data.byteLength);
      return Win32Error.Success;
    }
    if (inputSize < CONTROL_SETUP_SIZE + length) return Win32Error.InvalidParameter;
    const payload = input.slice(CONTROL_SETUP_SIZE, CONTROL_SETUP_SIZE + length);
    const result = await device.controlTransferOut(setup, length > 0 ? payload : undefined);
    if (result.status !== 'ok') return Win32Error.GenFailure;
    if (output && outputSize >= CONTROL_SETUP_SIZE) output.set(input.subarray(0, CONTROL_SETUP_SIZE), 0);
    bytesReturned[0] = CONTROL_SETUP_SIZE + length;
    return Win32Error.Success;
  }
}
