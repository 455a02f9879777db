import type { JobSummary } from '../../common/api';
import { renderProblem } from '../../common/problems/catalog';

export const JOB_INTERRUPTED_CODE = 'job-interrupted' as const;

/** A job that was running when the engine process stopped: it ends as interrupted, with a Problem that says what to do next. */
export function interruptedJob(summary: JobSummary, reason: string, at: Date): JobSummary {
  return {
    ...summary,
    state: 'interrupted',
    finishedAt: at.toISOString(),
    problem: renderProblem(JOB_INTERRUPTED_CODE, { jobTitle: summary.title, kind: summary.kind, reason }),
  };
}
