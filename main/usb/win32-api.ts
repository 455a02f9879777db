/**
 * The Win32 surface the Apple-driver bus calls (docs/protocols/windows-apple-driver.md), as an interface so Windows passes
 * koffi bindings (win32-koffi) and tests pass the virtual phone's fake driver. Functions keep their Win32 contracts: a
 * false/null result means "failed, ask GetLastError", buffers are the caller's memory, structures use the 64-bit layouts.
 */

/** An opaque Win32 handle (HDEVINFO, HANDLE). `null` stands for INVALID_HANDLE_VALUE. */
export type Win32Handle = object | bigint | number;

export interface Win32Api {
  /** HDEVINFO for the present interfaces of one class (DIGCF_DEVICEINTERFACE) or the devices under an enumerator ("USB"). */
  setupDiGetClassDevs(classGuid: Uint8Array | null, enumerator: string | null, flags: number): Win32Handle | null;
  /** Fills an SP_DEVICE_INTERFACE_DATA (cbSize preset) with interface `memberIndex` of the set. */
  setupDiEnumDeviceInterfaces(set: Win32Handle, classGuid: Uint8Array, memberIndex: number, interfaceData: Uint8Array): boolean;
  /** Writes SP_DEVICE_INTERFACE_DETAIL_DATA_W (cbSize preset) into `detail`; `requiredSize[0]` gets the size it needs. */
  setupDiGetDeviceInterfaceDetail(
    set: Win32Handle,
    interfaceData: Uint8Array,
    detail: Uint8Array | null,
    detailSize: number,
    requiredSize: Uint32Array | null,
    deviceInfo: Uint8Array | null,
  ): boolean;
  /** Fills an SP_DEVINFO_DATA (cbSize preset) with device `memberIndex` of the set. */
  setupDiEnumDeviceInfo(set: Win32Handle, memberIndex: number, deviceInfo: Uint8Array): boolean;
  /** Reads one registry property (SPDRP_*) of a device as raw bytes. */
  setupDiGetDeviceRegistryProperty(
    set: Win32Handle,
    deviceInfo: Uint8Array,
    property: number,
    buffer: Uint8Array | null,
    bufferSize: number,
    requiredSize: Uint32Array | null,
  ): boolean;
  setupDiDestroyDeviceInfoList(set: Win32Handle): boolean;
  /** CreateFileW with no security attributes and no template; null = INVALID_HANDLE_VALUE. */
  createFile(path: string, access: number, shareMode: number, creationDisposition: number, flags: number): Win32Handle | null;
  /**
   * DeviceIoControl issued OVERLAPPED and awaited up to `timeoutMs`; on a timeout the request is cancelled (CancelIoEx) and
   * ends in ERROR_OPERATION_ABORTED. Resolves ERROR_SUCCESS (0) or the error code, read where the request completed (an
   * awaited call cannot leave it for a later GetLastError). `bytesReturned[0]` gets the count GetOverlappedResult reports.
   */
  deviceIoControl(
    handle: Win32Handle,
    ioControlCode: number,
    input: Uint8Array | null,
    inputSize: number,
    output: Uint8Array | null,
    outputSize: number,
    bytesReturned: Uint32Array,
    timeoutMs: number,
  ): Promise<number>;
  closeHandle(handle: Win32Handle): boolean;
  /** The error code of the last failed synchronous call above, read on the thread that made it. */
  getLastError(): number;
}

/** System error codes (learn.microsoft.com/windows/win32/debug/system-error-codes--0-499- and --1000-1299-). */
export const Win32Error = {
  Success: 0,
  InvalidFunction: 1,
  FileNotFound: 2,
  AccessDenied: 5,
  InvalidHandle: 6,
  InvalidData: 13,
  GenFailure: 31,
  SharingViolation: 32,
  InvalidParameter: 87,
  SemTimeout: 121,
  InsufficientBuffer: 122,
  NoMoreItems: 259,
  OperationAborted: 995,
  IoPending: 997,
  DeviceNotConnected: 1167,
  InvalidUserBuffer: 1784,
} as const;

export const DIGCF_PRESENT = 0x02;
export const DIGCF_ALLCLASSES = 0x04;
export const DIGCF_DEVICEINTERFACE = 0x10;
export const SPINT_ACTIVE = 0x01;
export const SPDRP_HARDWAREID = 0x01;
export const SPDRP_SERVICE = 0x04;
/** e.g. "Port_#0002.Hub_#0001". */
export const SPDRP_LOCATION_INFORMATION = 0x0d;
export const GENERIC_READ = 0x8000_0000;
export const GENERIC_WRITE = 0x4000_0000;
export const FILE_SHARE_READ = 0x01;
export const FILE_SHARE_WRITE = 0x02;
export const OPEN_EXISTING = 3;
export const FILE_FLAG_OVERLAPPED = 0x4000_0000;

/** 64-bit structure sizes (Lifeline ships x64 and arm64 only). */
export const SP_DEVICE_INTERFACE_DATA_SIZE = 32;
export const SP_DEVINFO_DATA_SIZE = 32;
/** sizeof(SP_DEVICE_INTERFACE_DETAIL_DATA_W): DWORD cbSize + WCHAR[1], padded to 8. DevicePath starts at offset 4. */
export const SP_DEVICE_INTERFACE_DETAIL_DATA_W_SIZE = 8;
export const DEVICE_PATH_OFFSET = 4;

/** Apple's driver: I/O control codes (docs/protocols/windows-apple-driver.md#io-control-codes). */
export const AppleIoctl = {
  /** 8-byte setup packet + data, the same buffer in and out; returns 8 + bytes moved. */
  ControlTransfer: 0x0022_00a0,
  /** Bulk OUT to endpoint 0x04 (recovery uploads): the data in, the same buffer out; returns the bytes written. */
  BulkOut: 0x0022_01b6,
  /** USB port reset; no buffers. The phone re-enumerates. */
  ResetDevice: 0x0022_000c,
} as const;

/** Size of the setup packet at the front of a ControlTransfer buffer. */
export const CONTROL_SETUP_SIZE = 8;

/** A GUID in its in-memory byte order (Data1..Data3 little-endian). */
export function guidBytes(text: string): Uint8Array {
  const match = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i.exec(text);
  if (!match) throw new Error(`not a GUID: ${text.slice(0, 60)}`);
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32LE(Number.parseInt(match[1]!, 16), 0);
  bytes.writeUInt16LE(Number.parseInt(match[2]!, 16), 4);
  bytes.writeUInt16LE(Number.parseInt(match[3]!, 16), 6);
  Buffer.from(match[4]! + match[5]!, 'hex').copy(bytes, 8);
  return new Uint8Array(bytes);
}

/** Device interface classes Apple's driver registers (docs/protocols/windows-apple-driver.md#interface-classes). */
export const APPLE_DFU_INTERFACE = '{B8085869-FEB9-404B-8CB1-1E5C14FA8C54}';
export const APPLE_IBOOT_INTERFACE = '{ED82A167-D61A-4AF6-9AB6-11E52236C576}';

/** Win32 service names of the libusb-family drivers (WinUSB, libusbK, libusb-win32). */
export const LIBUSB_FAMILY_SERVICES: ReadonlySet<string> = new Set(['winusb', 'libusbk', 'libusb0']);
