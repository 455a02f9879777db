import { useState } from 'react';
import type { JourneySnapshot } from '../../../common/contract/journey';
import { LEAVE_THE_COMPUTER_STATES, percentWords, timeLeftWords } from '../../journey/journey-words';

/** The bar's fraction for one job, never lower than it was (a re-estimate never moves it back). */
export function useForwardOnly(job: string | null, fraction: number | null): number | null {
  const [held, setHeld] = useState<{ job: string | null; fraction: number }>({ job, fraction: 0 });
  if (fraction === null) return null;
  const clamped = Math.min(1, Math.max(0, fraction));
  const base = held.job === job ? held.fraction : 0;
  const shown = Math.max(base, clamped);
  if (held.job !== job || shown !== held.fraction) setHeld({ job, fraction: shown });
  return shown;
}

/** Lifeline works, the person waits: the stage in words, a bar that only moves forward, time left, what the phone shows. */
export function JourneyWorking({ journey }: { journey: JourneySnapshot }) {
  const progress = journey.progress;
  const fraction = useForwardOnly(journey.job, progress?.fraction ?? null);
  const percent = percentWords(fraction);
  const timeLeft = timeLeftWords(progress?.etaSeconds);
  const stage = progress?.message || progress?.phase || 'Getting started…';
  return (
    <section className="journey-working" aria-labelledby="journey-stage">
      <p id="journey-stage" className="journey-stage">
        {stage}
      </p>
      <div className="journey-bar-row">
        {fraction === null ? (
          <progress className="journey-bar" aria-labelledby="journey-stage" />
        ) : (
          <progress className="journey-bar" aria-labelledby="journey-stage" max={1} value={fraction} />
        )}
        {percent && (
          <span className="journey-percent" data-live="percent">
            {percent}
          </span>
        )}
      </div>
      {timeLeft && (
        <p className="journey-time-left" data-live="time-left">
          {timeLeft}
        </p>
      )}
      {LEAVE_THE_COMPUTER_STATES.has(journey.state) && (
        <p className="journey-leave">You can leave the computer; Lifeline tells you when it needs you. Keep the cable in.</p>
      )}
    </section>
  );
}
