import { useCallback, useLayoutEffect, useRef, useState } from 'react';
import type { Problem } from '../../common/api';

type Reported = { text: string | null; revision: number };

/**
 * One problem line fed by two sources: a command's answers (`useCommand`) and what the person's own actions report
 * (`report(null)` as an action starts, `report(text)` when it fails). The newer of the two is shown. With
 * `successClears`, a good answer also wipes an older action problem.
 */
export function useProblemLine(
  answers: { problem: Problem | null; revision: number },
  options: { successClears: boolean },
): { problem: string | null; report(text: string | null): void } {
  const revision = useRef(answers.revision);
  // Layout effect: the revision is current before any answer that arrives after this commit can be reported.
  useLayoutEffect(() => {
    revision.current = answers.revision;
  });
  const [reported, setReported] = useState<Reported | null>(null);
  const report = useCallback((text: string | null) => setReported({ text, revision: revision.current }), []);

  if (reported && reported.revision === answers.revision) return { problem: reported.text, report };
  const problem = answers.problem?.title ?? (options.successClears ? null : (reported?.text ?? null));
  return { problem, report };
}
