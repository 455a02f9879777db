/**
 * SetupAPI walks for the Apple-driver bus (docs/protocols/windows-apple-driver.md#finding-phones): the present interfaces
 * of Apple's DFU and iBoot classes, and a survey of which driver each recovery/DFU phone on the USB bus is bound to.
 */
import { APPLE_VENDOR_ID, DFU_PRODUCT_ID, WTF_PRODUCT_ID, isRecoveryProductId } from './apple-usb-ids';
import {
  APPLE_DFU_INTERFACE,
  APPLE_IBOOT_INTERFACE,
  DEVICE_PATH_OFFSET,
  DIGCF_ALLCLASSES,
  DIGCF_DEVICEINTERFACE,
  DIGCF_PRESENT,
  SPDRP_HARDWAREID,
  SPDRP_LOCATION_INFORMATION,
  SPDRP_SERVICE,
  SP_DEVICE_INTERFACE_DATA_SIZE,
  SP_DEVICE_INTERFACE_DETAIL_DATA_W_SIZE,
  SP_DEVINFO_DATA_SIZE,
  Win32Error,
  guidBytes,
  type Win32Api,
  type Win32Handle,
} from './win32-api';

/** Bounds on what SetupAPI hands back: more phones than this on one computer is not a rescue scenario. */
const MAX_INTERFACES_PER_CLASS = 32;
const MAX_USB_DEVICES = 512;
const MAX_PATH_BYTES = 4096;
const MAX_PROPERTY_BYTES = 2048;

export type AppleInterfaceClass = 'dfu' | 'iboot';

export type AppleDriverInterface = {
  path: string;
  interfaceClass: AppleInterfaceClass;
  vendorId: number;
  productId: number;
  /** SPDRP_LOCATION_INFORMATION of the device behind the interface, when Windows has one. */
  locationInfo?: string;
};

export type DriverSurveyEntry = {
  productId: number;
  /** The Win32 service (driver) bound to the device; null when none is installed for it. */
  service: string | null;
};

export type EnumerationResult<T> = { ok: true; items: T[] } | { ok: false; error: number; step: string };

const CLASSES: readonly { interfaceClass: AppleInterfaceClass; guid: Uint8Array; accepts: (pid: number) => boolean }[] = [
  { interfaceClass: 'dfu', guid: guidBytes(APPLE_DFU_INTERFACE), accepts: (pid) => pid === DFU_PRODUCT_ID || pid === WTF_PRODUCT_ID },
  { interfaceClass: 'iboot', guid: guidBytes(APPLE_IBOOT_INTERFACE), accepts: isRecoveryProductId },
];

/** `\\?\usb#vid_05ac&pid_1281#…`: vendor and product id from an interface path. */
export function idsFromInterfacePath(path: string): { vendorId: number; productId: number } | null {
  const match = /^\\\\\?\\[a-z0-9]{1,16}#vid_([0-9a-f]{4})&pid_([0-9a-f]{4})/i.exec(path);
  if (!match) return null;
  return { vendorId: Number.parseInt(match[1]!, 16), productId: Number.parseInt(match[2]!, 16) };
}

function isRescueProductId(productId: number): boolean {
  return CLASSES.some((c) => c.accepts(productId));
}

function utf16z(bytes: Uint8Array, offset: number, end: number): string {
  let text = '';
  for (let i = offset; i + 1 < end; i += 2) {
    const unit = bytes[i]! | (bytes[i + 1]! << 8);
    if (unit === 0) break;
    text += String.fromCharCode(unit);
  }
  return text;
}

/** REG_SZ / REG_MULTI_SZ in UTF-16LE → its strings. */
function multiString(bytes: Uint8Array): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const unit = bytes[i]! | (bytes[i + 1]! << 8);
    if (unit === 0) {
      if (current === '') break;
      out.push(current);
      current = '';
    } else current += String.fromCharCode(unit);
  }
  if (current !== '') out.push(current);
  return out;
}

function withSet<T>(api: Win32Api, set: Win32Handle, walk: () => EnumerationResult<T>): EnumerationResult<T> {
  try {
    return walk();
  } finally {
    api.setupDiDestroyDeviceInfoList(set);
  }
}

/** One registry property as bytes; null when the device has none (ERROR_INVALID_DATA) or it is unreadable. */
function readProperty(api: Win32Api, set: Win32Handle, deviceInfo: Uint8Array, property: number): Uint8Array | null {
  const required = new Uint32Array(1);
  if (!api.setupDiGetDeviceRegistryProperty(set, deviceInfo, property, null, 0, required)) {
    if (api.getLastError() !== Win32Error.InsufficientBuffer) return null;
  }
  const size = required[0]!;
  if (size === 0 || size > MAX_PROPERTY_BYTES) return null;
  const buffer = new Uint8Array(size);
  if (!api.setupDiGetDeviceRegistryProperty(set, deviceInfo, property, buffer, size, required)) return null;
  return buffer.subarray(0, Math.min(size, required[0]!));
}

/** The interface path (two-call pattern: ask the size, then read), and the device behind it. */
function readInterfacePath(api: Win32Api, set: Win32Handle, interfaceData: Uint8Array, deviceInfo: Uint8Array): string | null {
  const required = new Uint32Array(1);
  if (api.setupDiGetDeviceInterfaceDetail(set, interfaceData, null, 0, required, null)) return null;
  if (api.getLastError() !== Win32Error.InsufficientBuffer) return null;
  const size = required[0]!;
  if (size <= DEVICE_PATH_OFFSET || size > MAX_PATH_BYTES) return null;
  const detail = new Uint8Array(size);
  new DataView(detail.buffer).setUint32(0, SP_DEVICE_INTERFACE_DETAIL_DATA_W_SIZE, true);
  if (!api.setupDiGetDeviceInterfaceDetail(set, interfaceData, detail, size, required, deviceInfo)) return null;
  return utf16z(detail, DEVICE_PATH_OFFSET, size);
}

function presetSize(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, size, true);
  return bytes;
}

/** Present interfaces of Apple's DFU and iBoot classes whose product id fits the class (a phone in that mode). */
export function listAppleDriverInterfaces(api: Win32Api): EnumerationResult<AppleDriverInterface> {
  const items: AppleDriverInterface[] = [];
  for (const cls of CLASSES) {
    const set = api.setupDiGetClassDevs(cls.guid, null, DIGCF_PRESENT | DIGCF_DEVICEINTERFACE);
    if (set === null) return { ok: false, error: api.getLastError(), step: 'SetupDiGetClassDevs' };
    const result = withSet(api, set, (): EnumerationResult<AppleDriverInterface> => {
      const found: AppleDriverInterface[] = [];
      for (let index = 0; index < MAX_INTERFACES_PER_CLASS; index++) {
        const interfaceData = presetSize(SP_DEVICE_INTERFACE_DATA_SIZE);
        if (!api.setupDiEnumDeviceInterfaces(set, cls.guid, index, interfaceData)) {
          const error = api.getLastError();
          if (error === Win32Error.NoMoreItems) break;
          return { ok: false, error, step: 'SetupDiEnumDeviceInterfaces' };
        }
        const deviceInfo = presetSize(SP_DEVINFO_DATA_SIZE);
        const path = readInterfacePath(api, set, interfaceData, deviceInfo);
        if (path === null) continue;
        const ids = idsFromInterfacePath(path);
        if (!ids || ids.vendorId !== APPLE_VENDOR_ID || !cls.accepts(ids.productId)) continue;
        const entry: AppleDriverInterface = { path, interfaceClass: cls.interfaceClass, ...ids };
        const location = readProperty(api, set, deviceInfo, SPDRP_LOCATION_INFORMATION);
        const locationText = location ? multiString(location)[0] : undefined;
        if (locationText !== undefined) entry.locationInfo = locationText.slice(0, 128);
        found.push(entry);
      }
      return { ok: true, items: found };
    });
    if (!result.ok) return result;
    items.push(...result.items);
  }
  return { ok: true, items };
}

/** Recovery/DFU phones on the USB bus and the driver service each is bound to (docs/protocols/windows-apple-driver.md#driver-survey). */
export function surveyRescueDrivers(api: Win32Api): EnumerationResult<DriverSurveyEntry> {
  const set = api.setupDiGetClassDevs(null, 'USB', DIGCF_PRESENT | DIGCF_ALLCLASSES);
  if (set === null) return { ok: false, error: api.getLastError(), step: 'SetupDiGetClassDevs' };
  return withSet(api, set, () => {
    const items: DriverSurveyEntry[] = [];
    for (let index = 0; index < MAX_USB_DEVICES; index++) {
      const deviceInfo = presetSize(SP_DEVINFO_DATA_SIZE);
      if (!api.setupDiEnumDeviceInfo(set, index, deviceInfo)) {
        const error = api.getLastError();
        if (error === Win32Error.NoMoreItems) break;
        return { ok: false, error, step: 'SetupDiEnumDeviceInfo' };
      }
      const hardwareIds = readProperty(api, set, deviceInfo, SPDRP_HARDWAREID);
      if (!hardwareIds) continue;
      const ids = multiString(hardwareIds)
        .map((id) => /^USB\\VID_([0-9A-F]{4})&PID_([0-9A-F]{4})/i.exec(id))
        .find((m) => m !== null);
      if (!ids) continue;
      const vendorId = Number.parseInt(ids[1]!, 16);
      const productId = Number.parseInt(ids[2]!, 16);
      if (vendorId !== APPLE_VENDOR_ID || !isRescueProductId(productId)) continue;
      const service = readProperty(api, set, deviceInfo, SPDRP_SERVICE);
      const name = service ? multiString(service)[0] : undefined;
      items.push({ productId, service: name ? name.slice(0, 64) : null });
    }
    return { ok: true, items };
  });
}
