import { JOURNEY_STEPS, type JourneyStep } from '../../common/contract/journey';
import { STEP_LABELS } from '../journey/journey-words';

type StepState = 'done' | 'current' | 'next';

const STATE_WORDS: Record<StepState, string> = { done: 'done', current: 'you are here', next: 'to come' };

/** Where the person is on the ten steps of the rescue: the steps behind, this one, the ones to come. */
export function JourneyStepper({ step }: { step: JourneyStep }) {
  const current = JOURNEY_STEPS.indexOf(step);
  return (
    <nav className="stepper" aria-label="Steps of the rescue">
      <ol>
        {JOURNEY_STEPS.map((id, index) => {
          const state: StepState = index < current ? 'done' : index === current ? 'current' : 'next';
          return (
            <li
              key={id}
              className={`stepper-step stepper-${state}`}
              data-step={id}
              {...(state === 'current' ? { 'aria-current': 'step' as const } : {})}
            >
              <span className="stepper-dot" aria-hidden="true">
                {state === 'done' ? '✓' : index + 1}
              </span>
              <span className="stepper-label">{STEP_LABELS[id]}</span>
              <span className="visually-hidden">, {STATE_WORDS[state]}</span>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
