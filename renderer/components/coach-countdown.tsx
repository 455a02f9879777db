import { createContext, useContext } from 'react';
import type { CoachPlan } from '../../common/coach-plans';
import type { TimelinePosition } from '../../common/coach-timeline';
import { CoachDrawing } from './coach-drawing';

/** The coach's monotonic clock; tests provide a fake one. */
export const CoachClockContext = createContext<() => number>(() => performance.now());

export function useCoachClock(): () => number {
  return useContext(CoachClockContext);
}

/** Big numerals, the step text and the drawing with the buttons to press (docs/protocols/coach.md#timeline-rules). */
export function CoachCountdown({ plan, position }: { plan: CoachPlan; position: TimelinePosition }) {
  const step = position.step;
  const total = plan.steps.length;
  return (
    <section className="coach-countdown" aria-labelledby="coach-step-title" data-step={step?.id ?? 'watching'}>
      <p className="coach-step-count">{step ? `Step ${position.stepIndex + 1} of ${total}` : 'Watching the phone'}</p>
      <h2 id="coach-step-title" className="coach-step-text">
        {step ? step.text : 'Keep holding until Lifeline says to let go…'}
      </h2>
      <div className="coach-countdown-body">
        <p className="coach-numerals" aria-hidden="true" data-testid="coach-seconds">
          {step ? position.secondsLeft : '…'}
        </p>
        <CoachDrawing plan={plan} hold={step?.buttons ?? []} ready={step?.prepare ?? []} />
      </div>
    </section>
  );
}
