/**
 * USB/IP v1.1.1 operations (before a connection is handed to the URB layer): OP_REQ/REP_DEVLIST and
 * OP_REQ/REP_IMPORT. Header = version u16, code u16, status u32 (big-endian).
 */
import type { ByteReader, ReadOptions } from '../wire/byte-reader';
import {
  USBIP_DEVICE_RECORD_SIZE,
  USBIP_INTERFACE_RECORD_SIZE,
  decodeDeviceRecord,
  decodeInterfaceRecord,
  encodeDeviceRecord,
  encodeInterfaceRecord,
  type UsbipDeviceRecord,
  type UsbipInterfaceRecord,
} from './usbip-device-record';
import { UsbipProtocolError } from './usbip-errors';

export const USBIP_VERSION = 0x0111;
export const OP_REQ_DEVLIST = 0x8005;
export const OP_REP_DEVLIST = 0x0005;
export const OP_REQ_IMPORT = 0x8003;
export const OP_REP_IMPORT = 0x0003;
export const OP_HEADER_SIZE = 8;
const BUSID_FIELD_SIZE = 32;
/** Any sane host exports a handful of devices; more than this is refused rather than read. */
export const MAX_DEVLIST_DEVICES = 64;

/** OP status values the Linux tools use (usbip_common.h ST_*). */
export const OP_STATUS_OK = 0;
export const OP_STATUS_NA = 1;
export const OP_STATUS_DEV_BUSY = 2;
export const OP_STATUS_DEV_ERR = 3;
export const OP_STATUS_NODEV = 4;
export const OP_STATUS_ERROR = 5;

export type UsbipDevlistEntry = UsbipDeviceRecord & { interfaces: UsbipInterfaceRecord[] };

export type UsbipOpRequest = { kind: 'devlist' } | { kind: 'import'; busid: string };

export type UsbipImportReply = { status: number; device?: UsbipDeviceRecord };

function opHeader(code: number, status: number): Buffer {
  const b = Buffer.alloc(OP_HEADER_SIZE);
  b.writeUInt16BE(USBIP_VERSION, 0);
  b.writeUInt16BE(code, 2);
  b.writeUInt32BE(status >>> 0, 4);
  return b;
}

export function encodeDevlistRequest(): Buffer {
  return opHeader(OP_REQ_DEVLIST, 0);
}

export function encodeImportRequest(busid: string): Buffer {
  const bytes = Buffer.from(busid, 'latin1');
  if (bytes.length >= BUSID_FIELD_SIZE) throw new UsbipProtocolError('busid is longer than 31 bytes');
  const body = Buffer.alloc(BUSID_FIELD_SIZE);
  bytes.copy(body);
  return Buffer.concat([opHeader(OP_REQ_IMPORT, 0), body]);
}

export function encodeDevlistReply(devices: readonly UsbipDevlistEntry[]): Buffer {
  if (devices.length > MAX_DEVLIST_DEVICES) throw new UsbipProtocolError(`at most ${MAX_DEVLIST_DEVICES} devices per list`);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(devices.length, 0);
  const parts: Buffer[] = [opHeader(OP_REP_DEVLIST, OP_STATUS_OK), count];
  for (const device of devices) {
    if (device.interfaces.length !== device.numInterfaces) {
      throw new UsbipProtocolError('numInterfaces must equal the number of interface records');
    }
    parts.push(encodeDeviceRecord(device), ...device.interfaces.map(encodeInterfaceRecord));
  }
  return Buffer.concat(parts);
}

/** The kernel's usbipd sends only the header when it refuses; the record follows only on success. */
export function encodeImportReply(reply: UsbipImportReply): Buffer {
  if (reply.status !== OP_STATUS_OK) return opHeader(OP_REP_IMPORT, reply.status);
  if (!reply.device) throw new UsbipProtocolError('a successful import reply carries the device');
  return Buffer.concat([opHeader(OP_REP_IMPORT, OP_STATUS_OK), encodeDeviceRecord(reply.device)]);
}

function checkHeader(header: Buffer, allowed: readonly number[]): { code: number; status: number } {
  const version = header.readUInt16BE(0);
  const code = header.readUInt16BE(2);
  // usbip 1.1.1 peers send 0x0111; older tools sent 0x0106 with the same layout.
  if (version !== USBIP_VERSION && version !== 0x0106) {
    throw new UsbipProtocolError(`unsupported USB/IP version 0x${version.toString(16)}`);
  }
  if (!allowed.includes(code)) throw new UsbipProtocolError(`unexpected operation 0x${code.toString(16).padStart(4, '0')}`);
  return { code, status: header.readUInt32BE(4) };
}

/** Server side: the first message of a connection. */
export async function readOpRequest(reader: ByteReader, options: ReadOptions = {}): Promise<UsbipOpRequest> {
  const { code } = checkHeader(await reader.read(OP_HEADER_SIZE, options), [OP_REQ_DEVLIST, OP_REQ_IMPORT]);
  if (code === OP_REQ_DEVLIST) return { kind: 'devlist' };
  const body = await reader.read(BUSID_FIELD_SIZE, options);
  const nul = body.indexOf(0);
  return { kind: 'import', busid: body.subarray(0, nul === -1 ? BUSID_FIELD_SIZE : nul).toString('latin1') };
}

/** Client side: the answer to OP_REQ_DEVLIST. A device count above `maxDevices` is refused before reading on. */
export async function readDevlistReply(
  reader: ByteReader,
  options: ReadOptions & { maxDevices?: number } = {},
): Promise<UsbipDevlistEntry[]> {
  const { status } = checkHeader(await reader.read(OP_HEADER_SIZE, options), [OP_REP_DEVLIST]);
  if (status !== OP_STATUS_OK) throw new UsbipProtocolError(`the server refused the device list (status ${status})`);
  const count = (await reader.read(4, options)).readUInt32BE(0);
  const max = options.maxDevices ?? MAX_DEVLIST_DEVICES;
  if (count > max) throw new UsbipProtocolError(`the server lists ${count} devices; at most ${max} are accepted`);
  const devices: UsbipDevlistEntry[] = [];
  for (let i = 0; i < count; i++) {
    const record = decodeDeviceRecord(await reader.read(USBIP_DEVICE_RECORD_SIZE, options));
    const interfaces: UsbipInterfaceRecord[] = [];
    // bNumInterfaces is one byte, so this is bounded (255 × 4 bytes).
    for (let j = 0; j < record.numInterfaces; j++) {
      interfaces.push(decodeInterfaceRecord(await reader.read(USBIP_INTERFACE_RECORD_SIZE, options)));
    }
    devices.push({ ...record, interfaces });
  }
  return devices;
}

/** Client side: the answer to OP_REQ_IMPORT. */
export async function readImportReply(reader: ByteReader, options: ReadOptions = {}): Promise<UsbipImportReply> {
  const { status } = checkHeader(await reader.read(OP_HEADER_SIZE, options), [OP_REP_IMPORT]);
  if (status !== OP_STATUS_OK) return { status };
  return { status, device: decodeDeviceRecord(await reader.read(USBIP_DEVICE_RECORD_SIZE, options)) };
}
