import type { JourneyAction, JourneySnapshot, JourneyState, JourneyStep } from '../../common/contract/journey';

/** The stepper's words for each step of the contract, in its order. */
export const STEP_LABELS: Record<JourneyStep, string> = {
  connect: 'Plug in',
  save: 'What can be saved',
  backup: 'Back up',
  firmware: 'Get iOS ready',
  confirm: 'Before we erase',
  recovery: 'Recovery mode',
  restore: 'Restore',
  data: 'Data back',
  passcode: 'New passcode',
  done: 'Done',
};

/** States in which Lifeline works and the person waits (a progress screen, nothing to press but Stop). */
export const WORKING_STATES: ReadonlySet<JourneyState> = new Set([
  'assessing',
  'backingUp',
  'checkingPassword',
  'preparingFirmware',
  'choosingRecoveryPath',
  'enteringRecovery',
  'restoring',
  'restoringData',
]);

/** States that are a failure with a way forward. */
export const FAILED_STATES: ReadonlySet<JourneyState> = new Set([
  'backupFailed',
  'firmwareFailed',
  'restoreFailed',
  'dataFailed',
  'coachMissed',
]);

/** Long steps the person may walk away from. */
export const LEAVE_THE_COMPUTER_STATES: ReadonlySet<JourneyState> = new Set([
  'backingUp',
  'preparingFirmware',
  'restoring',
  'restoringData',
]);

/** Actions that need something typed first: they are done on the phone's journey screen, never from a list. */
const NEEDS_INPUT: ReadonlySet<JourneyAction['id']> = new Set(['confirmErase', 'checkPassword']);

/** What the one button for a phone does on the first screen and in the technician's table. */
export type NextStep = { label: string; act: JourneyAction | null };

/**
 * A phone's one next step outside its journey screen: the snapshot's next action when it can be done with one press;
 * else opening the journey (to type the confirmation or password, or to watch Lifeline work).
 */
export function nextStepOf(journey: JourneySnapshot): NextStep {
  const next = journey.next;
  if (next && !NEEDS_INPUT.has(next.id)) return { label: next.label, act: next };
  if (next) return { label: next.id === 'confirmErase' ? 'Read what happens, then erase' : 'Type the backup password', act: null };
  if (journey.state === 'done') return { label: 'See what came back', act: null };
  if (journey.state === 'waitingForPhone') return { label: 'See what to do', act: null };
  return { label: 'Watch the progress', act: null };
}

/** "Step 3 of 10: Back up". */
export function stepWords(journey: Pick<JourneySnapshot, 'step' | 'stepIndex' | 'stepTotal'>): string {
  return `Step ${journey.stepIndex + 1} of ${journey.stepTotal}: ${STEP_LABELS[journey.step]}`;
}

/** "About 4 minutes left" — rounded the way people say it; null when the engine has no estimate. */
export function timeLeftWords(etaSeconds: number | undefined): string | null {
  if (etaSeconds === undefined || !Number.isFinite(etaSeconds) || etaSeconds < 0) return null;
  if (etaSeconds < 60) return 'Less than a minute left';
  const minutes = Math.round(etaSeconds / 60);
  if (minutes < 60) return `About ${minutes} minute${minutes === 1 ? '' : 's'} left`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `About ${hours} h ${rest} min left`;
}

/** The percentage shown beside a bar (whole numbers; never 100 until the step is over). */
export function percentWords(fraction: number | null | undefined): string | null {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return null;
  return `${Math.min(99, Math.max(0, Math.floor(fraction * 100)))}%`;
}
