/**
 * The 312-byte `usbip_usb_device` record of USB/IP v1.1.1 (Linux tools/usb/usbip), shared by OP_REP_DEVLIST and
 * OP_REP_IMPORT, plus the 4-byte per-interface entries that follow it in a device list. All integers big-endian.
 */
import { UsbipProtocolError } from './usbip-errors';

export const USBIP_DEVICE_RECORD_SIZE = 0x138;
export const USBIP_INTERFACE_RECORD_SIZE = 4;
const PATH_SIZE = 256;
const BUSID_SIZE = 32;

/** USB speeds as the kernel numbers them (enum usb_device_speed). */
export const USBIP_SPEED_HIGH = 3;

export type UsbipInterfaceRecord = { interfaceClass: number; interfaceSubClass: number; interfaceProtocol: number };

export type UsbipDeviceRecord = {
  path: string;
  /** "1-2": the port; stays the same across re-enumeration. */
  busid: string;
  busnum: number;
  /** Changes on every re-enumeration. */
  devnum: number;
  speed: number;
  vendorId: number;
  productId: number;
  bcdDevice: number;
  deviceClass: number;
  deviceSubClass: number;
  deviceProtocol: number;
  configurationValue: number;
  numConfigurations: number;
  numInterfaces: number;
};

function writeFixedString(target: Buffer, offset: number, size: number, value: string, field: string): void {
  const bytes = Buffer.from(value, 'latin1');
  // One byte is kept for the NUL the C side relies on.
  if (bytes.length >= size) throw new UsbipProtocolError(`${field} is longer than ${size - 1} bytes`);
  bytes.copy(target, offset);
}

function readFixedString(source: Buffer, offset: number, size: number): string {
  const field = source.subarray(offset, offset + size);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? size : nul).toString('latin1');
}

export function encodeDeviceRecord(record: UsbipDeviceRecord): Buffer {
  const b = Buffer.alloc(USBIP_DEVICE_RECORD_SIZE);
  writeFixedString(b, 0, PATH_SIZE, record.path, 'path');
  writeFixedString(b, PATH_SIZE, BUSID_SIZE, record.busid, 'busid');
  b.writeUInt32BE(record.busnum >>> 0, 0x120);
  b.writeUInt32BE(record.devnum >>> 0, 0x124);
  b.writeUInt32BE(record.speed >>> 0, 0x128);
  b.writeUInt16BE(record.vendorId & 0xffff, 0x12c);
  b.writeUInt16BE(record.productId & 0xffff, 0x12e);
  b.writeUInt16BE(record.bcdDevice & 0xffff, 0x130);
  b[0x132] = record.deviceClass & 0xff;
  b[0x133] = record.deviceSubClass & 0xff;
  b[0x134] = record.deviceProtocol & 0xff;
  b[0x135] = record.configurationValue & 0xff;
  b[0x136] = record.numConfigurations & 0xff;
  b[0x137] = record.numInterfaces & 0xff;
  return b;
}

export function decodeDeviceRecord(bytes: Buffer): UsbipDeviceRecord {
  if (bytes.length !== USBIP_DEVICE_RECORD_SIZE) {
    throw new UsbipProtocolError(`a device record is ${USBIP_DEVICE_RECORD_SIZE} bytes, got ${bytes.length}`);
  }
  return {
    path: readFixedString(bytes, 0, PATH_SIZE),
    busid: readFixedString(bytes, PATH_SIZE, BUSID_SIZE),
    busnum: bytes.readUInt32BE(0x120),
    devnum: bytes.readUInt32BE(0x124),
    speed: bytes.readUInt32BE(0x128),
    vendorId: bytes.readUInt16BE(0x12c),
    productId: bytes.readUInt16BE(0x12e),
    bcdDevice: bytes.readUInt16BE(0x130),
    deviceClass: bytes[0x132] ?? 0,
    deviceSubClass: bytes[0x133] ?? 0,
    deviceProtocol: bytes[0x134] ?? 0,
    configurationValue: bytes[0x135] ?? 0,
    numConfigurations: bytes[0x136] ?? 0,
    numInterfaces: bytes[0x137] ?? 0,
  };
}

export function encodeInterfaceRecord(record: UsbipInterfaceRecord): Buffer {
  return Buffer.from([record.interfaceClass & 0xff, record.interfaceSubClass & 0xff, record.interfaceProtocol & 0xff, 0]);
}

export function decodeInterfaceRecord(bytes: Buffer): UsbipInterfaceRecord {
  if (bytes.length !== USBIP_INTERFACE_RECORD_SIZE) throw new UsbipProtocolError('an interface record is 4 bytes');
  return { interfaceClass: bytes[0] ?? 0, interfaceSubClass: bytes[1] ?? 0, interfaceProtocol: bytes[2] ?? 0 };
}
