import type { CommandResponse } from '../../../common/api';
import type { CoachPlan } from '../../../common/coach-plans';
import { CoachChecklist } from '../../components/coach-checklist';
import { CoachDrawing } from '../../components/coach-drawing';
import { CoachSteps } from '../../components/coach-steps';

type Props = {
  plan: CoachPlan;
  planAnswer: CommandResponse<'coach.plan'>;
  /** A try already ended (the preview then offers "Try again"). */
  afterOutcome: boolean;
  /** Nothing tried yet on this screen: the checklist is shown before the first try. */
  firstTry: boolean;
  /** Misses in a row: the checklist must be ticked off before the next try. */
  gateOn: boolean;
  checked: boolean;
  onChecked(checked: boolean): void;
  onStart(): void;
};

/** Read this first: the steps, the drawing, what the screen will show, safety lines, the checklist gate and Start. */
export function CoachPreview({ plan, planAnswer, afterOutcome, firstTry, gateOn, checked, onChecked, onStart }: Props) {
  return (
    <section className="coach-preview" aria-labelledby="coach-preview-title">
      <h2 id="coach-preview-title">{afterOutcome ? 'Try again' : 'Read this first, then press Start'}</h2>
      <div className="coach-preview-body">
        <CoachSteps plan={plan} />
        <CoachDrawing plan={plan} hold={[]} ready={plan.steps.find((s) => s.buttons.length > 0)?.buttons ?? []} />
      </div>
      <p>{plan.expectedScreen}</p>
      {plan.safety.map((line) => (
        <p key={line} className="coach-safety">
          {line}
        </p>
      ))}
      {(gateOn || firstTry) && (
        <CoachChecklist
          checks={planAnswer.hostChecks}
          title={gateOn ? 'Two misses in a row: check these before the next try' : 'Before you start'}
        />
      )}
      {gateOn && (
        <label className="coach-gate">
          <input type="checkbox" checked={checked} onChange={(event) => onChecked(event.target.checked)} />I have gone through the list
        </label>
      )}
      <button type="button" className="primary coach-start" disabled={gateOn && !checked} onClick={onStart}>
        {afterOutcome ? 'Start again' : 'Start'}
      </button>
      <details className="coach-getting-out">
        <summary>Getting out again</summary>
        <ul>
          {plan.gettingOut.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      </details>
    </section>
  );
}
