/**
 * One coached try on one phone: runs the plan's timeline from a single start time on a monotonic clock, sends the
 * assisted-DFU reboot at its moment, watches the SAME phone (registry record keyed by ECID) and stops the moment the
 * referee (outcome-classifier) decides. Everything that happened is kept as plain-words notes.
 */
import type { Unsubscribe } from '../../common/api';
import type { CoachPlan } from '../../common/coach-plans';
import { appRebootOffsetMs, planDurationMs, stepBoundaries, stepAt } from '../../common/coach-timeline';
import type { CoachAttempt, CoachOutcome } from '../../common/contract/coach';
import type { Phone, PhoneMode } from '../../common/phone';
import type { UsbDeviceHandle } from '../usb/usb-bus';
import type { CoachClock } from './coach-clock';
import { boundedUsbCall, sendIBootCommand } from '../irecv/iboot-commands';
import { IBootRequest } from '../irecv/irecv-wire';
import { adviceFor } from './outcome-advice';
import { classify, nextDeadline, type ClassifyInput, type Sighting } from './outcome-classifier';

/** What the coach needs from the device registry. */
export interface CoachPhones {
  list(): Phone[];
  onChange(listener: () => void): Unsubscribe;
  /** The phone's current USB enumeration (recovery/DFU/normal), if any. */
  usbDeviceOf(phoneId: string): UsbDeviceHandle | undefined;
  /** The phone's usbmuxd device (normal mode), if any. */
  usbmuxDeviceOf(phoneId: string): { deviceId: number; udid: string } | undefined;
}

export type CoachAttemptOptions = {
  attempt: string;
  job: string;
  phoneId: string;
  plan: CoachPlan;
  phones: CoachPhones;
  clock: CoachClock;
  missesBefore: number;
  /** Unscaled; multiplied by plan.timeScale. docs/protocols/coach.md#outcome-table: "no Apple device at all after ~15 s". */
  nothingAfterMs?: number;
  /** Unscaled; a phone that never left the bus is given this long after the plan before "did not restart". */
  settleMs?: number;
  onChange(snapshot: CoachAttempt): void;
};

export const NOTHING_AFTER_MS = 15_000;
/**
 * After "nothing", the coach shows the host checks at once but keeps watching this much longer: iOS takes far
 * longer than the bootloaders to appear (docs/protocols/coach.md#detection-and-timing), so a late normal-mode phone turns the outcome into "Apple logo".
 */
export const LATE_ARRIVAL_MS = 45_000;
export const SETTLE_MS = 3_000;

type PhoneState = { connected: boolean; mode: PhoneMode };

function seconds(ms: number, scale: number): string {
  return `${(ms / (scale > 0 ? scale : 1) / 1000).toFixed(1)} s`;
}

export class CoachAttemptRun {
  readonly #o: CoachAttemptOptions;
  readonly #sightings: Sighting[] = [];
  readonly #notes: string[] = [];
  readonly #knownOthers = new Set<string>();
  readonly #timers: Array<{ cancel(): void }> = [];
  #start = 0;
  #startPhone: PhoneState = { connected: false, mode: 'unknown' };
  #current: PhoneState = { connected: false, mode: 'unknown' };
  #state: CoachAttempt['state'] = 'running';
  #outcome: CoachOutcome | null = null;
  #rebootSent = false;
  #deadlineTimer: { cancel(): void } | null = null;
  #settle: ((snapshot: CoachAttempt) => void) | null = null;
  #off: Unsubscribe | null = null;

  constructor(options: CoachAttemptOptions) {
    this.#o = options;
  }

  get outcome(): CoachOutcome | null {
    return this.#outcome;
  }

  snapshot(): CoachAttempt {
    return {
      attempt: this.#o.attempt,
      job: this.#o.job,
      phoneId: this.#o.phoneId,
      plan: this.#o.plan,
      state: this.#state,
      elapsedMs: Math.max(0, this.#o.clock.now() - this.#start),
      phone: { ...this.#current },
      outcome: this.#outcome,
      notes: [...this.#notes],
      missesBefore: this.#o.missesBefore,
    };
  }

  /** Starts the timeline now. Resolves with the final snapshot; rejects with an AbortError when cancelled. */
  run(signal: AbortSignal): Promise<CoachAttempt> {
    const { clock, plan, phones } = this.#o;
    this.#start = clock.now();
    this.#startPhone = this.#read();
    this.#current = this.#startPhone;
    for (const phone of phones.list()) if (phone.id !== this.#o.phoneId) this.#knownOthers.add(phone.id);

    return new Promise<CoachAttempt>((resolve, reject) => {
      this.#settle = resolve;
      if (signal.aborted) {
        this.#state = 'cancelled';
        reject(signal.reason instanceof Error ? signal.reason : new DOMException('Cancelled', 'AbortError'));
        return;
      }
      const onAbort = (): void => {
        if (this.#state === 'finished' || this.#state === 'cancelled') return;
        this.#cleanup();
        this.#state = 'cancelled';
        this.#notes.push('You stopped the coach.');
        this.#o.onChange(this.snapshot());
        reject(new DOMException('Cancelled', 'AbortError'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#off = phones.onChange(() => this.#observe());

      // Every timer is placed from the single start time: no accumulated drift (docs/protocols/coach.md#timeline-rules).
      const bounds = stepBoundaries(plan);
      for (const bound of bounds.slice(1, -1)) this.#at(bound, () => this.#emit());
      this.#at(planDurationMs(plan), () => {
        if (this.#state === 'running') this.#state = 'watching';
        this.#evaluate();
      });
      const reboot = appRebootOffsetMs(plan);
      if (reboot !== null) this.#at(reboot, () => void this.#sendReboot());
      this.#emit();
      this.#evaluate();
    });
  }

  #at(offsetMs: number, callback: () => void): void {
    const timer = this.#o.clock.setTimeout(
      () => {
        if (this.#state === 'running' || this.#state === 'watching') callback();
      },
      this.#start + offsetMs - this.#o.clock.now(),
    );
    this.#timers.push(timer);
  }

  #elapsed(): number {
    return this.#o.clock.now() - this.#start;
  }

  #read(): PhoneState {
    const phone = this.#o.phones.list().find((p) => p.id === this.#o.phoneId);
    return phone ? { connected: phone.connected, mode: phone.mode } : { connected: false, mode: 'unknown' };
  }

  #observe(): void {
    if (this.#state !== 'running' && this.#state !== 'watching') return;
    const now = this.#elapsed();
    const { plan } = this.#o;
    for (const phone of this.#o.phones.list()) {
      if (phone.id === this.#o.phoneId || this.#knownOthers.has(phone.id)) continue;
      this.#knownOthers.add(phone.id);
      this.#notes.push(`Another device appeared (${phone.model.name}). Lifeline only watches the phone you chose and ignores it.`);
    }
    const seen = this.#read();
    if (seen.connected === this.#current.connected && (!seen.connected || seen.mode === this.#current.mode)) {
      this.#emit();
      return;
    }
    this.#current = seen;
    this.#sightings.push({ atMs: now, ...seen });
    const during = stepAt(plan, now);
    const when = `${seconds(now, plan.timeScale)} in${during ? `, during “${during.text}”` : ', after the countdown'}`;
    if (!seen.connected) {
      const early = plan.goal === 'dfu-assisted' ? !this.#rebootSent : during?.kind === 'get-ready';
      this.#notes.push(
        early
          ? `The phone disconnected ${when}, before any restart was due. If the cable came out, plug it back in — Lifeline keeps waiting for this phone.`
          : `The phone left USB to restart (${when}).`,
      );
    } else {
      this.#notes.push(`The phone came back in ${modeWords(seen.mode)} (${when}).`);
    }
    this.#evaluate();
  }

  async #sendReboot(): Promise<void> {
    const handle = this.#o.phones.usbDeviceOf(this.#o.phoneId);
    const now = this.#read();
    if (!handle || !now.connected || now.mode !== 'recovery') {
      this.#notes.push('Lifeline could not restart the phone: it was no longer in recovery mode.');
      this.#emit();
      return;
    }
    try {
      this.#rebootSent = true;
      await sendIBootCommand(handle, 'reboot', { bRequest: IBootRequest.CommandNoAnswer, call: boundedUsbCall(3_000) });
      this.#notes.push(`Lifeline restarted the phone (${seconds(this.#elapsed(), this.#o.plan.timeScale)} in).`);
    } catch (error) {
      this.#notes.push(`Lifeline could not restart the phone: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.#emit();
  }

  #input(): ClassifyInput {
    const scale = this.#o.plan.timeScale;
    return {
      goal: this.#o.plan.goal,
      start: this.#startPhone,
      sightings: this.#sightings,
      nowMs: this.#elapsed(),
      planEndMs: planDurationMs(this.#o.plan),
      settleMs: (this.#o.settleMs ?? SETTLE_MS) * scale,
      nothingAfterMs: (this.#o.nothingAfterMs ?? NOTHING_AFTER_MS) * scale,
    };
  }

  #evaluate(): void {
    if (this.#state !== 'running' && this.#state !== 'watching') return;
    const input = this.#input();
    const verdict = classify(input);
    if (verdict.state === 'decided' && verdict.kind === 'nothing') {
      const finalAt = verdict.atMs + LATE_ARRIVAL_MS * this.#o.plan.timeScale;
      if (input.nowMs < finalAt) {
        if (!this.#outcome) {
          this.#state = 'watching';
          this.#outcome = adviceFor({
            kind: 'nothing',
            plan: this.#o.plan,
            missesBefore: this.#o.missesBefore,
            startMode: this.#startPhone.mode,
          });
          this.#notes.push('Still watching for the phone in case it is only slow to start.');
        }
        this.#deadlineTimer?.cancel();
        this.#deadlineTimer = this.#o.clock.setTimeout(() => this.#finish('nothing'), this.#start + finalAt - this.#o.clock.now());
        this.#emit();
        return;
      }
    }
    if (verdict.state === 'decided') {
      this.#finish(verdict.kind);
      return;
    }
    this.#deadlineTimer?.cancel();
    const deadline = nextDeadline(input);
    // A deadline is re-armed from the start time each time, never chained.
    this.#deadlineTimer =
      deadline === null ? null : this.#o.clock.setTimeout(() => this.#evaluate(), this.#start + deadline - this.#o.clock.now() + 1);
    this.#emit();
  }

  #finish(kind: CoachOutcome['kind']): void {
    this.#cleanup();
    this.#state = 'finished';
    this.#outcome = adviceFor({ kind, plan: this.#o.plan, missesBefore: this.#o.missesBefore, startMode: this.#startPhone.mode });
    const snapshot = this.snapshot();
    this.#o.onChange(snapshot);
    this.#settle?.(snapshot);
  }

  #emit(): void {
    this.#o.onChange(this.snapshot());
  }

  #cleanup(): void {
    for (const timer of this.#timers.splice(0)) timer.cancel();
    this.#deadlineTimer?.cancel();
    this.#deadlineTimer = null;
    this.#off?.();
    this.#off = null;
  }
}

export function modeWords(mode: PhoneMode): string {
  switch (mode) {
    case 'dfu':
      return 'DFU mode';
    case 'wtf':
      return 'DFU mode (WTF)';
    case 'recovery':
      return 'recovery mode';
    case 'normal':
      return 'normal mode';
    case 'restore':
      return 'restore mode';
    default:
      return 'an unknown mode';
  }
}
