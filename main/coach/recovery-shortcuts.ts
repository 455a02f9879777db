/**
 * The software shortcuts of docs/protocols/coach.md#recovery-mode, docs/protocols/coach.md#getting-out: lockdown EnterRecovery for a trusted phone, and leaving a
 * recovery loop without erasing anything (`setenv auto-boot true`, `saveenv`, `reboot` over the iBoot channel).
 * Both then wait, bounded, for the same phone (ECID) to come back and say where it landed.
 */
import { ProblemError } from '../../common/api';
import { compareVersions } from '../../common/ios-version';
import type { Phone, PhoneMode } from '../../common/phone';
import { LockdownClient, LockdownError } from '../lockdown/lockdown-client';
import { readPairRecord } from '../lockdown/pair-record-store';
import type { UsbmuxClient } from '../usbmux/usbmux-client';
import type { CoachPhones } from './coach-attempt';
import { sendIBootCommand } from '../irecv/iboot-commands';
import { IrecvError } from '../irecv/irecv-errors';
import { IBootRequest } from '../irecv/irecv-wire';

export type ShortcutContext = {
  phones: CoachPhones;
  usbmux: UsbmuxClient | undefined;
  /** The phone's time factor (practice phones); waits scale with it. */
  timeScale: number;
  signal: AbortSignal;
  progress(phase: string, message: string): void;
};

export type ShortcutResult = { phoneId: string; mode: PhoneMode };

const ENTER_WAIT_MS = 60_000;
const EXIT_WAIT_MS = 120_000;
/** Never wait less than this, however fast a practice phone is: the registry needs a moment too. */
const MIN_WAIT_MS = 5_000;

function phoneOf(phones: CoachPhones, phoneId: string): Phone {
  const phone = phones.list().find((p) => p.id === phoneId);
  if (!phone || !phone.connected) {
    throw new ProblemError('phone-not-connected', { connected: [] });
  }
  return phone;
}

/** Waits until the phone has left USB and come back; resolves with the mode it came back in, or null on timeout. */
export function waitForReturn(
  phones: Pick<CoachPhones, 'list' | 'onChange'>,
  phoneId: string,
  timeoutMs: number,
  signal: AbortSignal,
  alreadyLeft = false,
): Promise<PhoneMode | null> {
  return new Promise((resolve, reject) => {
    let left = alreadyLeft;
    const check = (): void => {
      const phone = phones.list().find((p) => p.id === phoneId);
      if (!phone || !phone.connected) {
        left = true;
        return;
      }
      if (left) done(phone.mode);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    const off = phones.onChange(check);
    const onAbort = (): void => {
      cleanup();
      reject(new DOMException('Cancelled', 'AbortError'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    function cleanup(): void {
      clearTimeout(timer);
      off();
      signal.removeEventListener('abort', onAbort);
    }
    function done(mode: PhoneMode | null): void {
      cleanup();
      resolve(mode);
    }
    check();
  });
}

export async function enterRecoveryBySoftware(context: ShortcutContext, phoneId: string): Promise<ShortcutResult> {
  const { phones, usbmux } = context;
  const phone = phoneOf(phones, phoneId);
  if (phone.mode === 'recovery') return { phoneId, mode: 'recovery' };
  const device = phones.usbmuxDeviceOf(phoneId);
  if (phone.mode !== 'normal' || !device || !usbmux) {
    throw new ProblemError('not-running');
  }
  context.progress('pairing', 'Checking that this computer is trusted…');
  const record = await readPairRecord(usbmux, device.udid, { timeoutMs: 5_000, signal: context.signal }).catch(() => null);
  if (!record) throw new ProblemError('not-trusted');
  const client = await LockdownClient.connect(usbmux, device.deviceId, {
    label: 'lifeline',
    timeoutMs: 10_000,
    usbmux: { timeoutMs: 5_000, signal: context.signal },
  });
  try {
    await client.startSession(record).catch((error: unknown) => {
      // Before iOS 14.5 EnterRecovery works without a session (lockdown-client), so a refused session is no obstacle.
      if (phone.iosVersion !== null && compareVersions(phone.iosVersion, '14.5') < 0) return;
      if (error instanceof LockdownError && error.code === 'PasswordProtected') {
        throw new ProblemError('unlock-needed', undefined, { cause: error });
      }
      throw new ProblemError('not-trusted', undefined, { cause: error });
    });
    context.progress('restarting', 'Asking the phone to restart into recovery mode…');
    // iOS 14.5+ only accepts EnterRecovery inside a session (docs/protocols/coach.md#recovery-mode; lockdown-client).
    await client.enterRecovery();
  } finally {
    client.close();
  }
  context.progress('waiting', 'Waiting for the phone to come back in recovery mode…');
  const mode = await waitForReturn(phones, phoneId, Math.max(ENTER_WAIT_MS * context.timeScale, MIN_WAIT_MS), context.signal);
  if (mode === 'recovery') return { phoneId, mode };
  throw mode === null
    ? new ProblemError('not-back', { goal: 'recovery' })
    : new ProblemError('unexpected-mode', { goal: 'recovery', mode });
}

export async function exitRecovery(context: ShortcutContext, phoneId: string): Promise<ShortcutResult> {
  const { phones } = context;
  const phone = phoneOf(phones, phoneId);
  const handle = phones.usbDeviceOf(phoneId);
  if (phone.mode !== 'recovery' || !handle) {
    throw new ProblemError('not-in-recovery', { mode: phone.mode });
  }
  try {
    context.progress('auto-boot', 'Telling the phone to start normally next time…');
    await sendIBootCommand(handle, 'setenv auto-boot true');
    await sendIBootCommand(handle, 'saveenv');
    context.progress('restarting', 'Restarting the phone…');
    await sendIBootCommand(handle, 'reboot', { bRequest: IBootRequest.CommandNoAnswer });
  } catch (error) {
    if (!(error instanceof IrecvError)) throw error;
    throw new ProblemError('iboot-refused', undefined, { cause: error });
  }
  context.progress('waiting', 'Waiting for the phone to start…');
  const mode = await waitForReturn(phones, phoneId, Math.max(EXIT_WAIT_MS * context.timeScale, MIN_WAIT_MS), context.signal);
  if (mode === 'normal') return { phoneId, mode };
  if (mode === 'recovery') {
    throw new ProblemError('still-recovery');
  }
  throw mode === null ? new ProblemError('not-back', { goal: 'normal' }) : new ProblemError('unexpected-mode', { goal: 'normal', mode });
}
