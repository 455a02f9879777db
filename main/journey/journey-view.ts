/**
 * What each journey state looks like to a person: step of the stepper, headline, one line, the one next action and
 * the quiet ones. Pure: state + context (+ the live job) → the contract's JourneySnapshot.
 */
import {
  JOURNEY_STEPS,
  type JourneyAction,
  type JourneyActionId,
  type JourneyBackup,
  type JourneySafety,
  type JourneySnapshot,
  type JourneyState,
  type JourneyStep,
} from '../../common/contract/journey';
import type { Progress } from '../../common/api';
import { ERASE_PHRASE, type JourneyContext } from './journey-machine';
import { passcodeGuidance } from '../../common/passcode-guidance';

type StateView = { step: JourneyStep; title: (context: JourneyContext) => string; message: (context: JourneyContext) => string };

const STATE_VIEWS: Record<JourneyState, StateView> = {
  waitingForPhone: {
    step: 'connect',
    title: () => 'Plug in your iPhone',
    message: () => 'Locked, stuck on the Apple logo, or showing a cable? Plug it in.',
  },
  assessing: { step: 'save', title: () => 'What can be saved', message: () => 'Looking for backups of this phone on this computer…' },
  choosing: { step: 'save', title: (c) => c.phone.triageHeadline || 'What can be saved', message: (c) => c.phone.triageReason },
  noBackupWarning: {
    step: 'save',
    title: () => 'Continue without a backup?',
    message: () =>
      'The erase deletes everything on the phone. Without a backup, photos and messages that are not in iCloud are gone for good.',
  },
  backingUp: { step: 'backup', title: () => 'Backing up', message: (c) => previousBackupLine(c) },
  backupFailed: {
    step: 'backup',
    title: () => 'The backup did not finish',
    message: (c) => `${previousBackupLine(c)} You can try again or choose another way.`,
  },
  backupPassword: {
    step: 'backup',
    title: () => 'This backup has a password',
    message: () =>
      'Type the password that was set for encrypted backups. Lifeline checks it now, before anything is erased, and never saves it.',
  },
  checkingPassword: { step: 'backup', title: () => 'Checking the password', message: () => 'This takes a few seconds.' },
  preparingFirmware: {
    step: 'firmware',
    title: () => 'Getting iOS ready',
    message: (c) => `Lifeline downloads and checks the latest iOS for ${c.phone.modelName} before asking you to press any button.`,
  },
  firmwareFailed: { step: 'firmware', title: () => 'iOS could not be made ready', message: () => 'Nothing on the phone has changed.' },
  confirmErase: {
    step: 'confirm',
    title: () => 'Before we erase',
    message: (c) => `iOS ${c.firmware?.version ?? ''} is downloaded and checked. Read what happens, then type “${ERASE_PHRASE}” to go on.`,
  },
  choosingRecoveryPath: { step: 'recovery', title: () => 'Into recovery mode', message: () => 'Choosing the way into recovery mode…' },
  enteringRecovery: {
    step: 'recovery',
    title: () => 'Into recovery mode',
    message: () => 'Lifeline can do this for you: the phone restarts into recovery mode (a cable and a computer on its screen).',
  },
  coachReady: {
    step: 'recovery',
    title: () => 'Into recovery mode with the buttons',
    message: (c) => `Hold ${c.phone.modelName} so you can reach its buttons. When you are ready, start the countdown.`,
  },
  coaching: { step: 'recovery', title: () => 'Follow the countdown', message: () => 'Eyes on the phone. Let go when Lifeline says so.' },
  coachMissed: {
    step: 'recovery',
    title: (c) => c.coachOutcome?.headline ?? 'Not quite',
    message: (c) =>
      c.coachOutcome?.detail ?? 'The phone did not reach recovery mode this time. Try again — it often takes two or three goes.',
  },
  restoring: {
    step: 'restore',
    title: () => 'Restoring',
    message: (c) =>
      `Installing iOS ${c.firmware?.version ?? ''}. The phone shows an Apple logo with a bar. You can leave the computer; keep the cable in.`,
  },
  restoreFailed: {
    step: 'restore',
    title: () => 'The restore stopped',
    message: () => 'The phone is still safe to try again: it waits in recovery mode.',
  },
  restoringData: {
    step: 'data',
    title: () => 'Putting your data back',
    // docs/protocols/lockdown.md#after-an-erase: the erased phone waits in its setup until the person asks for a computer.
    message: (c) =>
      `From ${c.chosenBackup?.label ?? 'your backup'}. On the phone, follow the setup to “Transfer Your Apps & Data” and choose “From Mac or PC”; if it asks, tap Trust. The phone restarts at the end.`,
  },
  dataFailed: {
    step: 'data',
    title: () => 'Your data could not be put back yet',
    message: () => 'The backup on this computer is untouched. Try again, or set up the phone without it.',
  },
  newPasscode: {
    step: 'passcode',
    title: () => 'Choose a new passcode',
    message: () => 'Backups do not hold the passcode, so the phone needs a new one. Six digits is the default.',
  },
  done: {
    step: 'done',
    title: () => 'Done',
    message: (c) => (c.chosenBackup ? `Your phone is back, with ${c.chosenBackup.label}.` : 'Your phone is working again.'),
  },
  cancelled: {
    step: 'save',
    title: () => 'Stopped',
    message: () => 'Nothing more happens to the phone. You can start again whenever you like.',
  },
};

const LABELS: Record<JourneyActionId, string> = {
  backUp: 'Back up now',
  useBackup: 'Use this backup',
  continueWithoutBackup: 'Continue without a backup',
  acceptNoBackup: 'I understand — continue without a backup',
  checkPassword: 'Check the password',
  confirmErase: 'Erase and restore',
  startCoach: 'Start the countdown',
  skipBackupRestore: 'Set up without the backup',
  passcodeSet: 'I have set a new passcode',
  retry: 'Try again',
  chooseAnotherPath: 'Choose another way',
  goBack: 'Go back',
  cancel: 'Stop',
  startOver: 'Start again',
};

/** The primary action of each state, then its quiet ones (only those the chart accepts right now are shown). */
const ACTIONS: Partial<Record<JourneyState, { next: JourneyActionId | null; secondary: JourneyActionId[] }>> = {
  waitingForPhone: { next: null, secondary: ['cancel'] },
  assessing: { next: null, secondary: ['cancel'] },
  noBackupWarning: { next: 'acceptNoBackup', secondary: ['goBack', 'cancel'] },
  backingUp: { next: null, secondary: ['cancel'] },
  backupFailed: { next: 'retry', secondary: ['chooseAnotherPath', 'cancel'] },
  backupPassword: { next: 'checkPassword', secondary: ['goBack', 'skipBackupRestore', 'cancel'] },
  preparingFirmware: { next: null, secondary: ['cancel'] },
  firmwareFailed: { next: 'retry', secondary: ['cancel'] },
  confirmErase: { next: 'confirmErase', secondary: ['goBack', 'cancel'] },
  enteringRecovery: { next: null, secondary: ['cancel'] },
  coachReady: { next: 'startCoach', secondary: ['cancel'] },
  coaching: { next: null, secondary: ['cancel'] },
  coachMissed: { next: 'retry', secondary: ['cancel'] },
  restoreFailed: { next: 'retry', secondary: ['cancel'] },
  dataFailed: { next: 'retry', secondary: ['skipBackupRestore'] },
  newPasscode: { next: 'passcodeSet', secondary: [] },
  cancelled: { next: 'startOver', secondary: [] },
};

export type JourneyLive = { job: string | null; progress: Progress | null };

export type ViewInput = {
  state: JourneyState;
  context: JourneyContext;
  publicId: string;
  live: JourneyLive;
  /** The chart accepts this action now (snapshot.can). */
  can(action: JourneyActionId): boolean;
  now: Date;
};

export function journeySnapshotView({ state, context, publicId, live, can, now }: ViewInput): JourneySnapshot {
  const view = STATE_VIEWS[state];
  // Asked again after a restart, the password belongs to putting the data back.
  const step = state === 'backupPassword' && context.afterPassword === 'data' ? 'data' : view.step;
  const { next, secondary } = actionsOf(state, context, can);
  return {
    phoneId: context.phoneId,
    publicId,
    name: context.phone.name,
    modelName: context.phone.modelName,
    mode: context.phone.mode,
    connected: context.phone.connected,
    state,
    step,
    stepIndex: JOURNEY_STEPS.indexOf(step),
    stepTotal: JOURNEY_STEPS.length,
    title: view.title(context),
    message: view.message(context),
    safety: safetyLine(state, context, now),
    job: live.job,
    progress: live.progress,
    problem: context.problem,
    notice: context.notice,
    next,
    secondary,
    backups: context.backups,
    chosenBackup: context.chosenBackup,
    firmware: context.firmware,
    confirmation: state === 'confirmErase' ? confirmationOf(context) : null,
    coachAttempt: state === 'coaching' || state === 'coachMissed' ? context.coachAttempt : null,
    passcodeGuidance: state === 'newPasscode' ? passcodeGuidance(context.firmware?.version ?? context.phone.iosVersion, null).steps : null,
    updatedAt: now.toISOString(),
  };
}

function action(id: JourneyActionId, extra: Partial<JourneyAction> = {}): JourneyAction {
  return { id, label: LABELS[id], ...extra };
}

function actionsOf(
  state: JourneyState,
  context: JourneyContext,
  can: (action: JourneyActionId) => boolean,
): { next: JourneyAction | null; secondary: JourneyAction[] } {
  if (state === 'choosing') return choosingActions(context);
  const row = ACTIONS[state];
  if (!row) return { next: null, secondary: [] };
  const destructive = state === 'confirmErase' ? { destructive: true } : {};
  const next = row.next !== null && can(row.next) ? action(row.next, destructive) : null;
  return { next, secondary: row.secondary.filter(can).map((id) => action(id)) };
}

/** "Back up now" when the phone allows it; else the newest backup; else continuing without one. */
function choosingActions(context: JourneyContext): { next: JourneyAction; secondary: JourneyAction[] } {
  const useBackups = context.backups.map((backup) => action('useBackup', { label: `Use ${backup.label}`, backupId: backup.id }));
  const without = action('continueWithoutBackup');
  const ordered = context.phone.canBackUp ? [action('backUp'), ...useBackups, without] : [...useBackups, without];
  const [next, ...secondary] = ordered as [JourneyAction, ...JourneyAction[]];
  return { next, secondary: [...secondary, action('cancel')] };
}

function previousBackupLine(context: JourneyContext): string {
  const newest = context.backups[0];
  return newest
    ? `Your previous backup (${newest.label}) stays safe until the new one is complete.`
    : 'Keep the cable in and the phone near.';
}

const AFTER_ERASE: readonly JourneyState[] = ['restoring', 'restoreFailed', 'restoringData', 'dataFailed', 'newPasscode', 'done'];

/** The line that is always on screen about the person's photos. */
export function safetyLine(state: JourneyState, context: JourneyContext, now: Date): JourneySafety {
  const chosen = context.chosenBackup;
  if (chosen) {
    const when = context.backedUpNow ? 'today' : backupAge(chosen, now);
    if (state === 'done') return { status: 'saved', line: `Your photos: back on the phone from the backup ${when}.` };
    return { status: 'saved', line: `Your photos: saved in a backup ${when}.` };
  }
  if (AFTER_ERASE.includes(state) && context.firmware)
    return { status: 'cannot-be-saved', line: 'Your photos: erased with the phone — there was no backup to bring back.' };
  if (!context.phone.canBackUp && context.backups.length === 0 && state !== 'waitingForPhone' && state !== 'assessing') {
    return {
      status: 'cannot-be-saved',
      line: `Your photos: cannot be saved — ${lowerFirst(context.phone.triageReason || context.phone.triageHeadline)}`,
    };
  }
  if (state === 'waitingForPhone')
    return { status: 'unknown', line: 'Your photos: Lifeline checks what can be saved once the phone is connected.' };
  return { status: 'not-saved', line: 'Your photos: not saved yet.' };
}

function backupAge(backup: JourneyBackup, now: Date): string {
  if (!backup.date) return 'on this computer';
  const date = new Date(backup.date);
  if (Number.isNaN(date.getTime())) return 'on this computer';
  const sameDay = date.toDateString() === now.toDateString();
  return sameDay ? 'from today' : `from ${date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })}`;
}

/** "the backup from 3 May 2025" — the label a backup is chosen by. */
export function backupLabel(date: string | null, now: Date): string {
  return `the backup ${backupAge({ id: '', date, sizeBytes: null, encrypted: null, label: '' }, now)}`;
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text[0]!.toLowerCase() + text.slice(1) : text;
}

function confirmationOf(context: JourneyContext): NonNullable<JourneySnapshot['confirmation']> {
  return {
    willBeLost: [
      `Everything on ${context.phone.name}: photos, messages, apps and settings.`,
      'The forgotten passcode — that is what lets you in again.',
    ],
    comesBack: context.chosenBackup
      ? `${capitalise(context.chosenBackup.label)} is put back after the restore.`
      : 'Nothing comes back: you chose to continue without a backup.',
    activationLock:
      'If Find My was on, the phone asks for the Apple ID and password it was set up with. Lifeline cannot get past that; Apple’s account recovery can help if you forgot them.',
    phrase: ERASE_PHRASE,
  };
}

function capitalise(text: string): string {
  return text.length > 0 ? text[0]!.toUpperCase() + text.slice(1) : text;
}
