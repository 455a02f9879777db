import type { ByteReader, ReadOptions } from '../wire/byte-reader';
import { decodePlist, encodeXmlPlist } from '../plist/plist-codec';
import { isPlistDict } from '../plist/plist-value';
import type { PlistDict, PlistValue } from '../plist/plist-value';

// docs/protocols/usbmux.md#message-header: every usbmuxd message starts with four little-endian u32s.
export const USBMUX_HEADER_SIZE = 16;
/** Upper bound for one usbmuxd message (header included); the plist protocol never needs more. */
export const USBMUX_MAX_MESSAGE = 1024 * 1024;

export const UsbmuxVersion = { Binary: 0, Plist: 1 } as const;

export const UsbmuxMessageType = {
  Result: 1,
  Connect: 2,
  Listen: 3,
  DeviceAdd: 4,
  DeviceRemove: 5,
  DevicePaired: 6,
  Plist: 8,
} as const;

export const UsbmuxResult = {
  Ok: 0,
  BadCommand: 1,
  BadDevice: 2,
  ConnectionRefused: 3,
  NoSuchService: 4,
  BadVersion: 6,
} as const;

// docs/protocols/usbmux.md#message-header: pair-record commands answer with a positive errno.
export const UsbmuxErrno = { ENOENT: 2, EINVAL: 22 } as const;

export type UsbmuxHeader = { length: number; version: number; message: number; tag: number };

export class UsbmuxProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsbmuxProtocolError';
  }
}

export function encodeUsbmuxHeader(header: UsbmuxHeader): Buffer {
  const out = Buffer.alloc(USBMUX_HEADER_SIZE);
  out.writeUInt32LE(header.length >>> 0, 0);
  out.writeUInt32LE(header.version >>> 0, 4);
  out.writeUInt32LE(header.message >>> 0, 8);
  out.writeUInt32LE(header.tag >>> 0, 12);
  return out;
}

/** Parses and bounds-checks a header; throws UsbmuxProtocolError for lengths outside [16, maxLength]. */
export function decodeUsbmuxHeader(bytes: Uint8Array, maxLength = USBMUX_MAX_MESSAGE): UsbmuxHeader {
  if (bytes.length < USBMUX_HEADER_SIZE) throw new UsbmuxProtocolError(`usbmux header too short (${bytes.length} bytes)`);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, USBMUX_HEADER_SIZE);
  const header: UsbmuxHeader = {
    length: view.readUInt32LE(0),
    version: view.readUInt32LE(4),
    message: view.readUInt32LE(8),
    tag: view.readUInt32LE(12),
  };
  if (header.length < USBMUX_HEADER_SIZE) throw new UsbmuxProtocolError(`usbmux length ${header.length} is below the header size`);
  if (header.length > maxLength) throw new UsbmuxProtocolError(`usbmux length ${header.length} exceeds ${maxLength}`);
  return header;
}

/** Header and payload in ONE buffer: libusbmuxd reads the header with a single recv (docs/protocols/usbmux.md#client-behaviour). */
export function encodeUsbmuxPacket(fields: Omit<UsbmuxHeader, 'length'>, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(USBMUX_HEADER_SIZE + payload.length);
  encodeUsbmuxHeader({ ...fields, length: out.length }).copy(out, 0);
  out.set(payload, USBMUX_HEADER_SIZE);
  return out;
}

export function encodeUsbmuxPlist(tag: number, dict: PlistDict): Buffer {
  return encodeUsbmuxPacket({ version: UsbmuxVersion.Plist, message: UsbmuxMessageType.Plist, tag }, encodeXmlPlist(dict));
}

export function usbmuxResultDict(code: number): PlistDict {
  return { MessageType: 'Result', Number: code };
}

export type UsbmuxPacket = { header: UsbmuxHeader; payload: Buffer };

/** Reads one message; rejects UsbmuxProtocolError for bad lengths before reading the payload. */
export async function readUsbmuxPacket(reader: ByteReader, options: ReadOptions & { maxLength?: number } = {}): Promise<UsbmuxPacket> {
  const head = await reader.read(USBMUX_HEADER_SIZE, options);
  const header = decodeUsbmuxHeader(head, options.maxLength ?? USBMUX_MAX_MESSAGE);
  const payload = await reader.read(header.length - USBMUX_HEADER_SIZE, options);
  return { header, payload };
}

/** Decodes a plist-protocol payload; anything but a dict is a protocol error. */
export function decodeUsbmuxPlist(payload: Uint8Array): PlistDict {
  let value: PlistValue;
  try {
    value = decodePlist(payload, { maxBytes: USBMUX_MAX_MESSAGE, maxObjects: 100_000, maxDepth: 32 });
  } catch (error) {
    throw new UsbmuxProtocolError(`usbmux plist payload unreadable: ${(error as Error).message}`);
  }
  if (!isPlistDict(value)) throw new UsbmuxProtocolError('usbmux plist payload is not a dictionary');
  return value;
}

// docs/protocols/usbmux.md#port-byte-order: PortNumber travels as the htons() value read as a host integer.
export function swapPort(port: number): number {
  return ((port & 0xff) << 8) | ((port >> 8) & 0xff);
}

/** Integer from a plist field, or undefined when absent / not a non-negative safe integer. */
export function plistUint(value: PlistValue | undefined): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return undefined;
}

// ---- Binary protocol (header version 0), for ancient clients ----

export const USBMUX_BINARY_DEVICE_RECORD_SIZE = 268;

export type UsbmuxBinaryConnect = { deviceId: number; port: number };

/** Connect payload: u32 device id, u16 port in network byte order, u16 reserved. */
export function decodeBinaryConnect(payload: Uint8Array): UsbmuxBinaryConnect {
  if (payload.length < 8) throw new UsbmuxProtocolError('binary Connect payload too short');
  const view = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  return { deviceId: view.readUInt32LE(0), port: view.readUInt16BE(4) };
}

export function encodeBinaryConnect(request: UsbmuxBinaryConnect): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(request.deviceId >>> 0, 0);
  out.writeUInt16BE(request.port & 0xffff, 4);
  return out;
}

export function encodeBinaryResult(code: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(code >>> 0, 0);
  return out;
}

export type UsbmuxBinaryDevice = { deviceId: number; productId: number; serialNumber: string; location: number };

export function encodeBinaryDeviceRecord(device: UsbmuxBinaryDevice): Buffer {
  const out = Buffer.alloc(USBMUX_BINARY_DEVICE_RECORD_SIZE);
  out.writeUInt32LE(device.deviceId >>> 0, 0);
  out.writeUInt16LE(device.productId & 0xffff, 4);
  out.write(device.serialNumber.slice(0, 255), 6, 'latin1');
  out.writeUInt32LE(device.location >>> 0, 264);
  return out;
}

export function decodeBinaryDeviceRecord(payload: Uint8Array): UsbmuxBinaryDevice {
  if (payload.length < USBMUX_BINARY_DEVICE_RECORD_SIZE) throw new UsbmuxProtocolError('binary device record too short');
  const view = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const serialBytes = view.subarray(6, 262);
  const nul = serialBytes.indexOf(0);
  return {
    deviceId: view.readUInt32LE(0),
    productId: view.readUInt16LE(4),
    serialNumber: serialBytes.subarray(0, nul < 0 ? serialBytes.length : nul).toString('latin1'),
    location: view.readUInt32LE(264),
  };
}
