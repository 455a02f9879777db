import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { EventEmitter } from 'node:events';
import { ByteReader } from '../wire/byte-reader';
import { decodePlist, encodeXmlPlist } from '../plist/plist-codec';
import { isPlistDict } from '../plist/plist-value';
import type { PlistDict, PlistValue } from '../plist/plist-value';
import {
  UsbmuxErrno,
  UsbmuxMessageType,
  UsbmuxResult,
  UsbmuxVersion,
  decodeBinaryConnect,
  decodeUsbmuxPlist,
  encodeBinaryDeviceRecord,
  encodeBinaryResult,
  encodeUsbmuxPacket,
  plistUint,
  readUsbmuxPacket,
  swapPort,
  usbmuxResultDict,
} from '../usbmux/usbmux-wire';
import type { FaultPlan } from './faults';

/** What the daemon needs from a phone. VirtualIphone implements it. */
export type UsbmuxPhone = {
  readonly udid: string;
  readonly faults: FaultPlan;
  /** 'usb-visibility' (visible: boolean) when the phone appears/disappears as a normal-mode USB device. */
  readonly events: EventEmitter;
  /** Normal mode and plugged in. */
  usbVisible(): boolean;
  usbProductId(): number;
  /** A stream to the device's TCP port, or null when the device refuses it. */
  openPort(port: number): Duplex | null;
  /** Physically unplug (used for the unplug-after-bytes fault). */
  unplug(): void;
};

export type FakeUsbmuxdOptions = {
  /** 'host:port' (default '127.0.0.1:0') or 'UNIX:/path'. */
  listen?: string;
  /** Host SystemBUID returned by ReadBUID; random uppercase UUID by default. */
  systemBuid?: string;
  /** Also persist pair records as <UDID>.plist here. */
  pairRecordDir?: string;
};

type AttachedDevice = { deviceId: number; locationId: number; phone: UsbmuxPhone; bridges: Set<Socket> };

type Client = {
  id: number;
  socket: Socket;
  version: number;
  listening: boolean;
  progName: string;
  bundleId: string | undefined;
  libusbmuxVersion: number;
};

const MAX_PAIR_RECORD_BYTES = 256 * 1024;
const CORRUPT_BURST = 16;

/** A usbmuxd that serves virtual phones instead of USB devices (docs/protocols/usbmux.md). */
export class FakeUsbmuxd {
  readonly systemBuid: string;
  private server: Server | null = null;
  private readonly phones = new Map<UsbmuxPhone, (visible: boolean) => void>();
  private readonly attached = new Map<UsbmuxPhone, AttachedDevice>();
  private readonly clients = new Set<Client>();
  private readonly pairRecords = new Map<string, Buffer>();
  private nextDeviceId = 1;
  private nextClientId = 1;
  private bridgedBytes = new Map<UsbmuxPhone, { total: number; toHost: number; corrupted: boolean }>();
  private listenAddress = '';

  constructor(private readonly options: FakeUsbmuxdOptions = {}) {
    this.systemBuid = options.systemBuid ?? randomUUID().toUpperCase();
  }

  /** Value for USBMUXD_SOCKET_ADDRESS. */
  get address(): string {
    return this.listenAddress;
  }

  async start(): Promise<string> {
    const spec = this.options.listen ?? '127.0.0.1:0';
    const server = createServer((socket) => this.accept(socket));
    server.on('error', () => undefined);
    this.server = server;
    if (spec.startsWith('UNIX:')) {
      const path = spec.slice(5);
      await rm(path, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
      this.listenAddress = `UNIX:${path}`;
    } else {
      const colon = spec.lastIndexOf(':');
      const host = colon > 0 ? spec.slice(0, colon).replace(/^\[|\]$/g, '') : '127.0.0.1';
      const port = Number.parseInt(colon >= 0 ? spec.slice(colon + 1) : spec, 10);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`usbmuxd: bad listen address ${spec}`);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const info = server.address() as AddressInfo;
      this.listenAddress = `${host.includes(':') ? `[${host}]` : host}:${info.port}`;
    }
    return this.listenAddress;
  }

  async close(): Promise<void> {
    for (const phone of [...this.phones.keys()]) this.detach(phone);
    for (const client of this.clients) client.socket.destroy();
    this.clients.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Puts a phone on the virtual USB bus; it is listed while usbVisible() holds. */
  attach(phone: UsbmuxPhone): void {
    if (this.phones.has(phone)) return;
    const onVisibility = (visible: boolean): void => (visible ? this.announce(phone) : this.withdraw(phone));
    this.phones.set(phone, onVisibility);
    phone.events.on('usb-visibility', onVisibility);
    if (phone.usbVisible()) this.announce(phone);
  }

  detach(phone: UsbmuxPhone): void {
    const onVisibility = this.phones.get(phone);
    if (!onVisibility) return;
    phone.events.off('usb-visibility', onVisibility);
    this.phones.delete(phone);
    this.withdraw(phone);
  }

  /** Device ids currently listed, by UDID (tests). */
  deviceIdOf(udid: string): number | undefined {
    for (const device of this.attached.values()) if (device.phone.udid === udid) return device.deviceId;
    return undefined;
  }

  listedUdids(): string[] {
    return [...this.attached.values()].map((d) => d.phone.udid);
  }

  /** Stores a pair record (host side) as usbmuxd would after SavePairRecord. */
  async storePairRecord(udid: string, record: Uint8Array): Promise<void> {
    const value = decodePlist(record, { maxBytes: MAX_PAIR_RECORD_BYTES });
    if (!isPlistDict(value)) throw new Error('pair record is not a dictionary');
    const xml = encodeXmlPlist(value);
    this.pairRecords.set(udid, xml);
    if (this.options.pairRecordDir) {
      await mkdir(this.options.pairRecordDir, { recursive: true });
      await writeFile(join(this.options.pairRecordDir, `${safeName(udid)}.plist`), xml);
    }
  }

  async readPairRecord(udid: string): Promise<Buffer | undefined> {
    const cached = this.pairRecords.get(udid);
    if (cached || !this.options.pairRecordDir) return cached;
    try {
      const bytes = await readFile(join(this.options.pairRecordDir, `${safeName(udid)}.plist`));
      if (bytes.length > MAX_PAIR_RECORD_BYTES) return undefined;
      this.pairRecords.set(udid, bytes);
      return bytes;
    } catch {
      return undefined;
    }
  }

  async deletePairRecord(udid: string): Promise<boolean> {
    let existed = this.pairRecords.delete(udid);
    if (this.options.pairRecordDir) {
      const path = join(this.options.pairRecordDir, `${safeName(udid)}.plist`);
      try {
        await rm(path);
        existed = true;
      } catch {
        // not on disk
      }
    }
    return existed;
  }

  // ---- device list and events ----

  private announce(phone: UsbmuxPhone): void {
    if (this.attached.has(phone)) return;
    // Real hardware re-enumerates with a new handle every time it appears.
    const deviceId = this.nextDeviceId++;
    const device: AttachedDevice = { deviceId, locationId: 0x01100000 + deviceId * 0x10000, phone, bridges: new Set() };
    this.attached.set(phone, device);
    this.bridgedBytes.set(phone, { total: 0, toHost: 0, corrupted: false });
    this.broadcast(this.attachedDict(device));
  }

  private withdraw(phone: UsbmuxPhone): void {
    const device = this.attached.get(phone);
    if (!device) return;
    this.attached.delete(phone);
    for (const bridge of device.bridges) bridge.destroy();
    device.bridges.clear();
    this.broadcast({ MessageType: 'Detached', DeviceID: device.deviceId });
  }

  private attachedDict(device: AttachedDevice): PlistDict {
    return {
      MessageType: 'Attached',
      DeviceID: device.deviceId,
      Properties: {
        ConnectionSpeed: 480000000,
        ConnectionType: 'USB',
        DeviceID: device.deviceId,
        LocationID: device.locationId,
        ProductID: device.phone.usbProductId(),
        SerialNumber: device.phone.udid,
      },
    };
  }

  private broadcast(event: PlistDict): void {
    for (const client of this.clients) {
      if (!client.listening) continue;
      this.sendEvent(client, event);
    }
  }

  private sendEvent(client: Client, event: PlistDict): void {
    if (client.version === UsbmuxVersion.Plist) {
      this.send(client, 0, event);
      return;
    }
    const deviceId = plistUint(event.DeviceID) ?? 0;
    if (event.MessageType === 'Attached') {
      const device = [...this.attached.values()].find((d) => d.deviceId === deviceId);
      if (!device) return;
      const record = encodeBinaryDeviceRecord({
        deviceId,
        productId: device.phone.usbProductId(),
        serialNumber: device.phone.udid,
        location: device.locationId,
      });
      this.write(client, encodeUsbmuxPacket({ version: 0, message: UsbmuxMessageType.DeviceAdd, tag: 0 }, record));
    } else {
      const message = event.MessageType === 'Paired' ? UsbmuxMessageType.DevicePaired : UsbmuxMessageType.DeviceRemove;
      this.write(client, encodeUsbmuxPacket({ version: 0, message, tag: 0 }, encodeBinaryResult(deviceId)));
    }
  }

  // ---- client connections ----

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const client: Client = {
      id: this.nextClientId++,
      socket,
      version: UsbmuxVersion.Binary,
      listening: false,
      progName: '',
      bundleId: undefined,
      libusbmuxVersion: 0,
    };
    this.clients.add(client);
    socket.once('close', () => this.clients.delete(client));
    this.serveClient(client).catch(() => socket.destroy());
  }

  private async serveClient(client: Client): Promise<void> {
    const reader = new ByteReader(client.socket, { maxBuffered: 2 * 1024 * 1024 });
    for (;;) {
      // Hostile lengths throw here and close this client only.
      const { header, payload } = await readUsbmuxPacket(reader);
      if (header.version !== UsbmuxVersion.Binary && header.version !== UsbmuxVersion.Plist) {
        this.sendResult(client, header.tag, UsbmuxResult.BadVersion);
        client.socket.end();
        return;
      }
      client.version = header.version;
      if (header.version === UsbmuxVersion.Binary) {
        const done = await this.handleBinary(client, reader, header.message, header.tag, payload);
        if (done) return;
        continue;
      }
      if (header.message !== UsbmuxMessageType.Plist) {
        this.sendResult(client, header.tag, UsbmuxResult.BadCommand);
        continue;
      }
      const request = decodeUsbmuxPlist(payload);
      const done = await this.handlePlist(client, reader, header.tag, request);
      if (done) return;
    }
  }

  /** Returns true when the socket stopped being a control connection (Connect). */
  private async handlePlist(client: Client, reader: ByteReader, tag: number, request: PlistDict): Promise<boolean> {
    const type = request.MessageType;
    if (typeof request.ProgName === 'string') client.progName = request.ProgName.slice(0, 256);
    if (typeof request.BundleID === 'string') client.bundleId = request.BundleID.slice(0, 256);
    const libVersion = plistUint(request.kLibUSBMuxVersion);
    if (libVersion !== undefined) client.libusbmuxVersion = libVersion;
    switch (type) {
      case 'ListDevices':
        this.send(client, tag, { DeviceList: [...this.attached.values()].map((d) => this.attachedDict(d)) });
        return false;
      case 'Listen':
        this.sendResult(client, tag, UsbmuxResult.Ok);
        client.listening = true;
        for (const device of this.attached.values()) this.sendEvent(client, this.attachedDict(device));
        return false;
      case 'ReadBUID':
        this.send(client, tag, { BUID: this.systemBuid });
        return false;
      case 'ReadPairRecord': {
        const id = request.PairRecordID;
        const record = typeof id === 'string' ? await this.readPairRecord(id) : undefined;
        if (record) this.send(client, tag, { PairRecordData: record });
        else this.sendResult(client, tag, typeof id === 'string' ? UsbmuxErrno.ENOENT : UsbmuxErrno.EINVAL);
        return false;
      }
      case 'SavePairRecord': {
        const id = request.PairRecordID;
        const data = request.PairRecordData;
        if (typeof id !== 'string' || id.length === 0 || id.length > 128 || !(data instanceof Uint8Array)) {
          this.sendResult(client, tag, UsbmuxErrno.EINVAL);
          return false;
        }
        try {
          await this.storePairRecord(id, data);
        } catch {
          this.sendResult(client, tag, UsbmuxErrno.EINVAL);
          return false;
        }
        this.sendResult(client, tag, UsbmuxResult.Ok);
        const deviceId = plistUint(request.DeviceID);
        const device = [...this.attached.values()].find((d) => d.deviceId === deviceId && d.phone.udid === id);
        if (device) this.broadcast({ MessageType: 'Paired', DeviceID: device.deviceId });
        return false;
      }
      case 'DeletePairRecord': {
        const id = request.PairRecordID;
        if (typeof id !== 'string') {
          this.sendResult(client, tag, UsbmuxErrno.EINVAL);
          return false;
        }
        this.sendResult(client, tag, (await this.deletePairRecord(id)) ? UsbmuxResult.Ok : UsbmuxErrno.ENOENT);
        return false;
      }
      case 'ListListeners':
        this.send(client, tag, { ListenerList: [...this.clients].filter((c) => c.listening).map((c) => this.listenerDict(c)) });
        return false;
      case 'Connect': {
        const deviceId = plistUint(request.DeviceID);
        const device = [...this.attached.values()].find((d) => d.deviceId === deviceId);
        if (deviceId === undefined || !device) {
          this.sendResult(client, tag, UsbmuxResult.BadDevice);
          return false;
        }
        const swapped = plistUint(request.PortNumber);
        if (swapped === undefined || swapped > 0xffff) {
          this.sendResult(client, tag, UsbmuxResult.BadCommand);
          return false;
        }
        return this.connect(client, reader, tag, device, swapPort(swapped));
      }
      default:
        this.sendResult(client, tag, UsbmuxResult.BadCommand);
        return false;
    }
  }

  private async handleBinary(client: Client, reader: ByteReader, message: number, tag: number, payload: Buffer): Promise<boolean> {
    if (message === UsbmuxMessageType.Listen) {
      this.sendResult(client, tag, UsbmuxResult.Ok);
      client.listening = true;
      for (const device of this.attached.values()) this.sendEvent(client, this.attachedDict(device));
      return false;
    }
    if (message === UsbmuxMessageType.Connect) {
      let request;
      try {
        request = decodeBinaryConnect(payload);
      } catch {
        this.sendResult(client, tag, UsbmuxResult.BadCommand);
        return false;
      }
      const device = [...this.attached.values()].find((d) => d.deviceId === request.deviceId);
      if (!device) {
        this.sendResult(client, tag, UsbmuxResult.BadDevice);
        return false;
      }
      return this.connect(client, reader, tag, device, request.port);
    }
    this.sendResult(client, tag, UsbmuxResult.BadCommand);
    return false;
  }

  private listenerDict(client: Client): PlistDict {
    const dict: PlistDict = {
      Blacklisted: false,
      ConnType: 0,
      'ID String': `${client.id}-${client.progName}`,
      ProgName: client.progName,
      kLibUSBMuxVersion: client.libusbmuxVersion,
    };
    if (client.bundleId !== undefined) dict.BundleID = client.bundleId;
    return dict;
  }

  private connect(client: Client, reader: ByteReader, tag: number, device: AttachedDevice, port: number): boolean {
    const phone = device.phone;
    if (phone.faults.refusePort.has(port)) {
      this.sendResult(client, tag, UsbmuxResult.ConnectionRefused);
      return false;
    }
    let stream: Duplex | null;
    try {
      stream = phone.openPort(port);
    } catch {
      stream = null;
    }
    if (!stream) {
      this.sendResult(client, tag, UsbmuxResult.ConnectionRefused);
      return false;
    }
    // docs/protocols/usbmux.md#client-behaviour: from here on the socket is a raw pipe; no more frame parsing.
    const early = reader.release();
    client.socket.pause();
    this.clients.delete(client);
    this.sendResult(client, tag, UsbmuxResult.Ok);
    this.bridge(device, client.socket, stream, early);
    return true;
  }

  private bridge(device: AttachedDevice, socket: Socket, stream: Duplex, early: Buffer): void {
    const phone = device.phone;
    const counters = this.bridgedBytes.get(phone) ?? { total: 0, toHost: 0, corrupted: false };
    this.bridgedBytes.set(phone, counters);
    device.bridges.add(socket);
    /** Counts bytes; returns how many of `n` may still cross before the unplug-after-bytes fault fires. */
    const count = (n: number): number => {
      const limit = phone.faults.unplugAfterBytes;
      const allowed = limit === undefined ? n : Math.max(0, Math.min(n, limit - counters.total));
      counters.total += allowed;
      return allowed;
    };
    const unplugIfDue = (): void => {
      const limit = phone.faults.unplugAfterBytes;
      if (limit !== undefined && counters.total >= limit) phone.unplug();
    };
    let closed = false;
    const teardown = (): void => {
      if (closed) return;
      closed = true;
      device.bridges.delete(socket);
      socket.destroy();
      stream.destroy();
    };
    stream.on('error', teardown);
    stream.on('close', teardown);
    socket.on('close', teardown);

    const toDevice = (data: Buffer): void => {
      const chunk = data.subarray(0, count(data.length));
      if (chunk.length > 0 && !stream.write(chunk)) socket.pause();
      unplugIfDue();
    };
    if (early.length > 0) toDevice(early);
    socket.on('data', toDevice);
    stream.on('drain', () => socket.resume());
    socket.on('end', () => stream.end());

    let corked = false;
    const uncork = (): void => {
      corked = false;
      socket.uncork();
    };
    stream.on('data', (data: Buffer) => {
      let chunk = data;
      const corruptAt = phone.faults.corruptFrameAfterBytes;
      if (corruptAt !== undefined && !counters.corrupted && counters.toHost + chunk.length > corruptAt) {
        counters.corrupted = true;
        chunk = Buffer.from(chunk);
        const start = Math.max(0, corruptAt - counters.toHost);
        for (let i = start; i < Math.min(chunk.length, start + CORRUPT_BURST); i++) chunk[i] = chunk[i]! ^ 0xff;
      }
      chunk = chunk.subarray(0, count(chunk.length));
      counters.toHost += chunk.length;
      // The phone writes a file block as a 5-byte header then its payload: one syscall (writev) per turn of the
      // event loop instead of one per write, whoever reads on the other side.
      if (!corked && chunk.length > 0) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      if (chunk.length > 0 && !socket.write(chunk)) stream.pause();
      unplugIfDue();
    });
    socket.on('drain', () => stream.resume());
    stream.on('end', () => socket.end());
    socket.resume();
  }

  // ---- replies: header and payload always in one write (docs/protocols/usbmux.md#client-behaviour) ----

  private sendResult(client: Client, tag: number, code: number): void {
    if (client.version === UsbmuxVersion.Plist) this.send(client, tag, usbmuxResultDict(code));
    else this.write(client, encodeUsbmuxPacket({ version: 0, message: UsbmuxMessageType.Result, tag }, encodeBinaryResult(code)));
  }

  private send(client: Client, tag: number, dict: PlistDict): void {
    const payload = encodeXmlPlist(dict as PlistValue);
    this.write(client, encodeUsbmuxPacket({ version: UsbmuxVersion.Plist, message: UsbmuxMessageType.Plist, tag }, payload));
  }

  private write(client: Client, packet: Buffer): void {
    if (!client.socket.destroyed && client.socket.writable) client.socket.write(packet);
  }
}

function safeName(udid: string): string {
  return udid.replace(/[^0-9A-Za-z_-]/g, '_');
}
