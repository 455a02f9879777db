/**
 * Before a backup goes back onto a phone (docs/protocols/lockdown.md#after-an-erase): the phone trusts this computer
 * (paired now if its pairing is gone: an erased phone forgot every computer), and it is activated. A freshly erased
 * phone sits in its setup assistant, Unactivated, until the person goes through the setup to "Transfer Your Apps &
 * Data" and chooses "From Mac or PC"; until then it serves no backup service. Lifeline says what to do and waits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ProblemError } from '../../common/api';
import { readEraseFacts } from '../lockdown/erase-facts';
import { ensurePaired, type PairPhoneOptions, type PairTarget } from '../lockdown/lockdown-pairing';
import type { UsbmuxClient } from '../usbmux/usbmux-client';

/** What the person is asked to do on a phone waiting in its setup assistant. */
export const SETUP_PROMPT =
  'On the phone: follow the setup until “Transfer Your Apps & Data” — choose “From Mac or PC”. ' +
  'If Find My was on, Activation Lock asks for the Apple ID and password that were on the phone.';

export type RestoreReadinessOptions = PairPhoneOptions & {
  /** How long the person has for the setup screens (Activation Lock may need the Apple ID looked up). */
  setupWaitMs?: number;
  setupPollMs?: number;
};

const DEFAULT_SETUP_WAIT_MS = 30 * 60_000;
const DEFAULT_SETUP_POLL_MS = 2_000;

/** Resolves once the phone trusts this computer and is activated; says what to do on the phone while it waits. */
export async function readyForRestore(usbmux: UsbmuxClient, target: PairTarget, options: RestoreReadinessOptions = {}): Promise<void> {
  const record = await ensurePaired(usbmux, target, options);
  const waitMs = options.setupWaitMs ?? DEFAULT_SETUP_WAIT_MS;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const facts = await readEraseFacts(usbmux, target, { pairRecord: record, ...(options.signal ? { signal: options.signal } : {}) });
    if (facts.activationState !== 'Unactivated') return;
    if (Date.now() >= deadline) throw new ProblemError('restore-phone-not-activated', { waitedSeconds: Math.round(waitMs / 1000) });
    options.onWaiting?.(SETUP_PROMPT, 'setup');
    await sleep(options.setupPollMs ?? DEFAULT_SETUP_POLL_MS, undefined, options.signal ? { signal: options.signal } : {});
  }
}
