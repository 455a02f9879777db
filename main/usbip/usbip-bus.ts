/**
 * A UsbBus that is a USB/IP v1.1.1 client: lists a server's devices (OP_REQ_DEVLIST), imports one per open
 * handle (OP_REQ_IMPORT on its own TCP connection) and runs control / bulk transfers as CMD_SUBMIT URBs.
 * Hotplug is a devlist poll. Works against Lifeline's simulated phone and against Linux `usbipd` sharing a real
 * phone. Conventions (docs/protocols/usbip.md#reset-convention): reset = SET_FEATURE(PORT_RESET) (0x23), a device that
 * re-enumerates comes back with a new devnum on the same busid.
 */
import { connect, type Socket } from 'node:net';
import { ByteReader, StreamClosedError } from '../wire/byte-reader';
import { PORT_RESET_SETUP, bmRequestTypeOf } from './control-request-type';
import type { UsbipDeviceRecord } from './usbip-device-record';
import { UsbipProtocolError } from './usbip-errors';
import {
  OP_STATUS_OK,
  encodeDevlistRequest,
  encodeImportRequest,
  readDevlistReply,
  readImportReply,
  type UsbipDevlistEntry,
} from './usbip-op-codec';
import {
  MAX_URB_TRANSFER_BYTES,
  URB_DIR_IN_FLAG,
  URB_STATUS,
  encodeSetupPacket,
  encodeUrb,
  readUrbReply,
  type UsbipDirection,
  type UsbipRetSubmit,
} from './usbip-urb-codec';
import { APPLE_VENDOR_ID } from '../usb/apple-usb-ids';
import { forgetUnseen, HotplugListeners } from '../usb/hotplug-listeners';
import { UsbDescriptorType, UsbRequest, descriptorValue } from '../usb/usb-standard-requests';
import {
  UsbDeviceError,
  type UsbBus,
  type UsbBusStatus,
  type UsbControlSetup,
  type UsbDeviceHandle,
  type UsbInTransferResult,
  type UsbOutTransferResult,
} from '../usb/usb-bus';

export const USBIP_ENV = 'LIFELINE_USBIP';
const CONNECT_TIMEOUT_MS = 5_000;
const OP_TIMEOUT_MS = 5_000;
/** libirecovery's USB_TIMEOUT. */
const TRANSFER_TIMEOUT_MS = 10_000;
const UNLINK_TIMEOUT_MS = 3_000;
const DEFAULT_POLL_MS = 500;
const MAX_STRING = 255;

export type UsbipServerAddress = { host: string; port: number };

/** "HOST:PORT" or "[v6]:PORT"; null when it is not one. */
export function parseUsbipAddress(text: string): UsbipServerAddress | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]{1,253})):(\d{1,5})$/.exec(text.trim());
  if (!match) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return null;
  return { host: match[1] ?? match[2] ?? '', port };
}

function connectTo(address: UsbipServerAddress): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UsbDeviceError(`no answer from the USB/IP server ${address.host}:${address.port}`, 'io'));
    }, CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new UsbDeviceError(`cannot reach the USB/IP server ${address.host}:${address.port}: ${error.message}`, 'io'));
    });
  });
}

type Pending = {
  direction: UsbipDirection;
  length: number;
  resolve: (reply: UsbipRetSubmit) => void;
  reject: (error: Error) => void;
};

/** One imported device: a TCP connection, URBs matched to replies by sequence number. */
class UsbipImport {
  readonly #socket: Socket;
  readonly #reader: ByteReader;
  readonly #devid: number;
  readonly #pending = new Map<number, Pending>();
  readonly #unlinks = new Map<number, () => void>();
  #seq = 0;
  #dead: Error | null = null;

  private constructor(socket: Socket, reader: ByteReader, record: UsbipDeviceRecord) {
    this.#socket = socket;
    this.#reader = reader;
    this.#devid = ((record.busnum << 16) | (record.devnum & 0xffff)) >>> 0;
    socket.on('error', () => undefined);
    socket.on('close', () => this.#fail(new UsbDeviceError('the device left the bus', 'disconnected')));
    void this.#readLoop();
  }

  /** OP_REQ_IMPORT; refuses a device that re-enumerated since it was listed (devnum changed). */
  static async open(address: UsbipServerAddress, busid: string, devnum: number): Promise<UsbipImport> {
    const socket = await connectTo(address);
    socket.on('error', () => undefined);
    const reader = new ByteReader(socket, { maxBuffered: 2 * MAX_URB_TRANSFER_BYTES });
    try {
      socket.write(encodeImportRequest(busid));
      const reply = await readImportReply(reader, { timeoutMs: OP_TIMEOUT_MS });
      if (reply.status !== OP_STATUS_OK || !reply.device)
        throw new UsbDeviceError(`the server has no device ${busid} any more`, 'disconnected');
      if (reply.device.devnum !== devnum) throw new UsbDeviceError(`device ${busid} re-enumerated`, 'disconnected');
      return new UsbipImport(socket, reader, reply.device);
    } catch (error) {
      socket.destroy();
      if (error instanceof UsbDeviceError) throw error;
      throw new UsbDeviceError(`import of ${busid} failed: ${error instanceof Error ? error.message : String(error)}`, 'disconnected');
    }
  }

  get alive(): boolean {
    return this.#dead === null;
  }

  close(): void {
    this.#socket.destroy();
    this.#fail(new UsbDeviceError('the device is not open', 'not-open'));
  }

  #fail(error: Error): void {
    if (this.#dead) return;
    this.#dead = error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    for (const done of this.#unlinks.values()) done();
    this.#unlinks.clear();
    this.#socket.destroy();
  }

  async #readLoop(): Promise<void> {
    try {
      for (;;) {
        const reply = await readUrbReply(this.#reader, (seq) => this.#pending.get(seq));
        if (reply.command === 'ret-unlink') {
          this.#unlinks.get(reply.seqnum)?.();
          this.#unlinks.delete(reply.seqnum);
          continue;
        }
        const pending = this.#pending.get(reply.seqnum);
        this.#pending.delete(reply.seqnum);
        pending?.resolve(reply);
      }
    } catch (error) {
      const hostile = error instanceof UsbipProtocolError;
      this.#fail(
        hostile
          ? new UsbDeviceError(`the USB/IP server broke the protocol: ${error.message}`, 'io')
          : error instanceof StreamClosedError
            ? new UsbDeviceError('the device left the bus', 'disconnected')
            : new UsbDeviceError(error instanceof Error ? error.message : String(error), 'io'),
      );
    }
  }

  /** One URB; on timeout it is unlinked and the call fails. */
  submit(
    ep: number,
    direction: UsbipDirection,
    setup: Buffer | null,
    payload: Uint8Array | number,
    timeoutMs = TRANSFER_TIMEOUT_MS,
  ): Promise<UsbipRetSubmit> {
    if (this.#dead) return Promise.reject(this.#dead);
    const length = typeof payload === 'number' ? payload : payload.byteLength;
    if (length > MAX_URB_TRANSFER_BYTES) return Promise.reject(new UsbDeviceError('transfer too large for one URB', 'io'));
    const seqnum = (this.#seq = (this.#seq % 0x7fffffff) + 1);
    const data = typeof payload === 'number' ? undefined : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return new Promise<UsbipRetSubmit>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.#pending.delete(seqnum)) return;
        this.#unlink(seqnum);
        reject(new UsbDeviceError(`no answer within ${timeoutMs} ms`, 'io'));
      }, timeoutMs);
      this.#pending.set(seqnum, {
        direction,
        length,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#socket.write(
        encodeUrb({
          command: 'submit',
          seqnum,
          devid: this.#devid,
          direction,
          ep,
          transferFlags: direction === 'in' ? URB_DIR_IN_FLAG : 0,
          transferBufferLength: length,
          interval: 0,
          setup: setup ?? Buffer.alloc(8),
          ...(direction === 'out' ? { data: data ?? Buffer.alloc(0) } : {}),
        }),
      );
    });
  }

  #unlink(target: number): void {
    if (this.#dead) return;
    const seqnum = (this.#seq = (this.#seq % 0x7fffffff) + 1);
    // A late RET_SUBMIT for the target is then dropped by the reader (unknown seqnum → protocol error) — so keep a
    // placeholder that swallows it.
    this.#pending.set(target, { direction: 'in', length: MAX_URB_TRANSFER_BYTES, resolve: () => undefined, reject: () => undefined });
    const timer = setTimeout(() => this.#fail(new UsbDeviceError('the USB/IP server does not answer', 'io')), UNLINK_TIMEOUT_MS);
    this.#unlinks.set(seqnum, () => {
      clearTimeout(timer);
      this.#pending.delete(target);
    });
    this.#socket.write(encodeUrb({ command: 'unlink', seqnum, devid: this.#devid, direction: 'out', ep: 0, unlinkSeqnum: target }));
  }
}

function statusError(status: number): UsbDeviceError | null {
  if (status === URB_STATUS.ok || status === URB_STATUS.remoteio) return null;
  if (status === URB_STATUS.nodev || status === URB_STATUS.shutdown) return new UsbDeviceError('the device left the bus', 'disconnected');
  return new UsbDeviceError(`transfer failed (status ${status})`, 'io');
}

class UsbipDeviceHandle implements UsbDeviceHandle {
  readonly id: string;
  readonly location: string;
  readonly vendorId: number;
  readonly productId: number;
  serialNumber?: string;
  productName?: string;
  manufacturerName?: string;
  readonly busid: string;
  readonly devnum: number;
  readonly #address: UsbipServerAddress;
  readonly #claimed = new Set<number>();
  #import: UsbipImport | null = null;
  #gone = false;

  constructor(address: UsbipServerAddress, entry: UsbipDevlistEntry) {
    this.#address = address;
    this.busid = entry.busid;
    this.devnum = entry.devnum;
    this.vendorId = entry.vendorId;
    this.productId = entry.productId;
    this.location = `usbip:${address.host}:${address.port}/${entry.busid}`;
    this.id = `${this.location}#${entry.devnum}`;
  }

  get opened(): boolean {
    return this.#import?.alive ?? false;
  }

  markGone(): void {
    this.#gone = true;
    this.#import?.close();
    this.#import = null;
  }

  /** Kernel-equivalent enumeration: device descriptor, then the three strings (temporary import). */
  async readStrings(): Promise<void> {
    const session = await UsbipImport.open(this.#address, this.busid, this.devnum);
    try {
      const descriptor = await this.#controlIn(
        session,
        {
          requestType: 'standard',
          recipient: 'device',
          request: UsbRequest.GetDescriptor,
          value: descriptorValue(UsbDescriptorType.Device),
          index: 0,
        },
        18,
      );
      if (descriptor.length < 18) return;
      const langids = await this.#controlIn(
        session,
        {
          requestType: 'standard',
          recipient: 'device',
          request: UsbRequest.GetDescriptor,
          value: descriptorValue(UsbDescriptorType.String),
          index: 0,
        },
        4,
      );
      const langid = langids.length >= 4 ? langids.readUInt16LE(2) : 0x0409;
      const read = async (index: number | undefined): Promise<string | undefined> => {
        if (!index) return undefined;
        const bytes = await this.#controlIn(
          session,
          {
            requestType: 'standard',
            recipient: 'device',
            request: UsbRequest.GetDescriptor,
            value: descriptorValue(UsbDescriptorType.String, index),
            index: langid,
          },
          MAX_STRING,
        );
        if (bytes.length < 2 || bytes[1] !== 3) return undefined;
        const length = Math.min(bytes[0] ?? 0, bytes.length);
        return bytes.subarray(2, 2 + (Math.max(0, length - 2) & ~1)).toString('utf16le');
      };
      const manufacturer = await read(descriptor[14]);
      const product = await read(descriptor[15]);
      const serial = await read(descriptor[16]);
      if (manufacturer !== undefined) this.manufacturerName = manufacturer;
      if (product !== undefined) this.productName = product;
      if (serial !== undefined) this.serialNumber = serial;
    } finally {
      session.close();
    }
  }

  async #controlIn(session: UsbipImport, setup: UsbControlSetup, length: number): Promise<Buffer> {
    const reply = await session.submit(0, 'in', this.#setupPacket(setup, 'in', length), length, OP_TIMEOUT_MS);
    return reply.status === URB_STATUS.ok || reply.status === URB_STATUS.remoteio ? (reply.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
  }

  #setupPacket(setup: UsbControlSetup, direction: 'in' | 'out', length: number): Buffer {
    return encodeSetupPacket({
      bmRequestType: bmRequestTypeOf(setup, direction),
      bRequest: setup.request,
      wValue: setup.value,
      wIndex: setup.index,
      wLength: length,
    });
  }

  #session(): UsbipImport {
    if (this.#gone) throw new UsbDeviceError('the device has left the bus', 'disconnected');
    const session = this.#import;
    if (!session?.alive) throw new UsbDeviceError('the device is not open', 'not-open');
    return session;
  }

  async open(): Promise<void> {
    if (this.#gone) throw new UsbDeviceError('the device has left the bus', 'disconnected');
    if (this.#import?.alive) return;
    this.#import = await UsbipImport.open(this.#address, this.busid, this.devnum);
  }

  async close(): Promise<void> {
    this.#import?.close();
    this.#import = null;
    this.#claimed.clear();
  }

  async selectConfiguration(configurationValue: number): Promise<void> {
    const r = await this.controlTransferOut({
      requestType: 'standard',
      recipient: 'device',
      request: UsbRequest.SetConfiguration,
      value: configurationValue,
      index: 0,
    });
    if (r.status !== 'ok') throw new UsbDeviceError(`configuration ${configurationValue} refused`, 'io');
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    // The exporting host's stub owns the interfaces; claiming is bookkeeping on this side (as in the shim).
    this.#session();
    this.#claimed.add(interfaceNumber);
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.#claimed.delete(interfaceNumber);
  }

  async controlTransferIn(setup: UsbControlSetup, length: number): Promise<UsbInTransferResult> {
    if (!Number.isInteger(length) || length < 0 || length > 0xffff) throw new UsbDeviceError('control length out of range', 'io');
    const reply = await this.#session().submit(0, 'in', this.#setupPacket(setup, 'in', length), length);
    return this.#inResult(reply);
  }

  async controlTransferOut(setup: UsbControlSetup, data?: Uint8Array): Promise<UsbOutTransferResult> {
    const payload = data ?? new Uint8Array(0);
    if (payload.byteLength > 0xffff) throw new UsbDeviceError('control data too long', 'io');
    const reply = await this.#session().submit(0, 'out', this.#setupPacket(setup, 'out', payload.byteLength), payload);
    return this.#outResult(reply);
  }

  async transferIn(endpointNumber: number, length: number): Promise<UsbInTransferResult> {
    const reply = await this.#session().submit(endpointNumber & 0x0f, 'in', null, length);
    return this.#inResult(reply);
  }

  async transferOut(endpointNumber: number, data: Uint8Array): Promise<UsbOutTransferResult> {
    const reply = await this.#session().submit(endpointNumber & 0x0f, 'out', null, data);
    return this.#outResult(reply);
  }

  async reset(): Promise<void> {
    const setup = encodeSetupPacket({ ...PORT_RESET_SETUP, wIndex: 0, wLength: 0 });
    try {
      await this.#session().submit(0, 'out', setup, new Uint8Array(0));
    } catch (error) {
      // The device re-enumerating mid-request is the expected outcome of a reset.
      if (!(error instanceof UsbDeviceError && error.code === 'disconnected')) throw error;
    }
  }

  #inResult(reply: UsbipRetSubmit): UsbInTransferResult {
    if (reply.status === URB_STATUS.pipe) return { status: 'stall' };
    if (reply.status === URB_STATUS.overflow) return { status: 'babble' };
    const error = statusError(reply.status);
    if (error) throw error;
    const data = reply.data ?? Buffer.alloc(0);
    return { status: 'ok', data: new DataView(data.buffer, data.byteOffset, data.byteLength) };
  }

  #outResult(reply: UsbipRetSubmit): UsbOutTransferResult {
    if (reply.status === URB_STATUS.pipe) return { status: 'stall', bytesWritten: 0 };
    const error = statusError(reply.status);
    if (error) throw error;
    return { status: 'ok', bytesWritten: reply.actualLength };
  }
}

export type UsbipBusOptions = { address: UsbipServerAddress; pollMs?: number; allVendors?: boolean };

export class UsbipBus implements UsbBus {
  readonly address: UsbipServerAddress;
  readonly #pollMs: number;
  readonly #allVendors: boolean;
  readonly #known = new Map<string, UsbipDeviceHandle>();
  readonly #listeners = new HotplugListeners();
  #status: UsbBusStatus = { state: 'ready' };
  #timer: NodeJS.Timeout | null = null;
  #listing: Promise<UsbDeviceHandle[]> | null = null;
  #announce = false;
  #closed = false;

  constructor(options: UsbipBusOptions) {
    this.address = options.address;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#allVendors = options.allVendors ?? false;
  }

  /** First listing, then hotplug polling. Never rejects: an unreachable server is a status. */
  async start(): Promise<UsbBusStatus> {
    await this.getDevices();
    this.#announce = true;
    if (!this.#closed && !this.#timer) {
      this.#timer = setInterval(() => void this.getDevices(), this.#pollMs);
      this.#timer.unref();
    }
    return this.#status;
  }

  status(): UsbBusStatus {
    return this.#status;
  }

  /** One listing at a time; concurrent callers share it. */
  getDevices(): Promise<UsbDeviceHandle[]> {
    if (this.#closed) return Promise.resolve([]);
    this.#listing ??= this.#list().finally(() => {
      this.#listing = null;
    });
    return this.#listing;
  }

  async #list(): Promise<UsbDeviceHandle[]> {
    let entries: UsbipDevlistEntry[];
    try {
      const socket = await connectTo(this.address);
      socket.on('error', () => undefined);
      try {
        socket.write(encodeDevlistRequest());
        entries = await readDevlistReply(new ByteReader(socket), { timeoutMs: OP_TIMEOUT_MS });
      } finally {
        socket.destroy();
      }
      this.#status = { state: 'ready' };
    } catch (error) {
      this.#status = {
        state: 'unavailable',
        reason: 'no-usb-subsystem',
        detail: error instanceof Error ? error.message : String(error),
        fix: `Lifeline is set to reach USB through the USB/IP server at ${this.address.host}:${this.address.port} (--usbip or ${USBIP_ENV}), which does not answer as a USB/IP server. Start the server (on Linux: usbipd), or remove the setting to use this computer's own USB ports.`,
      };
      return [];
    }
    if (this.#closed) return [];
    const current: UsbipDeviceHandle[] = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      if (!this.#allVendors && entry.vendorId !== APPLE_VENDOR_ID) continue;
      const key = `${entry.busid}#${entry.devnum}#${entry.vendorId}:${entry.productId}`;
      seen.add(key);
      let handle = this.#known.get(key);
      if (!handle) {
        handle = new UsbipDeviceHandle(this.address, entry);
        // A device that vanishes while we read its strings is simply not listed this time.
        try {
          await handle.readStrings();
        } catch {
          seen.delete(key);
          continue;
        }
        this.#known.set(key, handle);
        if (this.#announce) this.#listeners.connected(handle);
      }
      current.push(handle);
    }
    for (const handle of forgetUnseen(this.#known, seen)) {
      handle.markGone();
      if (this.#announce) this.#listeners.disconnected(handle);
    }
    return current;
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
    for (const handle of this.#known.values()) void handle.close();
    this.#known.clear();
    this.#listeners.clear();
  }
}

/** Create and start a USB/IP bus; resolves (never rejects) with status() telling whether the server answers. */
export async function openUsbipBus(options: UsbipBusOptions): Promise<UsbipBus> {
  const bus = new UsbipBus(options);
  await bus.start();
  return bus;
}
