/** A UsbBus over simulated phones: connect/disconnect follow each phone's USB personality changes. */
import { HotplugListeners } from '../../usb/hotplug-listeners';
import type { UsbBus, UsbBusStatus, UsbDeviceHandle } from '../../usb/usb-bus';
import type { PhoneHardware } from './phone-hardware';
import type { SimUsbDevice } from './sim-usb-device';

export class SimUsbBus implements UsbBus {
  readonly #phones = new Map<PhoneHardware, (device: SimUsbDevice | null, previous: SimUsbDevice | null) => void>();
  readonly #listeners = new HotplugListeners();
  #closed = false;

  constructor(phones: Iterable<PhoneHardware> = []) {
    for (const phone of phones) this.addPhone(phone);
  }

  /** Plug a phone into the simulated host; its current device (if any) is announced as connected. */
  addPhone(phone: PhoneHardware): void {
    if (this.#closed || this.#phones.has(phone)) return;
    const onUsb = (device: SimUsbDevice | null, previous: SimUsbDevice | null): void => {
      if (previous) this.#listeners.disconnected(previous);
      if (device) this.#listeners.connected(device);
    };
    this.#phones.set(phone, onUsb);
    phone.on('usb', onUsb);
    const current = phone.usbDevice();
    if (current) this.#listeners.connected(current);
  }

  /** Take a phone off this host; its device (if any) is announced as disconnected. */
  removePhone(phone: PhoneHardware): void {
    const onUsb = this.#phones.get(phone);
    if (!onUsb) return;
    phone.off('usb', onUsb);
    this.#phones.delete(phone);
    const current = phone.usbDevice();
    if (current) this.#listeners.disconnected(current);
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

  onConnect(callback: (device: UsbDeviceHandle) => void): () => void {
    return this.#listeners.onConnect(callback);
  }

  onDisconnect(callback: (device: UsbDeviceHandle) => void): () => void {
    return this.#listeners.onDisconnect(callback);
  }

  status(): UsbBusStatus {
    return { state: 'ready', backend: 'simulator' };
  }

  close(): void {
    this.#closed = true;
    for (const [phone, onUsb] of this.#phones) phone.off('usb', onUsb);
    this.#phones.clear();
    this.#listeners.clear();
  }
}
