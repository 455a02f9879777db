/** A UsbBus over simulated phones: connect/disconnect follow each phone's USB personality changes. */
import type { UsbBus, UsbBusStatus, UsbDeviceHandle } from '../../usb/usb-bus';
import type { PhoneHardware } from './phone-hardware';
import type { SimUsbDevice } from './sim-usb-device';

type Listener = (device: UsbDeviceHandle) => void;

export class SimUsbBus implements UsbBus {
  readonly #phones = new Map<PhoneHardware, (device: SimUsbDevice | null, previous: SimUsbDevice | null) => void>();
  readonly #connect = new Set<Listener>();
  readonly #disconnect = new Set<Listener>();
  #closed = false;

  constructor(phones: Iterable<PhoneHardware> = []) {
    for (const phone of phones) this.addPhone(phone);
  }

  /** Plug a phone into the simulated host; its current device (if any) is announced as connected. */
  addPhone(phone: PhoneHardware): void {
    if (this.#closed || this.#phones.has(phone)) return;
    const onUsb = (device: SimUsbDevice | null, previous: SimUsbDevice | null): void => {
      if (previous) this.#emit(this.#disconnect, previous);
      if (device) this.#emit(this.#connect, device);
    };
    this.#phones.set(phone, onUsb);
    phone.on('usb', onUsb);
    const current = phone.usbDevice();
    if (current) this.#emit(this.#connect, current);
  }

  /** Take a phone off this host; its device (if any) is announced as disconnected. */
  removePhone(phone: PhoneHardware): void {
    const onUsb = this.#phones.get(phone);
    if (!onUsb) return;
    phone.off('usb', onUsb);
    this.#phones.delete(phone);
    const current = phone.usbDevice();
    if (current) this.#emit(this.#disconnect, current);
  }

  get phones(): PhoneHardware[] {
    return [...this.#phones.keys()];
  }

  async getDevices(): Promise<SimUsbDevice[]> {
    const devices: SimUsbDevice[] = [];
    for (const phone of this.#phones.keys()) {
      const device = phone.usbDevice();
      if (device) devices.push(device);
    }
    return devices;
  }

  onConnect(callback: Listener): () => void {
    this.#connect.add(callback);
    return () => this.#connect.delete(callback);
  }

  onDisconnect(callback: Listener): () => void {
    this.#disconnect.add(callback);
    return () => this.#disconnect.delete(callback);
  }

  status(): UsbBusStatus {
    return { state: 'ready' };
  }

  close(): void {
    this.#closed = true;
    for (const [phone, onUsb] of this.#phones) phone.off('usb', onUsb);
    this.#phones.clear();
    this.#connect.clear();
    this.#disconnect.clear();
  }

  #emit(listeners: Set<Listener>, device: UsbDeviceHandle): void {
    for (const listener of [...listeners]) {
      try {
        listener(device);
      } catch (error) {
        // A faulty subscriber must not stop the phone or the other subscribers.
        process.emitWarning(`SimUsbBus listener threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
