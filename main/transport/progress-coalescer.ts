import type { Progress } from '../../common/api';

/**
 * Passes at most one progress record per job per interval, always delivering the latest one,
 * and never holding back a phase change or the final record (etcher's lesson: a stale 99 % is a bug).
 */
export function coalesceProgress(
  intervalMs: number,
  send: (progress: Progress) => void,
): { push: (progress: Progress) => void; stop: () => void } {
  const lastSent = new Map<string, { at: number; phase: string }>();
  const pending = new Map<string, Progress>();
  const timers = new Map<string, NodeJS.Timeout>();

  const flush = (job: string): void => {
    timers.delete(job);
    const progress = pending.get(job);
    if (!progress) return;
    pending.delete(job);
    lastSent.set(job, { at: Date.now(), phase: progress.phase });
    send(progress);
  };

  return {
    push(progress) {
      const previous = lastSent.get(progress.job);
      const now = Date.now();
      const finished = progress.fraction === 1;
      if (!previous || previous.phase !== progress.phase || finished || now - previous.at >= intervalMs) {
        const timer = timers.get(progress.job);
        if (timer) clearTimeout(timer);
        timers.delete(progress.job);
        pending.delete(progress.job);
        lastSent.set(progress.job, { at: now, phase: progress.phase });
        send(progress);
        return;
      }
      pending.set(progress.job, progress);
      if (!timers.has(progress.job)) {
        timers.set(
          progress.job,
          setTimeout(() => flush(progress.job), intervalMs - (now - previous.at)),
        );
      }
    },
    stop() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      pending.clear();
    },
  };
}
