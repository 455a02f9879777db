import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { ByteReader } from '../wire/byte-reader';
import { plistUint } from './usbmux-wire';
import { UsbmuxClient, parseUsbmuxEntry, toUsbmuxError } from './usbmux-client';
import type { UsbmuxClientOptions, UsbmuxListedDevice } from './usbmux-client';
import { daemonMissingAdvice, formatUsbmuxAddress, resolveUsbmuxAddress } from './usbmux-address';
import type { ResolvedUsbmuxAddress } from './usbmux-address';

export type UsbmuxWatcherState =
  | { status: 'starting'; address: string }
  | { status: 'connected'; address: string }
  | {
      status: 'daemon-missing';
      address: string;
      /** What to tell a person, per OS. */
      advice: string;
      /** Technical cause for logs. */
      error: string;
      /** When the next connection attempt happens. */
      retryInMs: number;
    }
  | { status: 'stopped'; address: string };

export type UsbmuxWatcherEvents = {
  /** Unidentified devices (a SerialNumber that is not a UDID) are reported too, with `udid: null`. */
  attached: [device: UsbmuxListedDevice];
  detached: [device: UsbmuxListedDevice];
  /** The daemon stored a pair record for this device (a host paired with it). */
  paired: [device: UsbmuxListedDevice];
  state: [state: UsbmuxWatcherState];
};

export type UsbmuxWatcherOptions = UsbmuxClientOptions & {
  platform?: NodeJS.Platform;
  env?: Readonly<Record<string, string | undefined>>;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
};

const DEFAULT_INITIAL_BACKOFF_MS = 100;
const DEFAULT_MAX_BACKOFF_MS = 5_000;

/**
 * A long-lived Listen subscription: attached/detached events for every device, kept alive across daemon restarts
 * with exponential backoff. After every (re)connection the device list is re-read, so phones removed while the
 * daemon was away are reported detached and new ones attached.
 */
export class UsbmuxWatcher extends EventEmitter<UsbmuxWatcherEvents> {
  readonly client: UsbmuxClient;
  private readonly address: ResolvedUsbmuxAddress;
  private readonly platform: NodeJS.Platform;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly known = new Map<number, UsbmuxListedDevice>();
  private current: UsbmuxWatcherState;
  private abort = new AbortController();
  private socket: Socket | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(options: UsbmuxWatcherOptions = {}) {
    super();
    this.platform = options.platform ?? process.platform;
    const resolved = resolveUsbmuxAddress({
      platform: this.platform,
      ...(options.env ? { env: options.env } : {}),
    });
    this.address = options.address ? { ...options.address, source: 'explicit' } : resolved;
    this.client = new UsbmuxClient({ ...options, address: this.address });
    this.initialBackoffMs = options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    this.maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.current = { status: 'stopped', address: formatUsbmuxAddress(this.address) };
  }

  get state(): UsbmuxWatcherState {
    return this.current;
  }

  /** Devices currently attached, as last reported. */
  devices(): UsbmuxListedDevice[] {
    return [...this.known.values()];
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.setState({ status: 'starting', address: formatUsbmuxAddress(this.address) });
    this.loop = this.run(this.abort.signal).catch(() => undefined);
  }

  /** Ends the subscription; no events are emitted afterwards. */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.abort.abort();
    this.socket?.destroy();
    this.wake?.();
    await loop;
    this.loop = null;
    this.known.clear();
    this.setState({ status: 'stopped', address: formatUsbmuxAddress(this.address) });
  }

  private async run(signal: AbortSignal): Promise<void> {
    let backoff = this.initialBackoffMs;
    while (!signal.aborted) {
      let connected = false;
      try {
        await this.subscribe(signal, () => {
          connected = true;
          backoff = this.initialBackoffMs;
        });
      } catch (error) {
        if (signal.aborted) return;
        const failure = toUsbmuxError(error, 'Listen');
        if (!connected) {
          // Unreachable (or answering garbage): the phones behind it are unreachable too.
          for (const device of [...this.known.values()]) this.drop(device);
          this.setState({
            status: 'daemon-missing',
            address: formatUsbmuxAddress(this.address),
            advice: daemonMissingAdvice(this.platform, this.address, failure.details.socketCode),
            error: failure.message,
            retryInMs: backoff,
          });
        }
      } finally {
        this.socket?.destroy();
        this.socket = null;
      }
      if (signal.aborted) return;
      await this.sleep(connected ? this.initialBackoffMs : backoff, signal);
      if (!connected) backoff = Math.min(backoff * 2, this.maxBackoffMs);
    }
  }

  /** One connection's life: Listen, reconcile with a fresh list, then follow events until the socket ends. */
  private async subscribe(signal: AbortSignal, onConnected: () => void): Promise<void> {
    const { socket, reader } = await this.client.openListen({ signal });
    this.socket = socket;
    if (signal.aborted) return;
    // Listen first, then list: nothing that happens in between is missed (events queue on the Listen socket).
    const listed = await this.client.listAllDevices({ signal });
    if (signal.aborted) return;
    onConnected();
    this.setState({ status: 'connected', address: formatUsbmuxAddress(this.address) });
    this.reconcile(listed);
    await this.follow(reader, signal);
  }

  private reconcile(listed: UsbmuxListedDevice[]): void {
    const fresh = new Map(listed.map((device) => [device.deviceId, device]));
    for (const device of [...this.known.values()]) {
      const now = fresh.get(device.deviceId);
      if (!now || !sameIdentity(now, device)) this.drop(device);
    }
    for (const device of listed) this.add(device);
  }

  private async follow(reader: ByteReader, signal: AbortSignal): Promise<void> {
    for (;;) {
      const event = await this.client.readEvent(reader, { signal });
      if (signal.aborted) return;
      switch (event.MessageType) {
        case 'Attached': {
          const device = parseUsbmuxEntry(event);
          if (device) this.add(device);
          break;
        }
        case 'Detached': {
          const deviceId = plistUint(event.DeviceID);
          const device = deviceId === undefined ? undefined : this.known.get(deviceId);
          if (device) this.drop(device);
          break;
        }
        case 'Paired': {
          const deviceId = plistUint(event.DeviceID);
          const device = deviceId === undefined ? undefined : this.known.get(deviceId);
          if (device) this.emit('paired', device);
          break;
        }
        case 'Result':
          break;
        default:
          // Unknown event kinds are ignored, like libusbmuxd does.
          break;
      }
    }
  }

  private add(device: UsbmuxListedDevice): void {
    const existing = this.known.get(device.deviceId);
    if (existing && sameIdentity(existing, device)) {
      this.known.set(device.deviceId, device);
      return;
    }
    if (existing) this.drop(existing);
    this.known.set(device.deviceId, device);
    this.emit('attached', device);
  }

  private drop(device: UsbmuxListedDevice): void {
    if (this.known.get(device.deviceId) !== device) return;
    this.known.delete(device.deviceId);
    this.emit('detached', device);
  }

  private setState(state: UsbmuxWatcherState): void {
    const previous = this.current;
    this.current = state;
    const same =
      previous.status === state.status &&
      (state.status !== 'daemon-missing' ||
        (previous.status === 'daemon-missing' && previous.error === state.error && previous.advice === state.advice));
    if (!same) this.emit('state', state);
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = null;
    });
  }
}

function sameIdentity(a: UsbmuxListedDevice, b: UsbmuxListedDevice): boolean {
  if (a.udid !== null || b.udid !== null) return a.udid === b.udid;
  return a.reportedIdentity === b.reportedIdentity;
}
