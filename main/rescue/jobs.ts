import { randomUUID } from 'node:crypto';
import { ProblemError, type JobSummary, type Progress } from '../../common/api';
import { problemFrom } from './problems';

/** What a long job gets: a signal to honour and a way to report progress (the job id is filled in). */
export type JobContext = {
  job: string;
  signal: AbortSignal;
  progress(update: Omit<Progress, 'job'>): void;
};

export type JobSpec<T> = {
  kind: string;
  title: string;
  phoneId?: string | null;
  run(context: JobContext): Promise<T>;
  /** A small JSON summary of the result for JobSummary.result (omit for none). */
  summarise?(result: T): unknown;
  /** False once the job is past its point of no return (e.g. images already booting on the phone): cancel is then refused. */
  cancellable?(): boolean;
};

export type JobEvents = {
  changed(summary: JobSummary): void;
  progress(progress: Progress): void;
};

/** Raised by a job that honours its AbortSignal; the runner records it as cancelled, not failed. */
export function isCancellation(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error instanceof Error && error.name === 'AbortError');
}

/**
 * Runs the engine's long jobs (backup, downloads, coaching): one id each, one progress stream, and an outcome
 * that is succeeded, failed (with a Problem) or cancelled — never a stray rejection.
 */
export class JobRunner {
  private readonly jobs = new Map<
    string,
    { summary: JobSummary; controller: AbortController; done: Promise<unknown>; cancellable: () => boolean }
  >();

  constructor(private readonly events: JobEvents) {}

  start<T>(spec: JobSpec<T>): { job: string; done: Promise<T> } {
    const job = randomUUID();
    const controller = new AbortController();
    const summary: JobSummary = {
      job,
      kind: spec.kind,
      title: spec.title,
      phoneId: spec.phoneId ?? null,
      state: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      progress: null,
      problem: null,
    };
    const context: JobContext = {
      job,
      signal: controller.signal,
      progress: (update) => {
        if (summary.state !== 'running') return;
        const progress: Progress = { ...update, job };
        summary.progress = progress;
        this.events.progress(progress);
      },
    };
    // Started synchronously, so a cancel right after start() reaches listeners the job has already attached.
    const done = new Promise<T>((resolve) => resolve(spec.run(context))).then(
      (result) => {
        this.finish(summary, 'succeeded');
        if (spec.summarise) summary.result = spec.summarise(result);
        this.events.changed({ ...summary });
        return result;
      },
      (error: unknown) => {
        if (isCancellation(error, controller.signal)) {
          this.finish(summary, 'cancelled');
          // A cancel that leaves something half-done (a restore) says so with a Problem; a plain cancel has none.
          if (error instanceof ProblemError) summary.problem = error.problem;
        } else {
          this.finish(summary, 'failed');
          summary.problem = problemFrom(error);
        }
        this.events.changed({ ...summary });
        throw error instanceof ProblemError || isCancellation(error, controller.signal)
          ? error
          : ProblemError.forward(summary.problem!, { cause: error });
      },
    );
    // The caller may not await `done`; the outcome is already recorded in the summary.
    done.catch(() => undefined);
    this.jobs.set(job, { summary, controller, done, cancellable: spec.cancellable ?? (() => true) });
    this.events.changed({ ...summary });
    return { job, done };
  }

  /** True when the job was asked to stop; false for an unknown or finished job, or one past its point of no return. */
  cancel(job: string): boolean {
    const entry = this.jobs.get(job);
    if (!entry || entry.summary.state !== 'running' || !entry.cancellable()) return false;
    entry.controller.abort();
    return true;
  }

  list(): JobSummary[] {
    return [...this.jobs.values()].map(({ summary }) => ({ ...summary }));
  }

  get(job: string): JobSummary | undefined {
    const entry = this.jobs.get(job);
    return entry ? { ...entry.summary } : undefined;
  }

  running(): JobSummary[] {
    return this.list().filter((summary) => summary.state === 'running');
  }

  /** Cancels everything and waits for the jobs to wind down (used when the app quits). */
  async cancelAll(): Promise<void> {
    const pending = [...this.jobs.values()].filter(({ summary }) => summary.state === 'running');
    for (const { controller } of pending) controller.abort();
    await Promise.allSettled(pending.map(({ done }) => done));
  }

  private finish(summary: JobSummary, state: JobSummary['state']): void {
    summary.state = state;
    summary.finishedAt = new Date().toISOString();
  }
}
