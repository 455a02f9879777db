import type { CoachAttempt } from '../../../common/api';
import type { TimelinePosition } from '../../../common/coach-timeline';
import type { Phone } from '../../../common/phone';
import { StatusAnnouncer } from '../../components/status-announcer';
import { describeMode } from '../../phone-words';
import { useJob } from '../../store/use-job';
import { shortcutDoneWords } from './coach-shortcut-result';
import type { Shortcut } from './use-recovery-shortcut';

type StatusInput = {
  phone: Phone | null;
  attempt: CoachAttempt | null;
  position: TimelinePosition | null;
  shortcut: Shortcut | null;
  problem: string | null;
};

/** The coach's one live sentence. Reads the shortcut's job itself, so that job's progress re-renders only this. */
export function CoachStatus(props: StatusInput) {
  const job = useJob(props.shortcut?.job ?? null);
  const { attempt, position, shortcut, problem, phone } = props;
  let message: string;
  if (attempt?.outcome) message = attempt.outcome.headline;
  else if (attempt?.state === 'cancelled') message = 'Coach stopped.';
  else if (attempt && position) message = position.step ? position.step.text : 'Keep holding until Lifeline says to let go.';
  else if (shortcut && job?.state === 'running') message = job.progress?.message ?? 'Working…';
  else if (shortcut && job?.state === 'succeeded') message = shortcutDoneWords(shortcut.kind);
  else if (shortcut && (job?.state === 'failed' || job?.state === 'interrupted')) message = job.problem?.title ?? 'That did not work.';
  else if (problem) message = problem;
  else message = phone ? `${phone.model.name}: ${describeMode(phone.mode)}. Choose what you need, read the steps, then press Start.` : '';
  // Changes once per step, on an outcome, and on a shortcut's progress.
  return <StatusAnnouncer message={message} />;
}
