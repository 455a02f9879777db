import type { JobSummary } from '../../common/api';

export const JOB_INTERRUPTED_CODE = 'job-interrupted';

const SUPPORT_STEP = 'If it keeps happening, export the log from the Help menu and send it to us.';

/** What to do after a job of this kind was cut off, in the words of what was safe and what to start again. */
function nextStepsFor(kind: string): string[] {
  if (kind === 'backup') {
    return [
      'Your previous backup is unchanged: an unfinished backup never replaces it.',
      'Check that the phone is still connected, then start the backup again.',
    ];
  }
  if (kind.startsWith('firmware.')) {
    return ['What was already downloaded is kept: start again and the download carries on where it stopped.'];
  }
  if (kind === 'restore') {
    return [
      'Look at the phone. If it shows a cable pointing at a computer, it is waiting in recovery mode: start the restore again.',
      'If the screen stays black, use the coach to put the phone into recovery or DFU mode, then start the restore again.',
    ];
  }
  if (kind === 'coach') return ['Let go of the phone’s buttons, then start the coach again.'];
  if (kind.startsWith('recovery.')) return ['Check what the phone shows, then try again.'];
  return ['Start it again.'];
}

/** A job that was running when the engine process stopped: it ends as interrupted, with a Problem that says what to do next. */
export function interruptedJob(summary: JobSummary, reason: string, at: Date): JobSummary {
  return {
    ...summary,
    state: 'interrupted',
    finishedAt: at.toISOString(),
    problem: {
      code: JOB_INTERRUPTED_CODE,
      title: `${summary.title} — interrupted`,
      detail: `Lifeline’s engine stopped while this was running and has been restarted. ${reason}`.slice(0, 1000),
      nextSteps: [...nextStepsFor(summary.kind), SUPPORT_STEP],
    },
  };
}
