import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ByteReader, StreamClosedError, WireAbortedError, WireTimeoutError } from '../wire/byte-reader';
import type { ReadBufferPool } from '../wire/read-buffer-pool';
import { isPlistDict } from '../plist/plist-value';
import type { PlistDict, PlistValue } from '../plist/plist-value';
import { describeReportedIdentity, isUdid, parseUdid } from '../../common/phone-identity';
import {
  USBMUX_MAX_MESSAGE,
  UsbmuxErrno,
  UsbmuxMessageType,
  UsbmuxProtocolError,
  UsbmuxResult,
  UsbmuxVersion,
  decodeUsbmuxPlist,
  encodeUsbmuxPlist,
  plistUint,
  readUsbmuxPacket,
  swapPort,
} from './usbmux-wire';
import { formatUsbmuxAddress, resolveUsbmuxAddress, usbmuxConnectOptions } from './usbmux-address';
import type { UsbmuxAddress } from './usbmux-address';

/** One device as usbmuxd lists it (docs/protocols/usbmux.md#device-events-and-properties). */
export type UsbmuxDevice = {
  /** Daemon-assigned handle; changes every time the phone re-enumerates. */
  deviceId: number;
  /** SerialNumber with the dash rule applied (docs/protocols/usbmux.md#udid-normalisation): the key for pair records and backups. */
  udid: string;
  /** SerialNumber exactly as the daemon sent it. */
  serialNumber: string;
  productId: number | null;
  /** 'USB' or 'Network' (other strings passed through). */
  connectionType: string;
  locationId: number | null;
  connectionSpeed: number | null;
};

/**
 * A device whose SerialNumber is not a UDID (see common/phone-identity.ts): listed so a person sees it, but its
 * identity never names a file, a folder or a pair record.
 */
export type UsbmuxUnidentifiedDevice = Omit<UsbmuxDevice, 'udid' | 'serialNumber'> & {
  udid: null;
  /** The refused SerialNumber, quoted, escaped and clipped: for messages only. */
  reportedIdentity: string;
};

/** Every device usbmuxd lists: identified by a real UDID, or not. */
export type UsbmuxListedDevice = UsbmuxDevice | UsbmuxUnidentifiedDevice;

export type UsbmuxErrorKind =
  /** No daemon at the address (ENOENT, ECONNREFUSED, EACCES, connect timeout…). */
  | 'daemon-unreachable'
  /** The daemon answered with a non-zero Result (see `result`). */
  | 'result'
  /** Bytes that are not the usbmuxd protocol: absurd lengths, bad plists, wrong tag. */
  | 'protocol'
  | 'timeout'
  | 'closed'
  | 'aborted';

export class UsbmuxError extends Error {
  constructor(
    readonly kind: UsbmuxErrorKind,
    message: string,
    readonly details: { result?: number; socketCode?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'UsbmuxError';
  }

  get result(): number | undefined {
    return this.details.result;
  }
}

export type UsbmuxClientOptions = {
  /** Default: USBMUXD_SOCKET_ADDRESS (libusbmuxd syntax) or the OS default. */
  address?: UsbmuxAddress;
  /** Sent as ProgName (docs/protocols/usbmux.md#plist-messages). */
  progName?: string;
  /** docs/protocols/usbmux.md#client-behaviour: libusbmuxd waits 5 s for a result. */
  resultTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Largest message accepted from the daemon, header included. */
  maxMessageBytes?: number;
};

export type UsbmuxRequestOptions = { timeoutMs?: number; signal?: AbortSignal };

const CLIENT_VERSION = 'lifeline';
const LIBUSBMUX_VERSION = 3;
const DEFAULT_RESULT_TIMEOUT_MS = 5_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTSOCK', 'ECONNRESET', 'EADDRNOTAVAIL', 'ENOTDIR']);

const RESULT_TEXT: Record<number, string> = {
  [UsbmuxResult.BadCommand]: 'usbmuxd did not understand the request',
  [UsbmuxResult.BadDevice]: 'usbmuxd does not know that device (unplugged?)',
  [UsbmuxResult.ConnectionRefused]: 'the device refused the connection to that port',
  [UsbmuxResult.NoSuchService]: 'no such service',
  [UsbmuxResult.BadVersion]: 'usbmuxd does not speak the plist protocol',
};

/** Converts anything a socket or reader threw into a UsbmuxError. */
export function toUsbmuxError(error: unknown, what: string): UsbmuxError {
  if (error instanceof UsbmuxError) return error;
  if (error instanceof WireTimeoutError)
    return new UsbmuxError('timeout', `${what}: usbmuxd did not answer within ${error.timeoutMs} ms`, { cause: error });
  if (error instanceof WireAbortedError) return new UsbmuxError('aborted', `${what}: cancelled`, { cause: error });
  if (error instanceof StreamClosedError) return new UsbmuxError('closed', `${what}: usbmuxd closed the connection`, { cause: error });
  if (error instanceof UsbmuxProtocolError) return new UsbmuxError('protocol', `${what}: ${error.message}`, { cause: error });
  return new UsbmuxError('protocol', `${what}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/**
 * Parses one `Attached` record (ListDevices entry or Listen event); null when it lacks what a client needs. A
 * SerialNumber that is not a UDID gives an unidentified device.
 */
export function parseUsbmuxEntry(entry: PlistValue | undefined): UsbmuxListedDevice | null {
  if (!isPlistDict(entry)) return null;
  const properties = entry.Properties;
  if (!isPlistDict(properties)) return null;
  const deviceId = plistUint(entry.DeviceID) ?? plistUint(properties.DeviceID);
  const serial = properties.SerialNumber;
  const connectionType = properties.ConnectionType;
  // docs/protocols/usbmux.md#device-events-and-properties: libusbmuxd refuses entries without SerialNumber or ConnectionType.
  if (deviceId === undefined || deviceId > 0xffffffff) return null;
  if (typeof serial !== 'string' || serial.length === 0) return null;
  if (typeof connectionType !== 'string' || connectionType.length > 64) return null;
  const common = {
    deviceId,
    productId: plistUint(properties.ProductID) ?? null,
    connectionType,
    locationId: plistUint(properties.LocationID) ?? null,
    connectionSpeed: plistUint(properties.ConnectionSpeed) ?? null,
  };
  const udid = parseUdid(serial);
  if (udid === null) return { ...common, udid: null, reportedIdentity: describeReportedIdentity(serial) };
  return { ...common, udid, serialNumber: serial };
}

/** parseUsbmuxEntry, keeping only devices identified by a real UDID. */
export function parseUsbmuxDevice(entry: PlistValue | undefined): UsbmuxDevice | null {
  const device = parseUsbmuxEntry(entry);
  return device && device.udid !== null ? (device as UsbmuxDevice) : null;
}

/** A control connection that has sent one request and read its reply. */
type Exchange = { socket: Socket; reader: ByteReader; reply: PlistDict };

/**
 * Host side of the usbmuxd plist protocol. Like libusbmuxd, every request uses a new connection
 * (docs/protocols/usbmux.md#client-behaviour); nothing here is specific to any daemon implementation.
 */
export class UsbmuxClient {
  readonly address: UsbmuxAddress;
  private readonly progName: string;
  private readonly resultTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxMessageBytes: number;
  private nextTag = 1;

  constructor(options: UsbmuxClientOptions = {}) {
    this.address = options.address ?? resolveUsbmuxAddress();
    this.progName = options.progName ?? 'lifeline';
    this.resultTimeoutMs = options.resultTimeoutMs ?? DEFAULT_RESULT_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.maxMessageBytes = Math.min(options.maxMessageBytes ?? USBMUX_MAX_MESSAGE, USBMUX_MAX_MESSAGE);
  }

  /** Every device the daemon lists with a real UDID; malformed entries and unidentified devices skipped. */
  async listDevices(options: UsbmuxRequestOptions = {}): Promise<UsbmuxDevice[]> {
    return (await this.listAllDevices(options)).filter((device): device is UsbmuxDevice => device.udid !== null);
  }

  /** Every device the daemon lists, unidentified ones included; malformed entries skipped. */
  async listAllDevices(options: UsbmuxRequestOptions = {}): Promise<UsbmuxListedDevice[]> {
    const reply = await this.request('ListDevices', {}, options);
    const list = reply.DeviceList;
    if (!Array.isArray(list)) throw this.unexpected('ListDevices', reply);
    const devices: UsbmuxListedDevice[] = [];
    for (const entry of list) {
      const device = parseUsbmuxEntry(entry);
      if (device) devices.push(device);
    }
    return devices;
  }

  /** The host's SystemBUID. */
  async readBuid(options: UsbmuxRequestOptions = {}): Promise<string> {
    const reply = await this.request('ReadBUID', {}, options);
    const buid = reply.BUID;
    if (typeof buid !== 'string' || buid.length === 0 || buid.length > 256) throw this.unexpected('ReadBUID', reply);
    return buid;
  }

  /**
   * The stored pair record's bytes for a UDID as the daemon keeps them (a plist, decoded by the lockdown layer), or null
   * when the daemon has none (ENOENT).
   */
  async readPairRecordData(udid: string, options: UsbmuxRequestOptions = {}): Promise<Buffer | null> {
    // The daemon names a file after the PairRecordID: only a real UDID is ever sent.
    if (!isUdid(udid)) throw new RangeError(`Not a UDID: ${describeReportedIdentity(udid)}`);
    let reply: PlistDict;
    try {
      reply = await this.request('ReadPairRecord', { PairRecordID: udid }, options);
    } catch (error) {
      // docs/protocols/usbmux.md#message-header: a missing record is errno ENOENT (= 2) in the Result.
      if (error instanceof UsbmuxError && error.kind === 'result' && error.result === UsbmuxErrno.ENOENT) return null;
      throw error;
    }
    const data = reply.PairRecordData;
    if (!(data instanceof Uint8Array)) throw this.unexpected('ReadPairRecord', reply);
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * Opens a raw byte stream to a TCP port on the device. The port travels byte-swapped (docs/protocols/usbmux.md#port-byte-order).
   * The returned socket is paused; a ByteReader, pipe() or resume() starts the flow. With `readPool` its reads land in
   * the pool's recycled slabs (for bulk streams read through a ByteReader; see read-buffer-pool.ts).
   */
  async connect(deviceId: number, port: number, options: UsbmuxRequestOptions & { readPool?: ReadBufferPool } = {}): Promise<Duplex> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`Invalid device port ${port}`);
    if (!Number.isInteger(deviceId) || deviceId < 0 || deviceId > 0xffffffff) throw new RangeError(`Invalid device id ${deviceId}`);
    const exchange = await this.exchange('Connect', { DeviceID: deviceId, PortNumber: swapPort(port) }, options);
    const { socket, reader, reply } = exchange;
    try {
      this.checkResult('Connect', reply);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    // docs/protocols/usbmux.md#client-behaviour: after Result 0 the same socket is the device stream; keep any early device bytes.
    socket.pause();
    const early = reader.release();
    if (early.length > 0) socket.unshift(early);
    socket.setTimeout(0);
    return socket;
  }

  /** Sends one request on a fresh connection and returns the reply dict; a non-zero Result throws. */
  async request(messageType: string, fields: PlistDict, options: UsbmuxRequestOptions = {}): Promise<PlistDict> {
    const { socket, reply } = await this.exchange(messageType, fields, options);
    socket.destroy();
    if (reply.MessageType === 'Result') this.checkResult(messageType, reply);
    return reply;
  }

  /** Opens a connection for a long-lived subscription (Listen): returns the socket and its reader after Result 0. */
  async openListen(options: UsbmuxRequestOptions = {}): Promise<{ socket: Socket; reader: ByteReader }> {
    const { socket, reader, reply } = await this.exchange('Listen', {}, options);
    try {
      this.checkResult('Listen', reply);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    return { socket, reader };
  }

  /** Reads one plist message from a Listen connection (no timeout: events come when they come). */
  async readEvent(reader: ByteReader, options: { signal?: AbortSignal } = {}): Promise<PlistDict> {
    try {
      const packet = await readUsbmuxPacket(reader, { ...options, maxLength: this.maxMessageBytes });
      if (packet.header.message !== UsbmuxMessageType.Plist) {
        throw new UsbmuxProtocolError(`usbmux message type ${packet.header.message} on a plist connection`);
      }
      return decodeUsbmuxPlist(packet.payload);
    } catch (error) {
      throw toUsbmuxError(error, 'Listen');
    }
  }

  private async exchange(
    messageType: string,
    fields: PlistDict,
    options: UsbmuxRequestOptions & { readPool?: ReadBufferPool },
  ): Promise<Exchange> {
    const socket = await this.open(options);
    const reader = new ByteReader(socket, { maxBuffered: this.maxMessageBytes + 64 * 1024 });
    const tag = this.nextTag;
    this.nextTag = this.nextTag >= 0x7fffffff ? 1 : this.nextTag + 1;
    const request: PlistDict = {
      MessageType: messageType,
      ClientVersionString: CLIENT_VERSION,
      ProgName: this.progName,
      kLibUSBMuxVersion: LIBUSBMUX_VERSION,
      ...fields,
    };
    try {
      socket.write(encodeUsbmuxPlist(tag, request));
      const packet = await readUsbmuxPacket(reader, {
        timeoutMs: options.timeoutMs ?? this.resultTimeoutMs,
        maxLength: this.maxMessageBytes,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const { header } = packet;
      if (header.message === UsbmuxMessageType.Result && header.version === UsbmuxVersion.Binary) {
        // A binary-protocol answer (e.g. BADVERSION) to our plist request.
        const code = packet.payload.length >= 4 ? packet.payload.readUInt32LE(0) : UsbmuxResult.BadVersion;
        throw new UsbmuxError('result', `${messageType}: ${RESULT_TEXT[code] ?? `usbmuxd result ${code}`}`, { result: code });
      }
      if (header.message !== UsbmuxMessageType.Plist) {
        throw new UsbmuxProtocolError(`unexpected usbmux message type ${header.message}`);
      }
      if (header.tag !== tag) throw new UsbmuxProtocolError(`reply tag ${header.tag} does not match request tag ${tag}`);
      return { socket, reader, reply: decodeUsbmuxPlist(packet.payload) };
    } catch (error) {
      socket.destroy();
      throw toUsbmuxError(error, messageType);
    }
  }

  private checkResult(messageType: string, reply: PlistDict): void {
    if (reply.MessageType !== 'Result') throw this.unexpected(messageType, reply);
    const code = plistUint(reply.Number);
    if (code === undefined) throw this.unexpected(messageType, reply);
    if (code !== UsbmuxResult.Ok) {
      throw new UsbmuxError('result', `${messageType}: ${RESULT_TEXT[code] ?? `usbmuxd result ${code}`}`, { result: code });
    }
  }

  private unexpected(messageType: string, reply: PlistDict): UsbmuxError {
    const keys = Object.keys(reply).slice(0, 8).join(', ');
    return new UsbmuxError('protocol', `${messageType}: unexpected reply from usbmuxd (keys: ${keys || 'none'})`);
  }

  private open(options: UsbmuxRequestOptions & { readPool?: ReadBufferPool }): Promise<Socket> {
    const target = formatUsbmuxAddress(this.address);
    return new Promise<Socket>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new UsbmuxError('aborted', `usbmuxd at ${target}: cancelled`));
        return;
      }
      const pool = options.readPool;
      const socket: Socket = netConnect(
        pool ? { ...usbmuxConnectOptions(this.address), onread: pool.onread(() => socket) } : usbmuxConnectOptions(this.address),
      );
      const timer = setTimeout(
        () =>
          fail(
            new UsbmuxError('daemon-unreachable', `usbmuxd at ${target} did not accept a connection within ${this.connectTimeoutMs} ms`, {
              socketCode: 'ETIMEDOUT',
            }),
          ),
        this.connectTimeoutMs,
      );
      const onAbort = (): void => fail(new UsbmuxError('aborted', `usbmuxd at ${target}: cancelled`));
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('connect', onConnect);
        socket.off('error', onError);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: UsbmuxError): void => {
        cleanup();
        socket.on('error', () => undefined);
        socket.destroy();
        reject(error);
      };
      const onError = (error: NodeJS.ErrnoException): void => {
        const code = error.code ?? 'UNKNOWN';
        const kind = UNREACHABLE_CODES.has(code) || code === 'ETIMEDOUT' ? 'daemon-unreachable' : 'closed';
        fail(new UsbmuxError(kind, `usbmuxd at ${target} is not reachable (${code})`, { socketCode: code, cause: error }));
      };
      const onConnect = (): void => {
        cleanup();
        // Errors after connecting surface as 'close' through the ByteReader; keep them from being unhandled.
        socket.on('error', () => undefined);
        socket.setNoDelay(true);
        resolve(socket);
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
