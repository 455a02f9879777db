/**
 * The coach's engine side: plans for a phone, coached attempts (one at a time per phone), the misses-in-a-row
 * memory that brings the checklist forward, and the recovery shortcuts.
 */
import { randomUUID } from 'node:crypto';
import { ProblemError } from '../../common/api';
import { planFor, type CoachGoal, type CoachPlan } from '../../common/coach-plans';
import type { CoachAttempt, HostChecklist } from '../../common/contract/coach';
import { findModelByProductType } from '../../common/device-table';
import type { Phone } from '../../common/phone';
import { maskPhoneId } from '../../common/phone-id-mask';
import type { UsbmuxClient } from '../usbmux/usbmux-client';
import { CoachAttemptRun, type CoachPhones } from './coach-attempt';
import { monotonicClock, type CoachClock } from './coach-clock';
import { hostChecks, isSuccess } from './outcome-advice';
import { enterRecoveryBySoftware, exitRecovery, type ShortcutContext, type ShortcutResult } from './recovery-shortcuts';

export type CoachServiceOptions = {
  phones: CoachPhones;
  /** For lockdown EnterRecovery (normal-mode phones). */
  usbmux?: UsbmuxClient;
  platform?: string;
  clock?: CoachClock;
  nothingAfterMs?: number;
  settleMs?: number;
};

/** Finished attempts kept for `coach.attempts` (bounded). */
const KEEP_FINISHED = 8;

export class CoachService {
  readonly #o: CoachServiceOptions;
  readonly #attempts = new Map<string, CoachAttemptRun>();
  readonly #misses = new Map<string, number>();

  constructor(options: CoachServiceOptions) {
    this.#o = options;
  }

  get phones(): CoachPhones {
    return this.#o.phones;
  }

  missesInARow(phoneId: string): number {
    return this.#misses.get(phoneId) ?? 0;
  }

  hostChecks(productType: string): HostChecklist {
    return hostChecks(this.#o.platform ?? process.platform, productType);
  }

  /** The exact plan for a connected phone, or a Problem in plain words when it cannot be coached. */
  planForPhone(phoneId: string, goal: CoachGoal, timeScale = 1): { phone: Phone; plan: CoachPlan } {
    const phone = this.#phone(phoneId);
    const { productType, buttons, name } = phone.model;
    if (!productType || !buttons) {
      throw new ProblemError('model-unknown', { modelName: name });
    }
    const model = findModelByProductType(productType, phone.model.boardConfig ?? undefined) ?? { productType, name, buttons };
    const startMode = phone.mode === 'normal' || phone.mode === 'recovery' || phone.mode === 'dfu' ? phone.mode : 'other';
    return { phone, plan: planFor(model, goal, { startMode, timeScale }) };
  }

  /**
   * Validates and starts an attempt. Problems (phone gone, wrong mode, another attempt running) are thrown before
   * anything moves, so the caller can show them instead of a countdown.
   */
  prepareAttempt(phoneId: string, goal: CoachGoal, timeScale = 1): { plan: CoachPlan; missesBefore: number } {
    const { phone, plan } = this.planForPhone(phoneId, goal, timeScale);
    if (phone.identifying) {
      throw new ProblemError('identifying');
    }
    if (phone.mode === 'dfu' || phone.mode === 'wtf') {
      throw new ProblemError('already-dfu');
    }
    if (goal === 'dfu-assisted' && phone.mode !== 'recovery') {
      throw new ProblemError('needs-recovery', { trusted: phone.trusted === true });
    }
    for (const run of this.#attempts.values()) {
      const snap = run.snapshot();
      if (snap.phoneId === phoneId && (snap.state === 'running' || snap.state === 'watching')) {
        throw new ProblemError('attempt-running');
      }
    }
    return { plan, missesBefore: this.missesInARow(phoneId) };
  }

  /** Runs one attempt to its outcome (the caller wraps it in a job). */
  async runAttempt(args: {
    job: string;
    phoneId: string;
    plan: CoachPlan;
    missesBefore: number;
    signal: AbortSignal;
    onChange(snapshot: CoachAttempt): void;
  }): Promise<CoachAttempt> {
    const attempt = randomUUID();
    const run = new CoachAttemptRun({
      attempt,
      job: args.job,
      phoneId: args.phoneId,
      plan: args.plan,
      phones: this.#o.phones,
      clock: this.#o.clock ?? monotonicClock,
      missesBefore: args.missesBefore,
      ...(this.#o.nothingAfterMs !== undefined ? { nothingAfterMs: this.#o.nothingAfterMs } : {}),
      ...(this.#o.settleMs !== undefined ? { settleMs: this.#o.settleMs } : {}),
      onChange: args.onChange,
    });
    this.#attempts.set(attempt, run);
    this.#prune();
    const final = await run.run(args.signal);
    if (final.outcome) {
      this.#misses.set(args.phoneId, isSuccess(final.outcome.kind, args.plan.goal) ? 0 : args.missesBefore + 1);
    }
    return final;
  }

  attempts(): CoachAttempt[] {
    return [...this.#attempts.values()].map((run) => run.snapshot());
  }

  enterRecovery(phoneId: string, context: Omit<ShortcutContext, 'phones' | 'usbmux'>): Promise<ShortcutResult> {
    return enterRecoveryBySoftware({ ...context, phones: this.#o.phones, usbmux: this.#o.usbmux }, phoneId);
  }

  exitRecovery(phoneId: string, context: Omit<ShortcutContext, 'phones' | 'usbmux'>): Promise<ShortcutResult> {
    return exitRecovery({ ...context, phones: this.#o.phones, usbmux: this.#o.usbmux }, phoneId);
  }

  #phone(phoneId: string): Phone {
    const phones = this.#o.phones.list();
    const phone = phones.find((p) => p.id === phoneId);
    if (!phone || !phone.connected) {
      throw new ProblemError('phone-not-connected', { connected: phones.map((p) => `${p.model.name} [${maskPhoneId(p.id)}]`) });
    }
    return phone;
  }

  #prune(): void {
    const finished = [...this.#attempts.entries()].filter(([, run]) => {
      const state = run.snapshot().state;
      return state === 'finished' || state === 'cancelled';
    });
    for (const [id] of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.#attempts.delete(id);
  }
}
