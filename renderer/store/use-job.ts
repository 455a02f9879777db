import type { JobSummary } from '../../common/api';
import { useLifeline } from './use-lifeline';

/** One job, progress included: re-renders on that job's events only. For the component that shows the progress. */
export function useJob(jobId: string | null): JobSummary | null {
  return useLifeline((s) => (jobId === null ? null : (s.jobs[jobId] ?? null)));
}

/** Only the state of one job: progress events don't re-render the caller. */
export function useJobState(jobId: string | null): JobSummary['state'] | null {
  return useLifeline((s) => (jobId === null ? null : (s.jobs[jobId]?.state ?? null)));
}
