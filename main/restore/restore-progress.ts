/**
 * The one progress record of a complete restore: each stage weighted by how long it takes on a real phone, one
 * overall fraction that never goes backwards (a skipped stage counts as done), the stage's name as the phase, and an
 * ETA from the pace the phone has kept so far.
 */
import type { Progress, RestoreRunStage } from '../../common/api';
import { RESTORE_RUN_STAGES } from '../../common/api';
import type { RestoreStage } from '../restored/restored-wire';

/** Seconds each stage takes on a typical phone over USB 2 (the firmware stage: checking a downloaded file). */
const EXPECTED_SECONDS: Readonly<Record<RestoreRunStage, number>> = {
  firmware: 20,
  recovery: 30,
  'boot-chain': 30,
  ramdisk: 30,
  preparing: 60,
  installing: 300,
  verifying: 120,
  flashing: 30,
  baseband: 60,
  finishing: 30,
  reboot: 60,
};

const TOTAL_SECONDS = RESTORE_RUN_STAGES.reduce((sum, stage) => sum + EXPECTED_SECONDS[stage], 0);

const START: ReadonlyMap<RestoreRunStage, number> = (() => {
  const starts = new Map<RestoreRunStage, number>();
  let at = 0;
  for (const stage of RESTORE_RUN_STAGES) {
    starts.set(stage, at);
    at += EXPECTED_SECONDS[stage];
  }
  return starts;
})();

/** The stages restored itself reports. */
export type RestoredRunStage = Extract<RestoreRunStage, 'preparing' | 'installing' | 'verifying' | 'flashing' | 'baseband' | 'finishing'>;

/** What restored's stages (docs/protocols/restored.md#progress-operations) are called in the restore as people see it. */
export function runStageOf(stage: RestoreStage): RestoredRunStage {
  switch (stage) {
    case 'preparing':
    case 'partitioning':
      return 'preparing';
    case 'restoring-system':
      return 'installing';
    case 'verifying-system':
      return 'verifying';
    case 'flashing-firmware':
      return 'flashing';
    case 'updating-baseband':
      return 'baseband';
    case 'updating-coprocessors':
    case 'finishing':
      return 'finishing';
  }
}

export type RestoreProgressRecord = Omit<Progress, 'job'> & { phase: RestoreRunStage };

type Extras = Pick<Progress, 'bytesDone' | 'bytesTotal' | 'bytesPerSecond' | 'etaSeconds'>;

/** Never lets the fraction fall, times each stage, and estimates what is left. */
export class RestoreProgressMeter {
  private best = 0;
  private stage: RestoreRunStage | null = null;
  private stageStartedAt = 0;
  private within = 0;
  /** When the phone's part began (after the firmware), and the fraction then: the pace is measured from there. */
  private phoneStart: { at: number; fraction: number } | null = null;
  private readonly times: { stage: RestoreRunStage; ms: number }[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The stages walked so far with how long each took (the current one up to now). */
  stageTimes(): { stage: RestoreRunStage; ms: number }[] {
    return this.stage === null ? [...this.times] : [...this.times, { stage: this.stage, ms: this.now() - this.stageStartedAt }];
  }

  get current(): RestoreRunStage | null {
    return this.stage;
  }

  /**
   * Progress in `stage` (entering it when it is new; a stage earlier than the current one stays where it is: the
   * phone revisiting a stage does not move the bar back). `within` is the stage's own fraction, null = unknown.
   */
  report(stage: RestoreRunStage, within: number | null, message: string, extras: Extras = {}): RestoreProgressRecord {
    const order = RESTORE_RUN_STAGES.indexOf(stage);
    const currentOrder = this.stage === null ? -1 : RESTORE_RUN_STAGES.indexOf(this.stage);
    if (order > currentOrder) {
      if (this.stage !== null) this.times.push({ stage: this.stage, ms: this.now() - this.stageStartedAt });
      this.stage = stage;
      this.stageStartedAt = this.now();
      this.within = 0;
      if (stage !== 'firmware' && this.phoneStart === null)
        this.phoneStart = { at: this.now(), fraction: START.get(stage)! / TOTAL_SECONDS };
    }
    const shown = this.stage!;
    if (within !== null && shown === stage) this.within = Math.max(this.within, Math.min(1, Math.max(0, within)));
    const candidate = (START.get(shown)! + EXPECTED_SECONDS[shown] * this.within) / TOTAL_SECONDS;
    // 1 only once the phone is back: finish() says so.
    this.best = Math.max(this.best, Math.min(candidate, 0.99));
    const eta = extras.etaSeconds ?? this.etaSeconds();
    return {
      phase: shown,
      fraction: this.best,
      message,
      ...(extras.bytesDone !== undefined ? { bytesDone: extras.bytesDone } : {}),
      ...(extras.bytesTotal !== undefined ? { bytesTotal: extras.bytesTotal } : {}),
      ...(extras.bytesPerSecond !== undefined ? { bytesPerSecond: extras.bytesPerSecond } : {}),
      ...(eta !== null ? { etaSeconds: eta } : {}),
    };
  }

  /** The last record: everything done. */
  finish(message: string): RestoreProgressRecord {
    if (this.stage !== null) this.times.push({ stage: this.stage, ms: this.now() - this.stageStartedAt });
    const phase = this.stage ?? 'reboot';
    this.stage = null;
    this.best = 1;
    return { phase, fraction: 1, message, etaSeconds: 0 };
  }

  /** What is left at the typical pace until the phone has shown its own; then at its pace. */
  private etaSeconds(): number | null {
    const leftSeconds = (1 - this.best) * TOTAL_SECONDS;
    if (this.phoneStart === null) return null;
    const doneSeconds = (this.best - this.phoneStart.fraction) * TOTAL_SECONDS;
    const elapsedSeconds = (this.now() - this.phoneStart.at) / 1000;
    // Too little seen to trust the phone's pace.
    if (doneSeconds < 30 || elapsedSeconds < 5) return Math.round(leftSeconds);
    return Math.round(leftSeconds * (elapsedSeconds / doneSeconds));
  }
}
