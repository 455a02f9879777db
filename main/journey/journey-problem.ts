import { ProblemError, type Problem } from '../../common/api';
import { renderProblem } from '../../common/problems/catalog';

/** What a failed step says: a ProblemError's own Problem, anything else the catalog's `internal` with its message. */
export function problemOfFailure(error: unknown): Problem {
  if (error instanceof ProblemError) return error.problem;
  return renderProblem('internal', { message: error instanceof Error ? error.message : String(error) });
}
