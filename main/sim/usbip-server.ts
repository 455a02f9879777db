/**
 * Exports every device of a SimUsbBus over USB/IP v1.1.1 (the Linux kernel's usbip protocol) on 127.0.0.1, so
 * unmodified libusb tools (through the libusb shim, docs/protocols/usbip.md#libusb-shim) and Lifeline's UsbipBus can drive the virtual
 * phone. Conventions (docs/protocols/usbip.md#re-enumeration): a port's busid stays the same across re-enumeration while the devnum
 * changes; `SET_FEATURE(PORT_RESET)` (bmRequestType 0x23) resets the device; re-enumeration closes every session
 * of the old device.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ByteReader, StreamClosedError } from '../wire/byte-reader';
import { PORT_RESET_SETUP, parseBmRequestType } from '../usbip/control-request-type';
import { UsbRequest } from '../usb/usb-standard-requests';
import { USBIP_SPEED_HIGH, type UsbipDeviceRecord, type UsbipInterfaceRecord } from '../usbip/usbip-device-record';
import {
  MAX_DEVLIST_DEVICES,
  OP_STATUS_NODEV,
  OP_STATUS_OK,
  encodeDevlistReply,
  encodeImportReply,
  readOpRequest,
  type UsbipDevlistEntry,
} from '../usbip/usbip-op-codec';
import {
  URB_STATUS,
  decodeSetupPacket,
  encodeUrb,
  readUrbCommand,
  type UsbipCmdSubmit,
  type UsbipRetSubmit,
} from '../usbip/usbip-urb-codec';
import { UsbDeviceError, type UsbControlSetup, type UsbInTransferResult } from '../usb/usb-bus';
import type { SimUsbBus } from './hardware/sim-usb-bus';
import type { SimUsbDevice, SimUsbKind } from './hardware/sim-usb-device';

const BUSNUM = 1;
/** An OP request must arrive promptly after connecting; URB traffic may idle (a tool waiting for the user). */
const OP_REQUEST_TIMEOUT_MS = 10_000;
const MAX_SESSIONS = 32;

const INTERFACES: Record<SimUsbKind, UsbipInterfaceRecord[]> = {
  recovery: [
    { interfaceClass: 0xff, interfaceSubClass: 0xff, interfaceProtocol: 0 },
    { interfaceClass: 0xff, interfaceSubClass: 0xff, interfaceProtocol: 0 },
  ],
  dfu: [{ interfaceClass: 0xfe, interfaceSubClass: 0x01, interfaceProtocol: 0x02 }],
  wtf: [{ interfaceClass: 0xfe, interfaceSubClass: 0x01, interfaceProtocol: 0x02 }],
  normal: [{ interfaceClass: 0xff, interfaceSubClass: 0xfe, interfaceProtocol: 0x02 }],
};

export type SimUsbipServerOptions = {
  bus: SimUsbBus;
  /** Default 0: a random free port. */
  port?: number;
  /** One line per OP request and session event (debugging). */
  log?: (line: string) => void;
};

type Session = { socket: Socket; device: SimUsbDevice };

export class SimUsbipServer {
  readonly #bus: SimUsbBus;
  readonly #server: Server;
  readonly #log: (line: string) => void;
  readonly #busids = new Map<string, string>();
  readonly #sessions = new Set<Session>();
  readonly #sockets = new Set<Socket>();
  readonly #offDisconnect: () => void;
  #port = 0;

  private constructor(options: SimUsbipServerOptions) {
    this.#bus = options.bus;
    this.#log = options.log ?? (() => undefined);
    this.#server = createServer((socket) => this.#accept(socket));
    // Re-enumeration, unplug, power off: every session of the old device ends, as usbipd's stub does.
    this.#offDisconnect = this.#bus.onDisconnect((device) => {
      for (const session of this.#sessions) if (session.device === device) session.socket.destroy();
    });
  }

  static async start(options: SimUsbipServerOptions): Promise<SimUsbipServer> {
    const server = new SimUsbipServer(options);
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.#server.off('error', reject);
        resolve();
      });
    });
    const address = server.#server.address();
    server.#port = typeof address === 'object' && address ? address.port : 0;
    return server;
  }

  get port(): number {
    return this.#port;
  }

  /** "127.0.0.1:PORT" — the form LIBUSB_USBIP_SERVER and `--usbip` take. */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** The busid a phone's port is exported under ("1-1", "1-2", …), stable across re-enumeration. */
  busidOf(location: string): string {
    let busid = this.#busids.get(location);
    if (busid === undefined) {
      busid = `${BUSNUM}-${this.#busids.size + 1}`;
      this.#busids.set(location, busid);
    }
    return busid;
  }

  async close(): Promise<void> {
    this.#offDisconnect();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #record(device: SimUsbDevice): UsbipDevlistEntry {
    const interfaces = INTERFACES[device.kind];
    const busid = this.busidOf(device.location);
    const record: UsbipDeviceRecord = {
      path: `/sys/devices/platform/lifeline-sim/usb${BUSNUM}/${busid}`,
      busid,
      busnum: BUSNUM,
      devnum: device.address,
      speed: USBIP_SPEED_HIGH,
      vendorId: device.vendorId,
      productId: device.productId,
      bcdDevice: 0,
      deviceClass: 0,
      deviceSubClass: 0,
      deviceProtocol: 0,
      configurationValue: 1,
      numConfigurations: 1,
      numInterfaces: interfaces.length,
    };
    return { ...record, interfaces };
  }

  #accept(socket: Socket): void {
    if (this.#sockets.size >= MAX_SESSIONS) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => this.#sockets.delete(socket));
    void this.#serve(socket).catch((error: unknown) => {
      if (!(error instanceof StreamClosedError))
        this.#log(`usbip: dropped a connection: ${error instanceof Error ? error.message : String(error)}`);
      socket.destroy();
    });
  }

  async #serve(socket: Socket): Promise<void> {
    const reader = new ByteReader(socket, { maxBuffered: 2 * 1024 * 1024 });
    const request = await readOpRequest(reader, { timeoutMs: OP_REQUEST_TIMEOUT_MS });
    if (request.kind === 'devlist') {
      const devices = (await this.#bus.getDevices()).slice(0, MAX_DEVLIST_DEVICES);
      this.#log(`usbip: OP_REQ_DEVLIST → ${devices.length} device(s)`);
      socket.end(encodeDevlistReply(devices.map((d) => this.#record(d))));
      return;
    }
    const device = (await this.#bus.getDevices()).find((d) => this.busidOf(d.location) === request.busid);
    if (!device || !device.attached) {
      this.#log(`usbip: OP_REQ_IMPORT ${request.busid} → no device`);
      socket.end(encodeImportReply({ status: OP_STATUS_NODEV }));
      return;
    }
    this.#log(`usbip: OP_REQ_IMPORT ${request.busid} → devnum ${device.address} (${device.kind})`);
    const session: Session = { socket, device };
    this.#sessions.add(session);
    socket.on('close', () => {
      this.#sessions.delete(session);
      if (![...this.#sessions].some((s) => s.device === device) && device.attached) void device.close().catch(() => undefined);
    });
    if (!device.opened) await device.open();
    // Still configured from an earlier session: usbip-host keeps its interfaces bound, so a new importer may use
    // them without setting the configuration again (libirecovery only sets it when it differs).
    if (device.configurationValue !== 0) await claimAll(device);
    socket.write(encodeImportReply({ status: OP_STATUS_OK, device: this.#record(device) }));
    for (;;) {
      const command = await readUrbCommand(reader);
      if (command.command === 'unlink') {
        // URBs are completed in order before the next command is read, so the target has already been answered.
        socket.write(
          encodeUrb({ command: 'ret-unlink', seqnum: command.seqnum, devid: command.devid, direction: 'out', ep: 0, status: 0 }),
        );
        continue;
      }
      const { reply, reset } = await this.#submit(device, command);
      socket.write(encodeUrb(reply));
      if (reset) {
        this.#log(`usbip: port reset of ${request.busid}`);
        await device.reset().catch(() => undefined);
      }
    }
  }

  async #submit(device: SimUsbDevice, cmd: UsbipCmdSubmit): Promise<{ reply: UsbipRetSubmit; reset: boolean }> {
    const reply = (status: number, data?: Buffer, written = 0): UsbipRetSubmit => {
      const r: UsbipRetSubmit = {
        command: 'ret-submit',
        seqnum: cmd.seqnum,
        devid: cmd.devid,
        direction: cmd.direction,
        ep: cmd.ep,
        status,
        actualLength: cmd.direction === 'in' ? (data?.length ?? 0) : written,
        errorCount: 0,
      };
      if (cmd.direction === 'in') r.data = data ?? Buffer.alloc(0);
      return r;
    };
    try {
      if (cmd.ep !== 0) {
        if (cmd.direction === 'in')
          return { reply: fromIn(await device.transferIn(cmd.ep, cmd.transferBufferLength), reply), reset: false };
        const data = cmd.data ?? Buffer.alloc(0);
        const r = await device.transferOut(cmd.ep, data);
        return { reply: r.status === 'ok' ? reply(URB_STATUS.ok, undefined, r.bytesWritten) : reply(URB_STATUS.pipe), reset: false };
      }
      const setup = decodeSetupPacket(cmd.setup);
      if (
        setup.bmRequestType === PORT_RESET_SETUP.bmRequestType &&
        setup.bRequest === PORT_RESET_SETUP.bRequest &&
        setup.wValue === PORT_RESET_SETUP.wValue
      ) {
        return { reply: reply(URB_STATUS.ok), reset: true };
      }
      // CLEAR_FEATURE(ENDPOINT_HALT): the simulated endpoints never stay halted.
      if (setup.bmRequestType === 0x02 && setup.bRequest === UsbRequest.ClearFeature && setup.wValue === 0)
        return { reply: reply(URB_STATUS.ok), reset: false };
      const kind = parseBmRequestType(setup.bmRequestType);
      if (!kind) return { reply: reply(URB_STATUS.pipe), reset: false };
      const webSetup: UsbControlSetup = {
        requestType: kind.requestType,
        recipient: kind.recipient,
        request: setup.bRequest,
        value: setup.wValue,
        index: setup.wIndex,
      };
      if (kind.direction === 'in') {
        const length = Math.min(setup.wLength, cmd.transferBufferLength);
        return { reply: fromIn(await device.controlTransferIn(webSetup, length), reply), reset: false };
      }
      const data = (cmd.data ?? Buffer.alloc(0)).subarray(0, setup.wLength);
      const r = await device.controlTransferOut(webSetup, data);
      if (r.status !== 'ok') return { reply: reply(URB_STATUS.pipe), reset: false };
      if (
        kind.requestType === 'standard' &&
        kind.recipient === 'device' &&
        setup.bRequest === UsbRequest.SetConfiguration &&
        setup.wValue !== 0
      ) {
        // The exporting host's stub owns every interface of the configured device, as usbip-host does.
        await claimAll(device);
      }
      return { reply: reply(URB_STATUS.ok, undefined, data.length), reset: false };
    } catch (error) {
      if (error instanceof UsbDeviceError) {
        if (error.code === 'disconnected') return { reply: reply(URB_STATUS.nodev), reset: false };
        return { reply: reply(URB_STATUS.pipe), reset: false };
      }
      return { reply: reply(URB_STATUS.proto), reset: false };
    }
  }
}

function fromIn(result: UsbInTransferResult, reply: (status: number, data?: Buffer) => UsbipRetSubmit): UsbipRetSubmit {
  if (result.status !== 'ok') return reply(URB_STATUS.pipe);
  const view = result.data;
  return reply(URB_STATUS.ok, view ? Buffer.from(view.buffer, view.byteOffset, view.byteLength) : Buffer.alloc(0));
}

async function claimAll(device: SimUsbDevice): Promise<void> {
  await device.selectConfiguration(1).catch(() => undefined);
  for (let i = 0; i < INTERFACES[device.kind].length; i++) await device.claimInterface(i).catch(() => undefined);
}

export function startSimUsbipServer(options: SimUsbipServerOptions): Promise<SimUsbipServer> {
  return SimUsbipServer.start(options);
}
