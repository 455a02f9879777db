/**
 * The software shortcuts of docs/protocols/coach.md#recovery-mode, docs/protocols/coach.md#getting-out: lockdown EnterRecovery for a trusted phone, and leaving a
 * recovery loop without erasing anything (`setenv auto-boot true`, `saveenv`, `reboot` over the iBoot channel).
 * Both then wait, bounded, for the same phone (ECID) to come back and say where it landed.
 */
import { ProblemError } from '../../common/api';
import { compareVersions } from '../../common/ios-version';
import type { Phone, PhoneMode } from '../../common/phone';
import { LockdownClient, LockdownError } from '../lockdown/lockdown-client';
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
    throw new ProblemError({
      code: 'phone-not-connected',
      title: 'That phone is not connected',
      detail: 'Lifeline cannot see this phone right now.',
      nextSteps: ['Plug the phone in with a data cable and wait for its card to appear.'],
    });
  }
  return phone;
}

/** Waits until the phone has left USB and come back; resolves with the mode it came back in, or null on timeout. */
export function waitForReturn(phones: CoachPhones, phoneId: string, timeoutMs: number, signal: AbortSignal, alreadyLeft = false): Promise<PhoneMode | null> {
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
    throw new ProblemError({
      code: 'not-running',
      title: 'Recovery mode by software needs a phone that is switched on',
      detail: 'Lifeline can only ask a phone that has started normally to go into recovery mode.',
      nextSteps: ['Use the buttons instead: the coach shows you how, step by step.'],
    });
  }
  context.progress('pairing', 'Checking that this computer is trusted…');
  const record = await usbmux.readPairRecord(device.udid, { timeoutMs: 5_000, signal: context.signal }).catch(() => null);
  if (!record) throw notTrusted();
  const client = await LockdownClient.connect(usbmux, device.deviceId, { label: 'lifeline', timeoutMs: 10_000, usbmux: { timeoutMs: 5_000, signal: context.signal } });
  try {
    await client.startSession(record).catch((error: unknown) => {
      // Before iOS 14.5 EnterRecovery works without a session (lockdown-client), so a refused session is no obstacle.
      if (phone.iosVersion !== null && compareVersions(phone.iosVersion, '14.5') < 0) return;
      if (error instanceof LockdownError && error.code === 'PasswordProtected') {
        throw new ProblemError({
          code: 'unlock-needed',
          title: 'Unlock the phone first',
          detail: 'The phone is locked and refuses to take orders from this computer until it is unlocked once.',
          nextSteps: ['Unlock the phone and try again, or use the buttons instead.'],
        });
      }
      throw notTrusted();
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
  throw new ProblemError({
    code: mode === null ? 'not-back' : 'unexpected-mode',
    title: mode === null ? 'The phone did not come back' : 'The phone did not go into recovery mode',
    detail: mode === null ? 'The phone restarted but no Apple device appeared on USB afterwards.' : `It came back in ${mode} mode.`,
    nextSteps: ['Use the buttons instead: the coach shows you how.', 'Check the cable and plug straight into the computer.'],
  });
}

export async function exitRecovery(context: ShortcutContext, phoneId: string): Promise<ShortcutResult> {
  const { phones } = context;
  const phone = phoneOf(phones, phoneId);
  const handle = phones.usbDeviceOf(phoneId);
  if (phone.mode !== 'recovery' || !handle) {
    throw new ProblemError({
      code: 'not-in-recovery',
      title: 'The phone is not in recovery mode',
      detail: `Lifeline can only take a phone out of recovery mode this way; this one is in ${phone.mode} mode.`,
      nextSteps: phone.mode === 'dfu' ? ['To leave DFU mode, force-restart the phone with its buttons (the coach shows how).'] : [],
    });
  }
  try {
    context.progress('auto-boot', 'Telling the phone to start normally next time…');
    await sendIBootCommand(handle, 'setenv auto-boot true');
    await sendIBootCommand(handle, 'saveenv');
    context.progress('restarting', 'Restarting the phone…');
    await sendIBootCommand(handle, 'reboot', { bRequest: IBootRequest.CommandNoAnswer });
  } catch (error) {
    if (!(error instanceof IrecvError)) throw error;
    throw new ProblemError({
      code: 'iboot-refused',
      title: 'The phone did not take the command',
      detail: error.message,
      nextSteps: ['Unplug the phone, plug it back in and try again.', 'Or force-restart it with its buttons (see "Getting out").'],
    });
  }
  context.progress('waiting', 'Waiting for the phone to start…');
  const mode = await waitForReturn(phones, phoneId, Math.max(EXIT_WAIT_MS * context.timeScale, MIN_WAIT_MS), context.signal);
  if (mode === 'normal') return { phoneId, mode };
  if (mode === 'recovery') {
    throw new ProblemError({
      code: 'still-recovery',
      title: 'The phone came back in recovery mode',
      detail: 'It restarted, but iOS on it does not start any more, so it went straight back to recovery mode.',
      nextSteps: ['Back up is not possible in this state.', 'Try an Update restore next: it reinstalls iOS and keeps your data when it works.'],
    });
  }
  throw new ProblemError({
    code: 'not-back',
    title: 'The phone has not come back yet',
    detail: mode === null ? 'It restarted, but no Apple device appeared on USB in time. It may still be starting: look at its screen.' : `It came back in ${mode} mode.`,
    nextSteps: ['If the screen shows the Apple logo, wait a little longer.', 'Otherwise check the cable and plug straight into the computer.'],
  });
}

function notTrusted(): ProblemError {
  return new ProblemError({
    code: 'not-trusted',
    title: 'This computer is not trusted by the phone',
    detail: 'Recovery mode by software needs a phone that trusts this computer (you tapped Trust and entered the passcode once).',
    nextSteps: ['Use the buttons instead: the coach shows you how, step by step.'],
  });
}
