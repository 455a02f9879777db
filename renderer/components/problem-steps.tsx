import type { Problem } from '../../common/api';
import { ProblemHelpLink } from './problem-help-link';

/** Under a panel's own title: the Problem's detail, its next steps and its help page. */
export function ProblemSteps({ problem }: { problem: Problem | null | undefined }) {
  if (!problem) return null;
  return (
    <>
      {problem.detail && <p>{problem.detail}</p>}
      {problem.nextSteps.length > 0 && (
        <ul>
          {problem.nextSteps.map((step) => (
            <li key={step}>{step}</li>
          ))}
        </ul>
      )}
      <ProblemHelpLink url={problem.helpUrl} />
    </>
  );
}
