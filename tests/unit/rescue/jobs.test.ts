import { describe, expect, it } from 'vitest';
import { ProblemError, type JobSummary, type Progress } from '../../../common/api';
import { JobRunner } from '../../../main/rescue/jobs';

function runner() {
  const changes: JobSummary[] = [];
  const progress: Progress[] = [];
  const jobs = new JobRunner({ changed: (s) => changes.push(s), progress: (p) => progress.push(p) });
  return { jobs, changes, progress };
}

describe('job runner', () => {
  it('reports start, progress with the job id, and success with a summary', async () => {
    const { jobs, changes, progress } = runner();
    const { job, done } = jobs.start({
      kind: 'test',
      title: 'Counting',
      run: async ({ progress: report }) => {
        report({ phase: 'count', fraction: 0.5, message: 'half' });
        return 42;
      },
      summarise: (n) => ({ n }),
    });
    expect(await done).toBe(42);
    expect(progress).toEqual([{ job, phase: 'count', fraction: 0.5, message: 'half' }]);
    expect(changes.map((c) => c.state)).toEqual(['running', 'succeeded']);
    expect(jobs.get(job)).toMatchObject({ state: 'succeeded', result: { n: 42 } });
  });

  it('records cancellation as its own outcome, not a failure', async () => {
    const { jobs } = runner();
    const { job, done } = jobs.start({
      kind: 'test',
      title: 'Waiting',
      run: ({ signal }) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(Object.assign(new Error('stop'), { name: 'AbortError' }))),
        ),
    });
    expect(jobs.cancel(job)).toBe(true);
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(jobs.get(job)).toMatchObject({ state: 'cancelled', problem: null });
    expect(jobs.cancel(job)).toBe(false);
  });

  it('turns a failure into a Problem people can read', async () => {
    const { jobs } = runner();
    const failure = new ProblemError('disk-full', { neededBytes: 2e9, freeBytes: 1e9, folder: '/tmp' });
    const { job, done } = jobs.start({ kind: 'test', title: 't', run: async () => Promise.reject(failure) });
    await expect(done).rejects.toBe(failure);
    expect(jobs.get(job)).toMatchObject({
      state: 'failed',
      problem: { code: 'disk-full', title: 'Not enough free space for the firmware', detail: expect.stringContaining('2.0 GB') },
    });
  });

  it("records anything else as the catalog's internal Problem, the error kept as its cause", async () => {
    const { jobs } = runner();
    const bug = new TypeError('x is undefined');
    const { job, done } = jobs.start({ kind: 'test', title: 't', run: async () => Promise.reject(bug) });
    await expect(done).rejects.toMatchObject({ code: 'internal', cause: bug });
    expect(jobs.get(job)).toMatchObject({
      state: 'failed',
      problem: { code: 'internal', detail: expect.stringContaining('x is undefined') },
    });
  });

  it('cancels every running job on cancelAll and waits for them', async () => {
    const { jobs } = runner();
    let stopped = 0;
    for (let i = 0; i < 3; i++) {
      jobs.start({
        kind: 'test',
        title: 't',
        run: ({ signal }) =>
          new Promise((_r, reject) =>
            signal.addEventListener('abort', () => {
              stopped++;
              reject(new Error('aborted'));
            }),
          ),
      });
    }
    await jobs.cancelAll();
    expect(stopped).toBe(3);
    expect(jobs.running()).toEqual([]);
    expect(jobs.list().every((s) => s.state === 'cancelled')).toBe(true);
  });
});

describe('a job past its point of no return', () => {
  it('refuses cancel and keeps running to its end', async () => {
    const { jobs } = runner();
    let pastNoReturn = false;
    let finish: () => void = () => undefined;
    const { job, done } = jobs.start({
      kind: 'restore',
      title: 'Boot the restore images',
      cancellable: () => !pastNoReturn,
      run: ({ signal }) =>
        new Promise<string>((resolve, reject) => {
          signal.addEventListener('abort', () => reject(Object.assign(new Error('stop'), { name: 'AbortError' })));
          finish = () => resolve('booted');
        }),
    });
    pastNoReturn = true;
    expect(jobs.cancel(job)).toBe(false);
    finish();
    expect(await done).toBe('booted');
    expect(jobs.get(job)?.state).toBe('succeeded');
  });
});
