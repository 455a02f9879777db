/**
 * How a restore that stopped is told: the boot chain's and restored's typed errors become catalog Problems (Apple's
 * error number for the phone's own failures), and a failure after the phone was moved says where the phone is now and that
 * running the same restore again picks up from there.
 */
import { ProblemError, type ProblemCode, type RestoreRunStage } from '../../common/api';
import { RestoredError } from '../restored/restored-error';
import { BootChainError, type BootChainErrorCode } from './boot-chain-error';
import { problemForRestoredError } from './restored-problem';

/** The catalog entry of each way the boot chain can stop (cancelled is not a failure: it becomes an AbortError). */
const BOOT_CHAIN_PROBLEMS = {
  'wrong-firmware': 'restore-wrong-firmware',
  'not-signed': 'restore-not-signed',
  'signing-server': 'restore-signing-server',
  'nonce-changed': 'restore-nonce-changed',
  'image-rejected': 'restore-image-rejected',
  'did-not-reenumerate': 'restore-did-not-reenumerate',
  'restore-mode-missing': 'restore-restore-mode-missing',
  usb: 'restore-usb',
} as const satisfies Record<Exclude<BootChainErrorCode, 'cancelled'>, ProblemCode>;

function abortError(): Error {
  return new DOMException('cancelled', 'AbortError');
}

/** Cancelled → an AbortError (the job records "cancelled"); anything else → its Problem, the error kept as the cause. */
export function bootChainFailure(error: BootChainError): Error {
  if (error.code === 'cancelled') return abortError();
  return new ProblemError(BOOT_CHAIN_PROBLEMS[error.code], { stage: error.stage }, { cause: error });
}

/**
 * restored's way of stopping → its Problem: the phone's own failures as Finder numbers them (restored-problem.ts);
 * the rest — our side could not answer, a side channel failed, the phone sent nonsense — in their own words.
 */
export function restoredFailure(error: RestoredError, stage: RestoreRunStage): ProblemError {
  const numbered = problemForRestoredError(error);
  if (numbered) return numbered;
  const options = { cause: error };
  if (error.kind === 'data-provider') return new ProblemError('restore-data', { stage }, options);
  if (error.kind === 'data-port') return new ProblemError('restore-disconnected', { stage }, options);
  return new ProblemError('restore-phone-crashed', { stage }, options);
}

/** Any error of a restore stage → the Error the job ends with (a Problem, or an AbortError for cancelled). */
export function restoreFailure(error: unknown, stage: RestoreRunStage): Error {
  if (error instanceof ProblemError) return error;
  if (error instanceof BootChainError) return bootChainFailure(error);
  if (error instanceof RestoredError) return restoredFailure(error, stage);
  if (error instanceof Error && error.name === 'AbortError') return error;
  return error instanceof Error ? error : new Error(String(error));
}

/** Where the phone is after a restore stopped: found on USB in one of these modes, or not seen at all. */
export type PhoneWhereabouts = 'recovery' | 'dfu' | 'not-seen';

const WHEREABOUTS: Record<PhoneWhereabouts, { detail: string; step: string }> = {
  recovery: {
    detail: 'The phone is in recovery mode now (its screen shows a cable and a computer).',
    step: 'Leave it plugged in and run the same restore again: it goes on from recovery mode.',
  },
  dfu: {
    detail: 'The phone is in DFU mode now (its screen stays black).',
    step: 'Leave it plugged in and run the same restore again: it goes on from DFU mode.',
  },
  'not-seen': {
    detail: 'Lifeline cannot see the phone now. A phone whose restore stopped starts in recovery mode once it is plugged in.',
    step: 'Plug the phone back in, wait for the cable-and-computer picture on its screen, then run the same restore again.',
  },
};

/** The Problem with where the phone is now and what running the restore again does, its code and cause unchanged. */
export function withWhereabouts(error: ProblemError, whereabouts: PhoneWhereabouts): ProblemError {
  const words = WHEREABOUTS[whereabouts];
  const problem = error.problem;
  return ProblemError.forward(
    { ...problem, detail: `${problem.detail} ${words.detail}`, nextSteps: [words.step, ...problem.nextSteps] },
    error.cause !== undefined ? { cause: error.cause } : {},
  );
}
