import type { CoachPlan } from '../../common/coach-plans';

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** The whole plan up front, read before the clock runs (docs/protocols/coach.md#requirements). */
export function CoachSteps({ plan }: { plan: CoachPlan }) {
  return (
    <ol className="coach-steps">
      {plan.steps.map((step) => (
        <li key={step.id}>
          <span className="coach-steps-time">{step.kind === 'tap' ? 'tap' : seconds(step.durationMs)}</span> {step.text}
          {step.stopsOn && <span className="coach-steps-note"> Lifeline says when to let go — often sooner.</span>}
        </li>
      ))}
    </ol>
  );
}
