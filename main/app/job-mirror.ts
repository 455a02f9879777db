import type { JobSummary, Progress } from '../../common/api';

/** The desktop touches a running job needs; Electron's objects in the app, fakes in tests. */
export type DesktopHooks = {
  /** 0..1, or -1 to clear; `indeterminate` while a job cannot say how far it is. */
  setProgress(fraction: number, mode: 'normal' | 'indeterminate' | 'error' | 'none'): void;
  /** Keeps the computer awake (Electron powerSaveBlocker 'prevent-app-suspension'); returns a release function. */
  preventSleep(): () => void;
};

/**
 * Mirrors the engine's jobs onto the desktop: the dock/taskbar progress shows the running job's fraction,
 * and the computer is kept awake while any job runs (a sleeping laptop mid-restore is how phones get bricked).
 */
export class JobMirror {
  private readonly running = new Map<string, Progress | null>();
  private releaseSleep: (() => void) | null = null;

  constructor(private readonly hooks: DesktopHooks) {}

  jobChanged(summary: JobSummary): void {
    if (summary.state === 'running') this.running.set(summary.job, summary.progress);
    else this.running.delete(summary.job);
    // An interrupted job (its engine process died) is shown like a failed one.
    const failed = summary.state === 'failed' || summary.state === 'interrupted';
    if (failed) this.hooks.setProgress(1, 'error');
    this.update(failed);
  }

  progress(progress: Progress): void {
    if (!this.running.has(progress.job)) return;
    this.running.set(progress.job, progress);
    this.update(false);
  }

  /** Jobs that would be interrupted by quitting now. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  dispose(): void {
    this.running.clear();
    this.update(false);
  }

  private update(keepError: boolean): void {
    if (this.running.size > 0 && !this.releaseSleep) this.releaseSleep = this.hooks.preventSleep();
    if (this.running.size === 0 && this.releaseSleep) {
      this.releaseSleep();
      this.releaseSleep = null;
    }
    if (keepError) return;
    const latest = [...this.running.values()].at(-1);
    if (latest === undefined) this.hooks.setProgress(-1, 'none');
    else if (latest === null || latest.fraction === null) this.hooks.setProgress(2, 'indeterminate');
    else this.hooks.setProgress(latest.fraction, 'normal');
  }
}
