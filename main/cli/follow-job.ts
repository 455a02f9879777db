import type { JobSummary, LifelineApi, Problem, Progress } from '../../common/api';
import type { Output } from './cli-output';

export function progressLine(progress: Progress): string {
  const percent = progress.fraction === null ? '' : ` ${Math.floor(progress.fraction * 100)}%`;
  const speed = progress.bytesPerSecond ? `, ${(progress.bytesPerSecond / 1e6).toFixed(1)} MB/s` : '';
  const eta = progress.etaSeconds !== undefined ? `, ${Math.ceil(progress.etaSeconds)} s left` : '';
  return `${progress.message}${percent}${speed}${eta}`;
}

export type JobEnding =
  { state: 'succeeded'; summary: JobSummary } | { state: 'cancelled'; summary: JobSummary } | { state: 'failed'; problem: Problem | null };

/**
 * A job that failed or was interrupted (the engine process stopped under it) ends as 'failed' with its Problem:
 * the caller prints it, next steps included, and exits non-zero.
 *
 * Starts a job and waits for its outcome, printing progress to stderr (at most one line a second, a new phase
 * at once; none with --json); Ctrl+C (the signal) cancels the job, which then ends as cancelled.
 */
export async function followJob(
  api: LifelineApi,
  output: Output,
  signal: AbortSignal,
  start: () => Promise<{ job: string }>,
): Promise<JobEnding> {
  let finished: (summary: JobSummary) => void = () => undefined;
  const outcome = new Promise<JobSummary>((done) => (finished = done));
  let jobId: string | undefined;
  const early: JobSummary[] = [];
  let lastPhase = '';
  let lastPrinted = 0;
  const offJobs = api.on('jobs.changed', (summary) => {
    if (summary.state === 'running') return;
    if (jobId === undefined) early.push(summary);
    else if (summary.job === jobId) finished(summary);
  });
  const offProgress = api.on('progress', (progress) => {
    if (output.json || progress.job !== jobId) return;
    if (progress.phase === lastPhase && Date.now() - lastPrinted < 1000) return;
    lastPhase = progress.phase;
    lastPrinted = Date.now();
    output.err(progressLine(progress));
  });
  const onAbort = (): void => {
    if (jobId !== undefined) void api.invoke('jobs.cancel', { job: jobId });
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const { job } = await start();
    jobId = job;
    const already = early.find((s) => s.job === job);
    if (already) finished(already);
    if (signal.aborted) onAbort();
    const summary = await outcome;
    if (summary.state === 'succeeded' || summary.state === 'cancelled') return { state: summary.state, summary };
    return { state: 'failed', problem: summary.problem };
  } finally {
    signal.removeEventListener('abort', onAbort);
    offJobs();
    offProgress();
  }
}
