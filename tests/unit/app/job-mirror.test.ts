import { describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../common/api';
import { JobMirror } from '../../../main/app/job-mirror';

const summary = (job: string, state: JobSummary['state']): JobSummary => ({
  job,
  kind: 'backup',
  title: 'Backing up',
  phoneId: null,
  state,
  startedAt: '2026-11-27T00:00:00Z',
  finishedAt: null,
  progress: null,
  problem: null,
});

function rig() {
  const calls: Array<[number, string]> = [];
  let awake = 0;
  const mirror = new JobMirror({
    setProgress: (fraction, mode) => calls.push([fraction, mode]),
    preventSleep: () => {
      awake++;
      return () => awake--;
    },
  });
  return { mirror, calls, awake: () => awake };
}

describe('desktop mirror of running jobs', () => {
  it('keeps the computer awake exactly while a job runs', () => {
    const { mirror, awake } = rig();
    mirror.jobChanged(summary('a', 'running'));
    mirror.jobChanged(summary('b', 'running'));
    expect(awake()).toBe(1);
    mirror.jobChanged(summary('a', 'succeeded'));
    expect(awake()).toBe(1);
    mirror.jobChanged(summary('b', 'cancelled'));
    expect(awake()).toBe(0);
    expect(mirror.busy).toBe(false);
  });

  it('mirrors progress to the taskbar, indeterminate when unknown, cleared at the end', () => {
    const { mirror, calls } = rig();
    mirror.jobChanged(summary('a', 'running'));
    mirror.progress({ job: 'a', phase: 'copy', fraction: 0.25, message: '' });
    mirror.progress({ job: 'other', phase: 'copy', fraction: 0.9, message: '' });
    mirror.jobChanged(summary('a', 'succeeded'));
    expect(calls).toEqual([
      [2, 'indeterminate'],
      [0.25, 'normal'],
      [-1, 'none'],
    ]);
  });

  it('shows a failure as an error on the taskbar', () => {
    const { mirror, calls } = rig();
    mirror.jobChanged(summary('a', 'running'));
    mirror.jobChanged(summary('a', 'failed'));
    expect(calls.at(-1)).toEqual([1, 'error']);
  });

  it('shows a job interrupted by an engine crash as an error and lets the computer sleep again', () => {
    const { mirror, calls, awake } = rig();
    mirror.jobChanged(summary('a', 'running'));
    expect(awake()).toBe(1);
    mirror.jobChanged(summary('a', 'interrupted'));
    expect(calls.at(-1)).toEqual([1, 'error']);
    expect(awake()).toBe(0);
    expect(mirror.busy).toBe(false);
  });
});
