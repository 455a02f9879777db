import { ProblemError, type Problem } from '../../common/api';
import { renderProblem } from '../../common/problems/catalog';

/** Any thrown value → the Problem people see: a ProblemError's own, anything else the catalog's `internal` (its message kept for support). */
export function problemFrom(error: unknown): Problem {
  if (error instanceof ProblemError) return error.problem;
  return renderProblem('internal', { message: error instanceof Error ? error.message : String(error) });
}
