import type { Unsubscribe } from '../../common/api';
import type { UsbmuxStatus } from '../../common/phone';
import type { UsbmuxDevice, UsbmuxListedDevice } from '../usbmux/usbmux-client';

export type { UsbmuxDevice };

/** The usbmuxd side of the registry: attach/detach events and the daemon's reachability. */
export interface UsbmuxFeed {
  /** Unidentified devices (`udid: null`) too: the registry lists them with the invalid-identity problem. */
  onAttached(listener: (device: UsbmuxListedDevice) => void): Unsubscribe;
  onDetached(listener: (deviceId: number) => void): Unsubscribe;
  onStatus(listener: (status: UsbmuxStatus) => void): Unsubscribe;
  status(): UsbmuxStatus;
  stop(): Promise<void> | void;
}

/** What lockdown told us about a normal-mode phone. Every field may be missing: a locked, untrusted phone says little. */
export type LockdownFacts = {
  productType?: string;
  boardConfig?: string;
  iosVersion?: string;
  buildVersion?: string;
  deviceName?: string;
  ecid?: bigint;
  cpid?: number;
  bdid?: number;
  /** Lockdown's UniqueDeviceID is not a UDID, or not the one usbmuxd lists. */
  invalidIdentity?: boolean;
  /** Port 62078 answered as restored: the phone runs the restore ramdisk, not iOS. */
  restoreMode?: boolean;
  trusted: boolean | null;
  passcodeSet: boolean | null;
  locked: boolean | null;
  unlockedSinceBoot: boolean | null;
};

/** Asks lockdown about one attached phone, within a bounded time. */
export type LockdownProbe = (device: UsbmuxDevice, signal: AbortSignal) => Promise<LockdownFacts>;

/** The ECID is the last 16 hex digits of a modern (dashed, 25-character) UDID; old 40-hex UDIDs do not carry it. */
export function ecidFromUdid(udid: string): bigint | undefined {
  const match = /^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{16})$/.exec(udid);
  return match ? BigInt(`0x${match[1]}`) : undefined;
}

export function ecidKey(ecid: bigint): string {
  return ecid.toString(16).toUpperCase().padStart(16, '0');
}
