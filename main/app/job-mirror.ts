import type { JobSummary, JourneySnapshot, JourneyState, Progress } from '../../common/api';

/** The desktop touches a running job needs; Electron's objects in the app, fakes in tests. */
export type DesktopHooks = {
  /** 0..1, or -1 to clear; `indeterminate` while a job cannot say how far it is; `error` after a failure (Windows). */
  setProgress(fraction: number, mode: 'normal' | 'indeterminate' | 'error' | 'none'): void;
  /** Keeps the computer awake (Electron powerSaveBlocker 'prevent-app-suspension'); returns a release function. */
  preventSleep(): () => void;
  /** The dock badge (macOS): '!' after a failure, '' to clear. */
  setBadge?(text: string): void;
  /** A system notification. */
  notify?(title: string, body: string): void;
  /** True while nobody can see the window (hidden, minimised or behind others): only then is a notification shown. */
  isWindowHidden?(): boolean;
};

/** What quitting now would do, in words for the confirmation; `irreversible` when the step is changing the phone. */
export type QuitWarning = { irreversible: boolean; message: string; detail: string };

/** A step that ran at least this long is worth a notification when it ends while the window is hidden. */
export const LONG_STEP_MS = 60_000;

/** Journey states in which Lifeline works for a while (the computer is kept awake, quitting asks first). */
const WORKING_STATES: ReadonlySet<JourneyState> = new Set([
  'backingUp',
  'checkingPassword',
  'preparingFirmware',
  'enteringRecovery',
  'coaching',
  'restoring',
  'restoringData',
]);
const FAILED_STATES: ReadonlySet<JourneyState> = new Set(['backupFailed', 'firmwareFailed', 'restoreFailed', 'dataFailed']);

type Step = 'restore' | 'data' | 'backup' | 'firmware' | 'recovery' | 'password' | 'other';

/** Most serious first: the warning shown is that of the most serious step under way. */
const STEP_WORDS: Record<Step, QuitWarning> = {
  restore: {
    irreversible: true,
    message: 'The phone is being restored.',
    detail: 'If you quit now it stays in recovery mode and you can finish later by opening Lifeline again.',
  },
  data: {
    irreversible: true,
    message: 'Your backup is being put back on the phone.',
    detail:
      'If you quit now the phone keeps only part of it; open Lifeline again to put the backup back. The backup on this computer is not changed.',
  },
  backup: {
    irreversible: false,
    message: 'The phone is being backed up.',
    detail: 'If you quit now this backup stops; your previous backup stays exactly as it was.',
  },
  firmware: {
    irreversible: false,
    message: 'iOS is being downloaded and checked.',
    detail: 'If you quit now the download pauses; it continues where it left off when you open Lifeline again.',
  },
  recovery: {
    irreversible: false,
    message: 'Lifeline is guiding the phone into recovery mode.',
    detail: 'If you quit now the phone is not changed; you can start the guidance again.',
  },
  password: {
    irreversible: false,
    message: 'The backup’s password is being checked.',
    detail: 'If you quit now nothing changes; you can check it again.',
  },
  other: {
    irreversible: false,
    message: 'Lifeline is still working with your phone.',
    detail: 'If you quit now the current step stops safely and will have to be started again.',
  },
};
const SERIOUSNESS: readonly Step[] = ['restore', 'data', 'backup', 'firmware', 'recovery', 'password', 'other'];

function stepOfJob(kind: string): Step {
  if (kind === 'restore' || kind.startsWith('restore.')) return 'restore';
  if (kind === 'backup.restore') return 'data';
  if (kind === 'backup') return 'backup';
  if (kind.startsWith('firmware.')) return 'firmware';
  if (kind === 'coach' || kind.startsWith('recovery.')) return 'recovery';
  return 'other';
}

const STEP_OF_STATE: Partial<Record<JourneyState, Step>> = {
  restoring: 'restore',
  restoringData: 'data',
  backingUp: 'backup',
  preparingFirmware: 'firmware',
  enteringRecovery: 'recovery',
  coaching: 'recovery',
  checkingPassword: 'password',
};

/**
 * Mirrors the engine's jobs and journeys onto the desktop: the dock/taskbar progress shows the running job's fraction
 * (an error mark and badge after a failure), the computer is kept awake while a job runs or a journey is in a long
 * step (a sleeping laptop mid-restore is how phones get bricked), quitting asks first with words for the step under
 * way, and a long step that ends while the window is hidden says so in a notification.
 */
export class JobMirror {
  private readonly running = new Map<string, { kind: string; progress: Progress | null }>();
  /** Journeys in a long step, and the last state of every journey seen. */
  private readonly journeys = new Map<string, JourneyState>();
  private readonly lastState = new Map<string, JourneyState>();
  private releaseSleep: (() => void) | null = null;
  private failed = false;

  constructor(private readonly hooks: DesktopHooks) {}

  jobChanged(summary: JobSummary): void {
    if (summary.state === 'running') {
      if (!this.running.has(summary.job)) this.clearFailure();
      this.running.set(summary.job, { kind: summary.kind, progress: summary.progress });
    } else {
      this.running.delete(summary.job);
      this.notifyEnd(summary);
    }
    // An interrupted job (its engine process died) is shown like a failed one.
    if (summary.state === 'failed' || summary.state === 'interrupted') this.markFailure();
    this.update();
  }

  progress(progress: Progress): void {
    const job = this.running.get(progress.job);
    if (!job) return;
    job.progress = progress;
    this.update();
  }

  journeyChanged(snapshot: JourneySnapshot): void {
    const before = this.lastState.get(snapshot.phoneId);
    if (before === snapshot.state) return;
    this.lastState.set(snapshot.phoneId, snapshot.state);
    if (WORKING_STATES.has(snapshot.state)) this.journeys.set(snapshot.phoneId, snapshot.state);
    else this.journeys.delete(snapshot.phoneId);
    if (FAILED_STATES.has(snapshot.state)) this.markFailure();
    else if (before !== undefined && FAILED_STATES.has(before)) this.clearFailure();
    this.update();
  }

  /** Jobs or journey steps that would be interrupted by quitting now. */
  get busy(): boolean {
    return this.running.size > 0 || this.journeys.size > 0;
  }

  /** What to say before quitting, or null when nothing is under way. */
  quitWarning(): QuitWarning | null {
    const steps = new Set<Step>([
      ...[...this.running.values()].map((job) => stepOfJob(job.kind)),
      ...[...this.journeys.values()].map((state) => STEP_OF_STATE[state] ?? 'other'),
    ]);
    const step = SERIOUSNESS.find((candidate) => steps.has(candidate));
    return step === undefined ? null : { ...STEP_WORDS[step] };
  }

  dispose(): void {
    this.running.clear();
    this.journeys.clear();
    this.lastState.clear();
    this.clearFailure();
    this.update();
  }

  private markFailure(): void {
    this.failed = true;
    this.hooks.setProgress(1, 'error');
    this.hooks.setBadge?.('!');
  }

  private clearFailure(): void {
    if (!this.failed) return;
    this.failed = false;
    this.hooks.setBadge?.('');
  }

  private notifyEnd(summary: JobSummary): void {
    if (!this.hooks.notify || summary.state === 'cancelled' || summary.finishedAt === null) return;
    const ranMs = Date.parse(summary.finishedAt) - Date.parse(summary.startedAt);
    if (!(ranMs >= LONG_STEP_MS) || !(this.hooks.isWindowHidden?.() ?? false)) return;
    if (summary.state === 'succeeded') this.hooks.notify(`${summary.title}: done`, 'Open Lifeline for the next step.');
    else this.hooks.notify(`${summary.title}: stopped`, summary.problem?.title ?? 'Open Lifeline to see what happened.');
  }

  private update(): void {
    if (this.busy && !this.releaseSleep) this.releaseSleep = this.hooks.preventSleep();
    if (!this.busy && this.releaseSleep) {
      this.releaseSleep();
      this.releaseSleep = null;
    }
    // The error mark stays until something new starts.
    if (this.failed && this.running.size === 0) return;
    const latest = [...this.running.values()].at(-1);
    if (latest === undefined) this.hooks.setProgress(this.journeys.size > 0 ? 2 : -1, this.journeys.size > 0 ? 'indeterminate' : 'none');
    else if (latest.progress === null || latest.progress.fraction === null) this.hooks.setProgress(2, 'indeterminate');
    else this.hooks.setProgress(latest.progress.fraction, 'normal');
  }
}
