import type { UsbDeviceHandle } from './usb-bus';

type Listener = (device: UsbDeviceHandle) => void;

/** The connect/disconnect subscriber lists every UsbBus keeps; a throwing subscriber never stops the others. */
export class HotplugListeners {
  readonly #connect = new Set<Listener>();
  readonly #disconnect = new Set<Listener>();

  onConnect(callback: Listener): () => void {
    this.#connect.add(callback);
    return () => this.#connect.delete(callback);
  }

  onDisconnect(callback: Listener): () => void {
    this.#disconnect.add(callback);
    return () => this.#disconnect.delete(callback);
  }

  connected(device: UsbDeviceHandle): void {
    HotplugListeners.#notify(this.#connect, device);
  }

  disconnected(device: UsbDeviceHandle): void {
    HotplugListeners.#notify(this.#disconnect, device);
  }

  clear(): void {
    this.#connect.clear();
    this.#disconnect.clear();
  }

  static #notify(listeners: Set<Listener>, device: UsbDeviceHandle): void {
    for (const listener of [...listeners]) {
      try {
        listener(device);
      } catch (error) {
        process.emitWarning(`UsbBus listener threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

/** Removes from `known` every device whose key this listing did not see, and returns them (a bus then marks and announces them gone). */
export function forgetUnseen<T>(known: Map<string, T>, seen: ReadonlySet<string>): T[] {
  const gone: T[] = [];
  for (const [key, device] of known) {
    if (seen.has(key)) continue;
    known.delete(key);
    gone.push(device);
  }
  return gone;
}
