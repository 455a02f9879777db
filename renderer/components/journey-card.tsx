import type { JourneySnapshot } from '../../common/contract/journey';
import { describeMode } from '../phone-words';
import { nextStepOf, percentWords, stepWords } from '../journey/journey-words';
import { navigate } from '../store/lifeline-store';
import { useLifelineStore } from '../store/use-lifeline';
import { useJourneyAct } from '../screens/journey/use-journey';

/** Ten short segments, the current one marked: the stepper in small (the words beside it say the same). */
function StepSegments({ index, total }: { index: number; total: number }) {
  return (
    <span className="step-segments" aria-hidden="true">
      {Array.from({ length: total }, (_, i) => (
        <span key={i} className={i < index ? 'segment-done' : i === index ? 'segment-current' : 'segment-next'} />
      ))}
    </span>
  );
}

/** One phone on the first screen: who it is, whether its photos are safe, where it is, and its one next step. */
export function JourneyCard({ journey }: { journey: JourneySnapshot }) {
  const store = useLifelineStore();
  const acting = useJourneyAct(journey.phoneId);
  const headingId = `journey-${journey.phoneId}-name`;
  const step = nextStepOf(journey);
  const open = (): void => navigate(store, { screen: 'journey', phoneId: journey.phoneId });
  const press = (): void => {
    if (!step.act) return open();
    void acting.act(step.act).then(open);
  };
  const percent = percentWords(journey.progress?.fraction);
  return (
    <article className="journey-card" aria-labelledby={headingId} data-state={journey.state}>
      <div className="journey-card-who">
        <h2 id={headingId}>{journey.name}</h2>
        <p className="journey-card-model">
          {journey.name === journey.modelName ? '' : `${journey.modelName} · `}
          {journey.connected ? describeMode(journey.mode) : 'Not connected'}
        </p>
      </div>
      <p className={`journey-card-safety safety-${journey.safety.status}`}>{journey.safety.line}</p>
      <div className="journey-card-where">
        <StepSegments index={journey.stepIndex} total={journey.stepTotal} />
        <p className="journey-card-step">
          {stepWords(journey)}
          {percent && <span data-live="percent"> · {percent}</span>}
        </p>
      </div>
      <p className="journey-card-title">{journey.title}</p>
      {journey.problem && <p className="journey-card-problem">{journey.problem.title}</p>}
      <div className="journey-card-actions">
        <button type="button" className="primary" disabled={acting.busy} onClick={press} data-action={step.act?.id ?? 'open'}>
          {step.label}
        </button>
        {step.act && (
          <button type="button" className="link-button" aria-label={`Open ${journey.name}`} onClick={open}>
            Open
          </button>
        )}
      </div>
      {acting.problem && <p role="alert">{acting.problem.title}</p>}
    </article>
  );
}
