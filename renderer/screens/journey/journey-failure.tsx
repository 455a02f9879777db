import type { JourneySnapshot } from '../../../common/contract/journey';
import { ProblemHelpLink } from '../../components/problem-help-link';

/**
 * A failure is a fork, not a wall: what happened in one sentence, what it means for the data (the screen's message),
 * the one thing to try, and the code people search for in small print.
 */
export function JourneyFailure({ journey }: { journey: JourneySnapshot }) {
  const problem = journey.problem;
  if (!problem) return null;
  const [tryThis, ...more] = problem.nextSteps;
  return (
    <section className="journey-failure" aria-labelledby="journey-failure-title">
      <h2 id="journey-failure-title">{problem.title}</h2>
      {problem.detail && <p>{problem.detail}</p>}
      {tryThis && (
        <p className="journey-try">
          <strong>Try this:</strong> {tryThis}
        </p>
      )}
      {more.length > 0 && (
        <details className="journey-more">
          <summary>Other things to try</summary>
          <ul>
            {more.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ul>
        </details>
      )}
      <p className="journey-code">Error code: {problem.code}</p>
      <ProblemHelpLink url={problem.helpUrl} />
    </section>
  );
}
