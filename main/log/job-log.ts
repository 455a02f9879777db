import type { EngineStatus } from '../../common/contract/core';
import type { JobSummary } from '../../common/contract/shapes';
import { log } from './log';

/** One line per job transition: started, succeeded, failed / interrupted (with the Problem's code), cancelled. */
export function logJobChange(summary: JobSummary): void {
  const fields = { job: summary.job, kind: summary.kind, phoneId: summary.phoneId, startedAt: summary.startedAt };
  const ended = { ...fields, finishedAt: summary.finishedAt };
  switch (summary.state) {
    case 'running':
      log.info('job.started', { ...fields, title: summary.title });
      return;
    case 'succeeded':
      log.info('job.succeeded', ended);
      return;
    case 'cancelled':
      log.info('job.cancelled', ended);
      return;
    case 'failed':
    case 'interrupted':
      log.warn(`job.${summary.state}`, { ...ended, code: summary.problem?.code ?? null, detail: summary.problem?.detail ?? null });
      return;
  }
}

/** The engine process's life as the app sees it: started, restarting (why), running again, stopped. */
export function logEngineStatus(status: EngineStatus): void {
  const level = status.state === 'running' || status.state === 'starting' ? 'info' : 'warn';
  log[level](status.state === 'restarting' ? 'engine.restart' : `engine.${status.state}`, { reason: status.reason });
}
