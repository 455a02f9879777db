import type { CoachOutcome } from '../../common/contract/coach';

/** What the USB bus showed, in plain words, and what to do next (docs/protocols/coach.md#outcome-table). */
export function CoachOutcomePanel({ outcome, notes }: { outcome: CoachOutcome; notes: string[] }) {
  return (
    <section
      className={`coach-outcome ${outcome.success ? 'coach-outcome-yes' : 'coach-outcome-no'}`}
      aria-labelledby="coach-outcome-title"
      data-outcome={outcome.kind}
    >
      <h2 id="coach-outcome-title">{outcome.headline}</h2>
      <p>{outcome.detail}</p>
      {outcome.nextSteps.length > 0 && (
        <ul>
          {outcome.nextSteps.map((step) => (
            <li key={step}>{step}</li>
          ))}
        </ul>
      )}
      {notes.length > 0 && (
        <details>
          <summary>What happened</summary>
          <ol>
            {notes.map((note, index) => (
              <li key={index}>{note}</li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}
