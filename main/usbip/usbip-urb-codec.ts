/**
 * USB/IP v1.1.1 URB messages after a successful import: USBIP_CMD_SUBMIT / RET_SUBMIT, CMD_UNLINK / RET_UNLINK.
 * Every message starts with a 48-byte header (20-byte basic header + 28 command-specific bytes), big-endian.
 * OUT data follows CMD_SUBMIT; IN data follows RET_SUBMIT. Isochronous transfers are not supported (iPhones in
 * DFU / recovery use control and bulk only) and are refused.
 */
import type { ByteReader, ReadOptions } from '../wire/byte-reader';
import { UsbipProtocolError } from './usbip-errors';

export const USBIP_CMD_SUBMIT = 1;
export const USBIP_CMD_UNLINK = 2;
export const USBIP_RET_SUBMIT = 3;
export const USBIP_RET_UNLINK = 4;
export const URB_HEADER_SIZE = 48;
export const USBIP_DIR_OUT = 0;
export const USBIP_DIR_IN = 1;
/** Linux URB_DIR_IN transfer flag. */
export const URB_DIR_IN_FLAG = 0x200;
/** number_of_packets of a non-isochronous URB (the kernel writes -1; some peers write 0). */
const NOT_ISO = 0xffffffff;
/** Largest transfer buffer accepted in either direction; libirecovery sends 0x8000-byte bulk chunks. */
export const MAX_URB_TRANSFER_BYTES = 1024 * 1024;

/** Negative errno values carried in RET_SUBMIT / RET_UNLINK status (Linux numbering, as on the wire). */
export const URB_STATUS = {
  ok: 0,
  noent: -2,
  io: -5,
  nodev: -19,
  pipe: -32,
  proto: -71,
  overflow: -75,
  connreset: -104,
  shutdown: -108,
  timedout: -110,
  remoteio: -121,
} as const;

export type UsbipDirection = 'in' | 'out';

type UrbBase = { seqnum: number; devid: number; direction: UsbipDirection; ep: number };

export type UsbipCmdSubmit = UrbBase & {
  command: 'submit';
  transferFlags: number;
  transferBufferLength: number;
  interval: number;
  /** 8 bytes; all zero for non-control endpoints. */
  setup: Buffer;
  /** OUT data (exactly transferBufferLength bytes); absent for IN. */
  data?: Buffer;
};

export type UsbipCmdUnlink = UrbBase & { command: 'unlink'; unlinkSeqnum: number };

export type UsbipRetSubmit = UrbBase & {
  command: 'ret-submit';
  status: number;
  actualLength: number;
  errorCount: number;
  /** IN data (exactly actualLength bytes); absent for OUT. */
  data?: Buffer;
};

export type UsbipRetUnlink = UrbBase & { command: 'ret-unlink'; status: number };

export type UsbipUrbCommand = UsbipCmdSubmit | UsbipCmdUnlink;
export type UsbipUrbReply = UsbipRetSubmit | UsbipRetUnlink;
export type UsbipUrbMessage = UsbipUrbCommand | UsbipUrbReply;

export type UrbReadOptions = ReadOptions & { maxTransferBytes?: number };

function header(code: number, base: UrbBase): Buffer {
  const b = Buffer.alloc(URB_HEADER_SIZE);
  b.writeUInt32BE(code, 0);
  b.writeUInt32BE(base.seqnum >>> 0, 4);
  b.writeUInt32BE(base.devid >>> 0, 8);
  b.writeUInt32BE(base.direction === 'in' ? USBIP_DIR_IN : USBIP_DIR_OUT, 12);
  b.writeUInt32BE(base.ep >>> 0, 16);
  return b;
}

function checkLength(length: number, max: number, what: string): void {
  if (!Number.isInteger(length) || length < 0 || length > max) {
    throw new UsbipProtocolError(`${what} of ${length} bytes is outside 0…${max}`);
  }
}

export function encodeUrb(message: UsbipUrbMessage): Buffer {
  switch (message.command) {
    case 'submit': {
      const b = header(USBIP_CMD_SUBMIT, message);
      checkLength(message.transferBufferLength, MAX_URB_TRANSFER_BYTES, 'a transfer');
      b.writeUInt32BE(message.transferFlags >>> 0, 20);
      b.writeInt32BE(message.transferBufferLength, 24);
      b.writeUInt32BE(NOT_ISO, 32);
      b.writeInt32BE(message.interval, 36);
      if (message.setup.length !== 8) throw new UsbipProtocolError('the setup packet is 8 bytes');
      message.setup.copy(b, 40);
      if (message.direction === 'in') return b;
      const data = message.data ?? Buffer.alloc(0);
      if (data.length !== message.transferBufferLength) throw new UsbipProtocolError('OUT data length must equal transferBufferLength');
      return data.length === 0 ? b : Buffer.concat([b, data]);
    }
    case 'unlink': {
      const b = header(USBIP_CMD_UNLINK, message);
      b.writeUInt32BE(message.unlinkSeqnum >>> 0, 20);
      return b;
    }
    case 'ret-submit': {
      const b = header(USBIP_RET_SUBMIT, message);
      b.writeInt32BE(message.status, 20);
      checkLength(message.actualLength, MAX_URB_TRANSFER_BYTES, 'a transfer');
      b.writeInt32BE(message.actualLength, 24);
      b.writeUInt32BE(NOT_ISO, 32);
      b.writeInt32BE(message.errorCount, 36);
      if (message.direction === 'out') return b;
      const data = message.data ?? Buffer.alloc(0);
      if (data.length !== message.actualLength) throw new UsbipProtocolError('IN data length must equal actualLength');
      return data.length === 0 ? b : Buffer.concat([b, data]);
    }
    case 'ret-unlink': {
      const b = header(USBIP_RET_UNLINK, message);
      b.writeInt32BE(message.status, 20);
      return b;
    }
  }
}

function base(h: Buffer): UrbBase {
  const dir = h.readUInt32BE(12);
  if (dir !== USBIP_DIR_IN && dir !== USBIP_DIR_OUT) throw new UsbipProtocolError(`direction ${dir} is neither IN nor OUT`);
  return { seqnum: h.readUInt32BE(4), devid: h.readUInt32BE(8), direction: dir === USBIP_DIR_IN ? 'in' : 'out', ep: h.readUInt32BE(16) };
}

function refuseIso(h: Buffer): void {
  const packets = h.readUInt32BE(32);
  if (packets !== NOT_ISO && packets !== 0) throw new UsbipProtocolError('isochronous transfers are not supported');
}

/** Server side: the next CMD_SUBMIT (with its OUT data) or CMD_UNLINK. */
export async function readUrbCommand(reader: ByteReader, options: UrbReadOptions = {}): Promise<UsbipUrbCommand> {
  const h = await reader.read(URB_HEADER_SIZE, options);
  const code = h.readUInt32BE(0);
  if (code === USBIP_CMD_UNLINK) return { command: 'unlink', ...base(h), unlinkSeqnum: h.readUInt32BE(20) };
  if (code !== USBIP_CMD_SUBMIT) throw new UsbipProtocolError(`unexpected URB command ${code}`);
  const b = base(h);
  if (b.ep > 15) throw new UsbipProtocolError(`endpoint ${b.ep} does not exist`);
  const length = h.readInt32BE(24);
  checkLength(length, options.maxTransferBytes ?? MAX_URB_TRANSFER_BYTES, 'a transfer');
  refuseIso(h);
  const submit: UsbipCmdSubmit = {
    command: 'submit',
    ...b,
    transferFlags: h.readUInt32BE(20),
    transferBufferLength: length,
    interval: h.readInt32BE(36),
    setup: Buffer.from(h.subarray(40, 48)),
  };
  if (b.direction === 'out') submit.data = length === 0 ? Buffer.alloc(0) : await reader.read(length, options);
  return submit;
}

/**
 * Client side: the next RET_SUBMIT or RET_UNLINK. The kernel's stub leaves the direction field 0 in replies, so
 * the caller says, per sequence number, whether the URB was IN and how many bytes it asked for; an IN reply
 * longer than that is refused.
 */
export async function readUrbReply(
  reader: ByteReader,
  submitted: (seqnum: number) => { direction: UsbipDirection; length: number } | undefined,
  options: UrbReadOptions = {},
): Promise<UsbipUrbReply> {
  const h = await reader.read(URB_HEADER_SIZE, options);
  const code = h.readUInt32BE(0);
  const seqnum = h.readUInt32BE(4);
  const common = { seqnum, devid: h.readUInt32BE(8), ep: h.readUInt32BE(16) };
  if (code === USBIP_RET_UNLINK) return { command: 'ret-unlink', ...common, direction: 'out', status: h.readInt32BE(20) };
  if (code !== USBIP_RET_SUBMIT) throw new UsbipProtocolError(`unexpected URB reply ${code}`);
  const urb = submitted(seqnum);
  if (!urb) throw new UsbipProtocolError(`reply for unknown sequence number ${seqnum}`);
  refuseIso(h);
  const actualLength = h.readInt32BE(24);
  const reply: UsbipRetSubmit = {
    command: 'ret-submit',
    ...common,
    direction: urb.direction,
    status: h.readInt32BE(20),
    actualLength,
    errorCount: h.readInt32BE(36),
  };
  if (urb.direction === 'in') {
    checkLength(actualLength, Math.min(urb.length, options.maxTransferBytes ?? MAX_URB_TRANSFER_BYTES), 'an IN reply');
    reply.data = actualLength === 0 ? Buffer.alloc(0) : await reader.read(actualLength, options);
  } else {
    checkLength(actualLength, urb.length, 'an OUT completion');
  }
  return reply;
}

/** The 8-byte control setup packet (little-endian fields, as on the USB wire). */
export type ControlSetupPacket = { bmRequestType: number; bRequest: number; wValue: number; wIndex: number; wLength: number };

export function encodeSetupPacket(setup: ControlSetupPacket): Buffer {
  const b = Buffer.alloc(8);
  b[0] = setup.bmRequestType & 0xff;
  b[1] = setup.bRequest & 0xff;
  b.writeUInt16LE(setup.wValue & 0xffff, 2);
  b.writeUInt16LE(setup.wIndex & 0xffff, 4);
  b.writeUInt16LE(setup.wLength & 0xffff, 6);
  return b;
}

export function decodeSetupPacket(bytes: Buffer): ControlSetupPacket {
  if (bytes.length !== 8) throw new UsbipProtocolError('the setup packet is 8 bytes');
  return {
    bmRequestType: bytes[0] ?? 0,
    bRequest: bytes[1] ?? 0,
    wValue: bytes.readUInt16LE(2),
    wIndex: bytes.readUInt16LE(4),
    wLength: bytes.readUInt16LE(6),
  };
}
