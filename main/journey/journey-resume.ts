/**
 * Where a saved journey picks up (docs/journey.md#resuming). The step that was running starts again — xstate restarts
 * the invoked step with its saved input — except where starting again on its own would surprise the person: a coach
 * countdown waits for them to be ready, and a password (never saved) is asked for again.
 */
import type { JourneyState } from '../../common/contract/journey';
import type { JourneyPhone } from './journey-machine';
import type { PersistedJourney } from './journey-store';

const WAIT_FOR_PERSON: Partial<Record<JourneyState, JourneyState>> = {
  coaching: 'coachReady',
  checkingPassword: 'backupPassword',
};

const MODE_WORDS: Record<JourneyPhone['mode'], string> = {
  normal: 'started normally',
  recovery: 'is in recovery mode',
  dfu: 'is in DFU mode',
  wtf: 'is in DFU mode',
  restore: 'is in restore mode',
  unknown: 'is connected',
};

export function resumeNotice(state: JourneyState, phone: JourneyPhone): string | null {
  switch (state) {
    case 'restoring':
      if (phone.mode === 'normal') return 'Lifeline stopped during the restore. Checking where the phone is now…';
      if (phone.mode === 'restore')
        return 'Lifeline stopped during the restore. The phone is still in it and restarts by itself; the restore starts again then.';
      return `Lifeline stopped during the restore. The phone ${MODE_WORDS[phone.mode]}: the restore starts again now.`;
    case 'backingUp':
      return 'Lifeline stopped during the backup. Your previous backup is intact; the backup starts again.';
    case 'restoringData':
      return 'Lifeline stopped while putting your data back. It starts again from the backup, which is untouched.';
    case 'preparingFirmware':
      return 'Lifeline stopped while getting iOS ready. The download continues where it stopped.';
    case 'enteringRecovery':
      return 'Lifeline stopped while putting the phone into recovery mode. It tries again now.';
    case 'coaching':
      return 'Lifeline stopped during the countdown. Start it again when you are ready.';
    case 'checkingPassword':
      return 'Lifeline stopped while checking the password. Lifeline never saves it: type it once more.';
    case 'done':
    case 'cancelled':
      return null;
    default:
      return 'Welcome back: the journey continues where you left it.';
  }
}

/** The saved snapshot to restore: the phone as it is now, the notice, and a waiting state where the person acts first. */
export function resumePoint(saved: PersistedJourney, phone: JourneyPhone): PersistedJourney {
  const state = saved.value;
  const notice = resumeNotice(state, phone);
  const context = { ...saved.context, phone, notice: notice ?? saved.context.notice };
  const waitIn = WAIT_FOR_PERSON[state];
  if (waitIn) return { ...saved, value: waitIn, children: {}, context };
  return { ...saved, context };
}
