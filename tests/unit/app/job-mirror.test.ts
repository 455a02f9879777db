import { describe, expect, it } from 'vitest';
import type { JobSummary, JourneySnapshot } from '../../../common/api';
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

const journey = (phoneId: string, state: JourneySnapshot['state']): JourneySnapshot => ({ phoneId, state }) as JourneySnapshot;

function desktopRig(hidden: boolean) {
  const badges: string[] = [];
  const notes: Array<[string, string]> = [];
  const progress: Array<[number, string]> = [];
  let awake = 0;
  const mirror = new JobMirror({
    setProgress: (fraction, mode) => progress.push([fraction, mode]),
    preventSleep: () => {
      awake++;
      return () => awake--;
    },
    setBadge: (text) => badges.push(text),
    notify: (title, body) => notes.push([title, body]),
    isWindowHidden: () => hidden,
  });
  return { mirror, badges, notes, progress, awake: () => awake };
}

const ended = (job: string, state: JobSummary['state'], minutes: number, kind = 'restore'): JobSummary => ({
  ...summary(job, state),
  kind,
  title: 'Restoring iPhone',
  finishedAt: new Date(Date.parse('2026-11-27T00:00:00Z') + minutes * 60_000).toISOString(),
  problem: state === 'failed' ? { code: 'restore-error-14', title: 'The restore stopped (error 14)', detail: '', nextSteps: [] } : null,
});

describe('desktop mirror of journeys', () => {
  it('keeps the computer awake through a journey’s long steps, also between their jobs', () => {
    const { mirror, awake, progress } = desktopRig(false);
    mirror.journeyChanged(journey('p1', 'restoring'));
    expect(awake()).toBe(1);
    expect(progress.at(-1)).toEqual([2, 'indeterminate']);
    mirror.journeyChanged(journey('p1', 'restoringData'));
    expect(awake()).toBe(1);
    mirror.journeyChanged(journey('p1', 'newPasscode'));
    expect(awake()).toBe(0);
    expect(mirror.busy).toBe(false);
  });

  it('marks a failed step with the taskbar error and the dock badge, cleared when the journey moves on', () => {
    const { mirror, badges, progress } = desktopRig(false);
    mirror.journeyChanged(journey('p1', 'restoring'));
    mirror.journeyChanged(journey('p1', 'restoreFailed'));
    expect(progress.at(-1)).toEqual([1, 'error']);
    expect(badges).toEqual(['!']);
    mirror.journeyChanged(journey('p1', 'restoring'));
    expect(badges).toEqual(['!', '']);
    expect(progress.at(-1)).toEqual([2, 'indeterminate']);
  });

  it('says in plain words what quitting does to the step under way, the most serious first', () => {
    const { mirror } = desktopRig(false);
    expect(mirror.quitWarning()).toBeNull();
    mirror.jobChanged({ ...summary('d', 'running'), kind: 'firmware.prepare' });
    expect(mirror.quitWarning()).toMatchObject({ irreversible: false, message: 'iOS is being downloaded and checked.' });
    mirror.journeyChanged(journey('p1', 'restoring'));
    expect(mirror.quitWarning()).toEqual({
      irreversible: true,
      message: 'The phone is being restored.',
      detail: 'If you quit now it stays in recovery mode and you can finish later by opening Lifeline again.',
    });
    mirror.journeyChanged(journey('p1', 'done'));
    mirror.jobChanged({ ...summary('r', 'running'), kind: 'backup.restore' });
    expect(mirror.quitWarning()).toMatchObject({ irreversible: true, message: 'Your backup is being put back on the phone.' });
  });

  it('notifies when a long step ends while the window is hidden — not for short steps, cancels or a visible window', () => {
    const hidden = desktopRig(true);
    hidden.mirror.jobChanged(ended('a', 'running', 0));
    hidden.mirror.jobChanged(ended('a', 'succeeded', 12));
    hidden.mirror.jobChanged(ended('b', 'failed', 3));
    hidden.mirror.jobChanged(ended('c', 'succeeded', 0.5));
    hidden.mirror.jobChanged(ended('d', 'cancelled', 30));
    expect(hidden.notes).toEqual([
      ['Restoring iPhone: done', 'Open Lifeline for the next step.'],
      ['Restoring iPhone: stopped', 'The restore stopped (error 14)'],
    ]);
    const visible = desktopRig(false);
    visible.mirror.jobChanged(ended('a', 'succeeded', 12));
    expect(visible.notes).toEqual([]);
  });
});
