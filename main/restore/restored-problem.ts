/**
 * What people are told when the restore-mode part of a restore fails (docs/protocols/restored.md#status-codes): the
 * phone's own status becomes Apple's restore error number, which is what Finder would show and what people search for.
 */
import { ProblemError } from '../../common/problems/problem-error';
import { problemForRestoreError } from '../../common/problems/restore-error-problem';
import { RestoredError } from '../restored/restored-error';

/** Finder's number for a phone that stopped answering in the middle of a restore. */
const STOPPED_ANSWERING = 4013;
const BASEBAND_FAILED = 1015;

/** A ProblemError for a RestoredError; null for failures that are not the phone's (let the caller's mapping decide). */
export function problemForRestoredError(error: unknown): ProblemError | null {
  if (!(error instanceof RestoredError)) return null;
  switch (error.kind) {
    case 'status': {
      const status = typeof error.status === 'bigint' ? Number(BigInt.asIntN(64, error.status)) : (error.status ?? -1);
      return problemForRestoreError(status, { cause: error });
    }
    case 'baseband-rejected':
      return problemForRestoreError(BASEBAND_FAILED, { cause: error });
    case 'closed':
    case 'crashed':
    case 'timeout':
      return problemForRestoreError(STOPPED_ANSWERING, { cause: error });
    case 'connect':
    case 'not-restore-mode':
      return new ProblemError('restore-restore-mode-missing', { stage: 'restore' }, { cause: error });
    default:
      return null;
  }
}
