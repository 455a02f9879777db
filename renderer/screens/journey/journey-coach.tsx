import { useEffect } from 'react';
import { positionAt } from '../../../common/coach-timeline';
import type { JourneySnapshot } from '../../../common/contract/journey';
import { CoachCountdown } from '../../components/coach-countdown';
import { CoachDrawing } from '../../components/coach-drawing';
import { CoachPracticeButtons } from '../../components/coach-practice-buttons';
import { CoachSteps } from '../../components/coach-steps';
import { useCommand } from '../../hooks/use-command';
import { useLifeline, useLifelineApi } from '../../store/use-lifeline';
import { isRunning, useCoachAttempt } from '../coach/use-coach-attempt';
import { useCoachSound } from '../coach/use-coach-sound';

/** Practice mode: the virtual phone's buttons under the coach (mouse, or the H / S / U / D keys). */
export function PracticeHands({ phoneId }: { phoneId: string }) {
  const practice = useLifeline((s) => (s.appInfo?.demo ? s.practicePhones.find((p) => p.id === phoneId) : undefined));
  if (!practice) return null;
  return <CoachPracticeButtons phone={practice} onNote={() => undefined} />;
}

/** Before the countdown: their phone drawn with the fingers' places, and the whole plan to read first. */
export function JourneyCoachReady({ journey }: { journey: JourneySnapshot }) {
  const planned = useCommand('coach.plan', journey.connected ? { phoneId: journey.phoneId, goal: 'recovery' } : null, {
    refreshOn: [journey.mode],
    fallbackTitle: 'Lifeline could not make a plan for this phone.',
  });
  const plan = planned.data?.plan ?? null;
  if (!plan) return planned.problem ? <p role="alert">{planned.problem.title}</p> : null;
  const first = plan.steps[0];
  return (
    <div className="journey-coach-ready">
      <CoachDrawing plan={plan} hold={[]} ready={first?.prepare ?? []} />
      <div className="journey-coach-plan">
        <h2>What you will do</h2>
        <CoachSteps plan={plan} />
        <p className="journey-hint">{plan.expectedScreen}</p>
      </div>
    </div>
  );
}

/**
 * The countdown of the journey's coach attempt, big: numerals, the step in a few words and their phone drawn with the
 * buttons to hold. Sound is on unless the person switched it off on the coach screen.
 */
export function JourneyCoaching({ journey }: { journey: JourneySnapshot }) {
  const api = useLifelineApi();
  const { cues } = useCoachSound();
  const { attempt, elapsed, accept } = useCoachAttempt(journey.phoneId, cues);
  // Opened mid-attempt: take the running attempt's snapshot now rather than wait for its next change.
  useEffect(() => {
    let live = true;
    void api.invoke('coach.attempts', {}).then(
      (attempts) => {
        const mine = attempts.filter((a) => a.phoneId === journey.phoneId && isRunning(a.state)).at(-1);
        if (live && mine) accept(mine);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, accept, journey.phoneId]);

  if (!attempt || !isRunning(attempt.state)) return <p className="journey-stage">Starting the countdown…</p>;
  return (
    <div className="journey-coaching">
      <CoachCountdown plan={attempt.plan} position={positionAt(attempt.plan, elapsed)} />
      <PracticeHands phoneId={journey.phoneId} />
    </div>
  );
}
