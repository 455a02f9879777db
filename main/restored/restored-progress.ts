/**
 * ProgressMsg → what Lifeline shows (docs/protocols/restored.md#progress-operations): the operation's name and stage,
 * the phone's percentage, and one overall fraction that never goes backwards even when the phone revisits a stage.
 */
import { PROGRESS_OPERATIONS, RESTORE_STAGES, adaptProgressOperation, progressPercent, type RestoreStage } from './restored-wire';

export type RestoredProgress = {
  /** The operation in today's numbering (after the old-protocol shift). */
  operation: number;
  name: string;
  stage: RestoreStage;
  /** The phone's percentage for this operation; null when it sends none (indeterminate). */
  percent: number | null;
  /** Overall, 0–1, never lower than any earlier value. */
  fraction: number;
};

/** Share of the whole restore each stage stands for; writing the system image dominates. */
const STAGE_WEIGHT: Readonly<Record<RestoreStage, number>> = {
  preparing: 0.04,
  partitioning: 0.04,
  'restoring-system': 0.55,
  'verifying-system': 0.17,
  'flashing-firmware': 0.08,
  'updating-baseband': 0.07,
  'updating-coprocessors': 0.03,
  finishing: 0.02,
};

const STAGE_START: ReadonlyMap<RestoreStage, number> = (() => {
  const starts = new Map<RestoreStage, number>();
  let at = 0;
  for (const stage of RESTORE_STAGES) {
    starts.set(stage, at);
    at += STAGE_WEIGHT[stage];
  }
  return starts;
})();

export class RestoredProgressTracker {
  private best = 0;

  constructor(private readonly protocolVersion: number) {}

  get fraction(): number {
    return this.best;
  }

  update(rawOperation: number, rawProgress: number | bigint): RestoredProgress {
    const operation = adaptProgressOperation(rawOperation, this.protocolVersion);
    const known = PROGRESS_OPERATIONS[operation];
    const name = known?.name ?? `operation ${operation}`;
    const stage: RestoreStage = known?.stage ?? 'preparing';
    const percent = typeof rawProgress === 'bigint' ? null : progressPercent(rawProgress);
    const within = percent === null ? 0 : percent / 100;
    const candidate = (STAGE_START.get(stage) ?? 0) + STAGE_WEIGHT[stage] * within;
    // Never 1 before the final status: the phone still has to say it succeeded.
    this.best = Math.max(this.best, Math.min(candidate, 0.99));
    return { operation, name, stage, percent, fraction: this.best };
  }

  /** The final StatusMsg 0. */
  finish(): number {
    this.best = 1;
    return this.best;
  }
}
