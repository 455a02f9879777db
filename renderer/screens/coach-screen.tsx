import { useCallback, useState } from 'react';
import { problemOf } from '../../common/api';
import type { CoachGoal } from '../../common/coach-plans';
import { positionAt } from '../../common/coach-timeline';
import { maskPhoneId } from '../../common/phone-id-mask';
import { CoachChecklist } from '../components/coach-checklist';
import { CoachCountdown } from '../components/coach-countdown';
import { CoachOutcomePanel } from '../components/coach-outcome';
import { CoachPracticeButtons } from '../components/coach-practice-buttons';
import { useProblemLine } from '../hooks/use-problem-line';
import { useWindowInBackground } from '../hooks/use-window-in-background';
import { TOOLS } from '../navigation';
import { describeMode } from '../phone-words';
import { navigate } from '../store/lifeline-store';
import { useJobState } from '../store/use-job';
import { useLifeline, useLifelineApi, useLifelineStore } from '../store/use-lifeline';
import { CoachGoalPicker, effectiveGoal } from './coach/coach-goal-picker';
import { CoachPhoneChooser } from './coach/coach-phone-chooser';
import { CoachPreview } from './coach/coach-preview';
import { CoachEnterRecovery, CoachExitRecovery } from './coach/coach-recovery-actions';
import { CoachShortcutResult } from './coach/coach-shortcut-result';
import { CoachSoundSwitches } from './coach/coach-sound-switches';
import { CoachStatus } from './coach/coach-status';
import { isRunning, useCoachAttempt } from './coach/use-coach-attempt';
import { useCoachPhone } from './coach/use-coach-phone';
import { useCoachPlan } from './coach/use-coach-plan';
import { useCoachSound } from './coach/use-coach-sound';
import { useRecoveryShortcut } from './coach/use-recovery-shortcut';

const MISSES_BEFORE_CHECKLIST = 2;

/**
 * The coach: choose the phone and goal, read the plan, then count down with the drawing until the engine says how it
 * went. Job progress is read by the components that show it, never here.
 */
export function CoachScreen({ phoneId, intent }: { phoneId: string | null; intent: 'enter' | 'exit' }) {
  const store = useLifelineStore();
  const api = useLifelineApi();
  const { candidates, chosenId, phone } = useCoachPhone(phoneId);
  const practice = useLifeline((s) => (s.appInfo?.demo ? s.practicePhones.find((p) => p.id === chosenId) : undefined));

  const [goal, setGoal] = useState<CoachGoal | null>(null);
  const [checked, setChecked] = useState(false);
  const [practiceNote, setPracticeNote] = useState<string | null>(null);
  const { prefs, setPrefs, cues } = useCoachSound();
  const { attempt, elapsed, accept } = useCoachAttempt(chosenId, cues);
  const running = attempt !== null && isRunning(attempt.state);
  const goalNow = effectiveGoal(goal, phone);
  const planState = useCoachPlan(chosenId, phone, goalNow, running);
  const { problem, report } = useProblemLine(planState, { successClears: true });
  const { shortcut, startShortcut } = useRecoveryShortcut(chosenId, phone, intent, report);
  const shortcutBusy = useJobState(shortcut?.job ?? null) === 'running';
  const inBackground = useWindowInBackground();
  const notePractice = useCallback((note: string) => setPracticeNote(note), []);

  const start = (): void => {
    if (!chosenId) return;
    report(null);
    setChecked(false);
    api.invoke('coach.start', { phoneId: chosenId, goal: goalNow }).then(accept, (error: unknown) => {
      const p = problemOf(error);
      report(p ? `${p.title}. ${p.detail}` : 'The coach could not start.');
    });
  };
  const stop = (): void => {
    if (attempt) void api.invoke('jobs.cancel', { job: attempt.job }).catch(() => undefined);
  };

  const back = (
    <button type="button" className="back" onClick={() => navigate(store, TOOLS)}>
      Back to phones
    </button>
  );
  if (!chosenId) return <CoachPhoneChooser candidates={candidates} intent={intent} back={back} />;

  const planAnswer = planState.problem ? null : planState.data;
  const plan = running || attempt?.outcome ? (attempt?.plan ?? planAnswer?.plan ?? null) : (planAnswer?.plan ?? null);
  const position = attempt && plan ? positionAt(attempt.plan, elapsed) : null;
  const misses = Math.max(planAnswer?.missesInARow ?? 0, attempt?.outcome && !attempt.outcome.success ? attempt.missesBefore + 1 : 0);
  const gateOn = !running && misses >= MISSES_BEFORE_CHECKLIST;

  return (
    <main className="screen coach" aria-labelledby="coach-title">
      <h1 id="coach-title">{phone ? `${phone.model.name}: recovery and DFU mode` : 'Recovery and DFU mode'}</h1>
      {back}
      {!phone || !phone.connected ? (
        <p className="coach-away" role="note">
          {attempt && running
            ? 'The phone is away from USB right now — that is expected while it restarts. Keep following the steps.'
            : 'Lifeline can’t see this phone right now. Plug it back in; Lifeline recognises it by its chip ID.'}
        </p>
      ) : (
        <p className="lead">
          Now: {describeMode(phone.mode)}. Lifeline watches this phone (ID {maskPhoneId(phone.id)}) and tells you when to let go.
        </p>
      )}
      {inBackground && running && <p role="note">This window is in the background. The countdown keeps time and the beeps still play.</p>}

      {phone?.mode === 'recovery' && phone.connected && !running && (
        <CoachExitRecovery busy={shortcutBusy} onExit={() => startShortcut('exit')} />
      )}
      {shortcut && <CoachShortcutResult shortcut={shortcut} />}

      {!running && phone?.connected && <CoachGoalPicker phone={phone} goal={goalNow} onGoal={setGoal} />}
      {!running && phone?.mode === 'normal' && phone.connected && (
        <CoachEnterRecovery phone={phone} busy={shortcutBusy} onEnter={() => startShortcut('enter')} />
      )}

      {problem && (
        <p role="alert" className="coach-problem">
          {problem}
        </p>
      )}

      {attempt?.outcome && <CoachOutcomePanel outcome={attempt.outcome} notes={attempt.notes} />}
      {running && position && plan && !attempt.outcome && <CoachCountdown plan={attempt.plan} position={position} />}
      {running && attempt.notes.length > 0 && (
        <ul className="coach-notes" aria-label="What happened so far">
          {attempt.notes.map((note, index) => (
            <li key={index}>{note}</li>
          ))}
        </ul>
      )}

      {!running && plan && planAnswer && (
        <CoachPreview
          plan={plan}
          planAnswer={planAnswer}
          afterOutcome={attempt?.outcome != null}
          firstTry={!attempt}
          gateOn={gateOn}
          checked={checked}
          onChecked={setChecked}
          onStart={start}
        />
      )}
      {attempt?.outcome?.showHostChecks && planAnswer && !gateOn && <CoachChecklist checks={planAnswer.hostChecks} title="Check these" />}
      {running && (
        <button type="button" onClick={stop}>
          Stop
        </button>
      )}

      <CoachSoundSwitches prefs={prefs} onChange={setPrefs} />

      {practice && <CoachPracticeButtons phone={practice} onNote={notePractice} />}
      {practiceNote && <p role="note">{practiceNote}</p>}

      <CoachStatus phone={phone} attempt={attempt} position={position} shortcut={shortcut} problem={problem} />
    </main>
  );
}
