/**
 * The one hardware seam for USB: a WebUSB-shaped device handle and a bus that lists and watches devices.
 * The app uses the node `usb` implementation (node-usb-bus) on macOS and Linux and Apple's driver (apple-driver-bus) on
 * Windows (platform-usb-bus chooses); tests and demo mode use the simulator (sim-usb-bus).
 */
import type { UsbBackend } from '../../common/phone';

export type { UsbBackend };

/** WebUSB USBControlTransferParameters. */
export type UsbControlSetup = {
  requestType: 'standard' | 'class' | 'vendor';
  recipient: 'device' | 'interface' | 'endpoint' | 'other';
  request: number;
  value: number;
  index: number;
};

export type UsbTransferStatus = 'ok' | 'stall' | 'babble';

/** WebUSB USBInTransferResult. */
export type UsbInTransferResult = { status: UsbTransferStatus; data?: DataView };

/** WebUSB USBOutTransferResult. */
export type UsbOutTransferResult = { status: UsbTransferStatus; bytesWritten: number };

export interface UsbDeviceHandle {
  /** Unique per enumeration: a re-enumerated device (new address) gets a new id. */
  readonly id: string;
  /** Physical attachment point (bus + port path); stays the same when the device re-enumerates on the same port. */
  readonly location: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string;
  readonly productName?: string;
  readonly manufacturerName?: string;
  readonly opened: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  controlTransferIn(setup: UsbControlSetup, length: number): Promise<UsbInTransferResult>;
  controlTransferOut(setup: UsbControlSetup, data?: Uint8Array): Promise<UsbOutTransferResult>;
  /** endpointNumber without the direction bit (WebUSB semantics): bulk IN 0x81 is endpoint 1. */
  transferIn(endpointNumber: number, length: number): Promise<UsbInTransferResult>;
  transferOut(endpointNumber: number, data: Uint8Array): Promise<UsbOutTransferResult>;
  /** USB port reset (WebUSB reset, libusb_reset_device). The device may re-enumerate: find it again by ECID. */
  reset(): Promise<void>;
}

export type UsbUnavailableReason = 'no-usb-subsystem' | 'permission-denied' | 'driver-missing' | 'library-failed';

export type UsbBusStatus =
  | { state: 'ready'; backend?: UsbBackend }
  | {
      state: 'unavailable';
      backend?: UsbBackend;
      reason: UsbUnavailableReason;
      /** What went wrong, in words a support person can search for. */
      detail: string;
      /** What the user can do about it, in plain words. */
      fix: string;
    };

export interface UsbBus {
  /** Devices currently attached (Apple vendor id only for the real bus). Resolves [] when USB is unavailable. */
  getDevices(): Promise<UsbDeviceHandle[]>;
  /** Returns an unsubscribe function. */
  onConnect(callback: (device: UsbDeviceHandle) => void): () => void;
  /** Receives the same handle object that was reported connected (or listed). */
  onDisconnect(callback: (device: UsbDeviceHandle) => void): () => void;
  status(): UsbBusStatus;
  close(): void;
}

/** A typed error for USB operations on a device that has gone away or refused the request. */
export class UsbDeviceError extends Error {
  constructor(
    message: string,
    readonly code: 'not-found' | 'not-open' | 'invalid-state' | 'disconnected' | 'io',
  ) {
    super(message);
    this.name = 'UsbDeviceError';
  }
}
