import type { Problem } from '../contract/shapes';
import { renderProblem, type ProblemCode, type ProblemParams } from './catalog';

/** The technical cause stays on the error (Error.cause) for logs; people see only the catalog's words. */
export type ProblemErrorOptions = { cause?: unknown };

export type ProblemErrorArgs = {
  [C in ProblemCode]: void extends ProblemParams<C>
    ? [code: C, params?: ProblemParams<C>, options?: ProblemErrorOptions]
    : [code: C, params: ProblemParams<C>, options?: ProblemErrorOptions];
}[ProblemCode];

const FORWARD: unique symbol = Symbol('forward');

/**
 * The one error that carries a Problem: thrown with a catalog code and its parameters (a code outside the catalog
 * does not compile), or `forward`ed when a Problem already rendered arrives from elsewhere (another process, an
 * envelope, a triage verdict).
 */
export class ProblemError extends Error {
  readonly code: string;
  readonly problem: Problem;

  constructor(...args: ProblemErrorArgs | [typeof FORWARD, Problem, ProblemErrorOptions?]) {
    const problem = args[0] === FORWARD ? args[1] : (renderProblem as (code: ProblemCode, params: unknown) => Problem)(args[0], args[1]);
    const options = args[2] as ProblemErrorOptions | undefined;
    super(`${problem.title}: ${problem.detail}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ProblemError';
    this.code = problem.code;
    this.problem = problem;
  }

  /** A Problem rendered elsewhere, passed on unchanged. */
  static forward(problem: Problem, options?: ProblemErrorOptions): ProblemError {
    return new ProblemError(FORWARD, problem, options);
  }
}
