import type { UsbmuxStatus } from '../../common/phone';
import { readDeviceInfo, type LockdownDeviceInfo } from '../lockdown/device-info';
import { LockdownError } from '../lockdown/lockdown-client';
import type { UsbBus } from '../usb/usb-bus';
import type { UsbmuxAddress } from '../usbmux/usbmux-address';
import type { UsbmuxClient } from '../usbmux/usbmux-client';
import { UsbmuxWatcher, type UsbmuxWatcherState } from '../usbmux/usbmux-watcher';
import type { PhoneIdentities } from './phone-identity-memory';
import { PhoneRegistry } from './phone-registry';
import type { LockdownFacts, LockdownProbe, UsbmuxFeed } from './phone-views';
import { readRestoreModeFacts } from './restore-mode-facts';

export function usbmuxStatusOf(state: UsbmuxWatcherState): UsbmuxStatus {
  switch (state.status) {
    case 'connected':
      return { state: 'connected' };
    case 'daemon-missing':
      return {
        state: 'unavailable',
        reason: 'daemon-missing',
        detail: `Lifeline can't reach the service that talks to phones that are switched on (usbmuxd at ${state.address}).`,
        fix: state.advice,
      };
    default:
      return { state: 'connecting' };
  }
}

/** The registry's view of a UsbmuxWatcher. */
export function usbmuxFeed(watcher: UsbmuxWatcher): UsbmuxFeed {
  let status: UsbmuxStatus = { state: 'connecting' };
  watcher.on('state', (state) => {
    status = usbmuxStatusOf(state);
  });
  return {
    onAttached(listener) {
      watcher.on('attached', listener);
      return () => watcher.off('attached', listener);
    },
    onDetached(listener) {
      const forward = (device: { deviceId: number }): void => listener(device.deviceId);
      watcher.on('detached', forward);
      return () => watcher.off('detached', forward);
    },
    onStatus(listener) {
      const forward = (state: UsbmuxWatcherState): void => listener(usbmuxStatusOf(state));
      watcher.on('state', forward);
      return () => watcher.off('state', forward);
    },
    status: () => status,
    stop: () => watcher.stop(),
  };
}

export function factsFrom(info: LockdownDeviceInfo): LockdownFacts {
  const facts: LockdownFacts = {
    trusted: info.trust === 'trusted' || info.trust === 'paired-locked' ? true : info.trust === 'not-trusted' ? false : null,
    passcodeSet: info.passwordProtected === true ? true : null,
    locked: info.passwordProtected,
    unlockedSinceBoot: info.trust === 'paired-locked' ? false : info.unlockedSinceBoot,
  };
  if (info.invalidIdentity) facts.invalidIdentity = true;
  if (info.productType) facts.productType = info.productType;
  if (info.hardwareModel) facts.boardConfig = info.hardwareModel;
  if (info.productVersion) facts.iosVersion = info.productVersion;
  if (info.buildVersion) facts.buildVersion = info.buildVersion;
  if (info.deviceName) facts.deviceName = info.deviceName;
  if (info.ecid !== null) facts.ecid = info.ecid;
  if (info.chipId !== null) facts.cpid = info.chipId;
  if (info.boardId !== null) facts.bdid = info.boardId;
  return facts;
}

/**
 * The registry's lockdown probe: one bounded readDeviceInfo per attached phone. restored answers QueryType without
 * echoing the request, which lockdown reads as out of step: such a phone is asked again as a restore-mode phone.
 */
export function lockdownProbe(client: UsbmuxClient, timeoutMs: number): LockdownProbe {
  return async (device, signal) => {
    try {
      return factsFrom(await readDeviceInfo(client, device, { signal, timeoutMs, label: 'lifeline' }));
    } catch (error) {
      if (!(error instanceof LockdownError && error.code === 'ProtocolError') || signal.aborted) throw error;
      const restoreMode = await readRestoreModeFacts(client, device, { signal, timeoutMs }).catch(() => null);
      if (restoreMode) return restoreMode;
      throw error;
    }
  };
}

export type HostRegistryOptions = {
  usb: UsbBus;
  /** Default: USBMUXD_SOCKET_ADDRESS or the OS's usbmuxd. */
  usbmuxAddress?: UsbmuxAddress;
  reconnectGraceMs?: number;
  probeTimeoutMs?: number;
  /** First retry delay when usbmuxd is away (doubles up to 5 s). */
  initialBackoffMs?: number;
  /** Where ECID ↔ UDID pairs are remembered across runs (none: only what this run sees). */
  identities?: PhoneIdentities;
};

const DEFAULT_PROBE_TIMEOUT_MS = 15_000;

/** The registry wired to this computer's two seams: a USB bus and a usbmuxd address. */
export async function startHostRegistry(options: HostRegistryOptions): Promise<PhoneRegistry> {
  const probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const watcher = new UsbmuxWatcher({
    progName: 'lifeline',
    ...(options.usbmuxAddress ? { address: options.usbmuxAddress } : {}),
    ...(options.initialBackoffMs !== undefined ? { initialBackoffMs: options.initialBackoffMs } : {}),
  });
  const feed = usbmuxFeed(watcher);
  watcher.start();
  return PhoneRegistry.start({
    usb: options.usb,
    usbmux: feed,
    probe: lockdownProbe(watcher.client, probeTimeoutMs),
    probeTimeoutMs: probeTimeoutMs + 1_000,
    ...(options.identities ? { identities: options.identities } : {}),
    ...(options.reconnectGraceMs !== undefined ? { reconnectGraceMs: options.reconnectGraceMs } : {}),
  });
}
