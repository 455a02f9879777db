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

/** Stable code of invalidIdentityProblem(): the triage verdict and every refusal of such a phone carry it. */
export const INVALID_IDENTITY_CODE = 'phone-invalid-identity';

/**
 * A device whose identity (UDID, ECID, serial) is not in the form real iPhones use. That identity would name its
 * backup folder and pair record, so Lifeline lists the device but never backs it up or restores it.
 */
export function invalidIdentityProblem(detail?: string): Problem {
  return {
    code: INVALID_IDENTITY_CODE,
    title: 'This device reports an invalid identity',
    detail:
      'The connected device gave an identity (UDID or ECID) that no iPhone uses, so Lifeline will not back it up or restore it.' +
      (detail ? ` (${detail})` : ''),
    nextSteps: [
      'Unplug the device and plug it back in.',
      'If it keeps happening, the device may not be a genuine iPhone, or software on this computer is answering in its place: do not use it with Lifeline.',
    ],
  };
}
