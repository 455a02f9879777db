import { ProblemError, type Problem } from '../../common/api';

/** Any thrown value → the Problem people see. Unexpected errors keep their message as the detail (for support). */
export function problemFrom(error: unknown): Problem {
  if (error instanceof ProblemError) return error.problem;
  return {
    code: 'internal',
    title: 'Something went wrong inside Lifeline',
    detail: error instanceof Error ? error.message : String(error),
    nextSteps: ['Try again.', 'If it keeps happening, export the log from the Help menu and send it to us.'],
  };
}
