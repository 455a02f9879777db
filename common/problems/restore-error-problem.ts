import { ProblemError, type ProblemErrorArgs, type ProblemErrorOptions } from './problem-error';
import { isRestoreErrorNumber } from './restore-errors';

/** The Problem for an error number of a failed restore (Apple's numbering); numbers the catalog lacks get a general entry. */
export function problemForRestoreError(number: number, options: ProblemErrorOptions = {}): ProblemError {
  if (Number.isSafeInteger(number) && isRestoreErrorNumber(number))
    return new ProblemError(...([`restore-error-${number}`, undefined, options] as ProblemErrorArgs));
  return new ProblemError('restore-error-unknown', { number: Number.isSafeInteger(number) ? number : -1 }, options);
}
