/**
 * THE Problem catalog: every failure people can see, by stable code, with its title, detail, next steps and help
 * link. Domain modules throw `new ProblemError(code, params)`; `renderProblem` is the one place the words are made.
 */
import type { Problem } from '../contract/shapes';
import { BACKUP_PROBLEMS } from './backup';
import { BACKUP_RESTORE_PROBLEMS } from './backup-restore';
import { COACH_PROBLEMS } from './coach';
import { DEVICE_PROBLEMS } from './devices';
import { DIAGNOSTICS_PROBLEMS } from './diagnostics';
import { FIRMWARE_PROBLEMS } from './firmware';
import { GENERAL_PROBLEMS } from './general';
import { JOURNEY_PROBLEMS } from './journey';
import { PAIRING_PROBLEMS } from './pairing';
import type { ProblemEntry } from './problem-entry';
import { RESTORE_PROBLEMS } from './restore';
import { RESTORE_ERROR_PROBLEMS } from './restore-errors';

export const PROBLEM_CATALOG = {
  ...GENERAL_PROBLEMS,
  ...DEVICE_PROBLEMS,
  ...PAIRING_PROBLEMS,
  ...COACH_PROBLEMS,
  ...BACKUP_PROBLEMS,
  ...BACKUP_RESTORE_PROBLEMS,
  ...FIRMWARE_PROBLEMS,
  ...RESTORE_PROBLEMS,
  ...RESTORE_ERROR_PROBLEMS,
  ...JOURNEY_PROBLEMS,
  ...DIAGNOSTICS_PROBLEMS,
};

export type ProblemCode = keyof typeof PROBLEM_CATALOG;

/** The parameters the words of `C` take (void: none). */
export type ProblemParams<C extends ProblemCode> = (typeof PROBLEM_CATALOG)[C] extends ProblemEntry<infer P> ? P : never;

/** The arguments after the code: the parameters, required unless the entry takes none. */
export type ProblemParamsArgs<C extends ProblemCode> =
  void extends ProblemParams<C> ? [params?: ProblemParams<C>] : [params: ProblemParams<C>];

export function isProblemCode(value: unknown): value is ProblemCode {
  return typeof value === 'string' && Object.hasOwn(PROBLEM_CATALOG, value);
}

/** The Problem people see for `code`, its words filled with `params`. */
export function renderProblem<C extends ProblemCode>(code: C, ...[params]: ProblemParamsArgs<C>): Problem {
  const found = PROBLEM_CATALOG[code] as ProblemEntry<unknown>;
  const words = <T>(value: T | ((p: unknown) => T)): T => (typeof value === 'function' ? (value as (p: unknown) => T)(params) : value);
  return {
    code,
    title: words(found.title),
    detail: words(found.detail),
    nextSteps: [...words(found.nextSteps)],
    ...(found.helpUrl !== undefined ? { helpUrl: found.helpUrl } : {}),
  };
}
