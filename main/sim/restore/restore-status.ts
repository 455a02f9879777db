/**
 * The StatusMsg codes the virtual phone ends a failed restore with, taken from the shared status table
 * (docs/protocols/restored.md#status-codes) by what went wrong.
 */
import { RESTORED_STATUS, RESTORED_STATUS_SUCCESS, type RestoredFailureKind } from '../../restored/restored-wire';

function statusOfKind(kind: RestoredFailureKind): number {
  const code = Object.entries(RESTORED_STATUS).find(([, entry]) => entry.kind === kind)?.[0];
  if (code === undefined) throw new Error(`no StatusMsg code for ${kind}`);
  return Number(code);
}

export const RestoreStatus = {
  Success: RESTORED_STATUS_SUCCESS,
  /** A bad ticket or image, a host that went away, restored giving up. */
  Fail: statusOfKind('generic'),
  /** The streamed OS image does not hash to what the phone expects. */
  Verification: statusOfKind('verification'),
  /** The SEP refused its firmware or its nonce. */
  SepLoadFailed: statusOfKind('sep'),
  Disk: statusOfKind('storage'),
  Fdr: statusOfKind('fdr'),
  Baseband: statusOfKind('baseband'),
} as const;
