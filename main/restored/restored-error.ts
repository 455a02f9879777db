/** Why a restored session stopped (docs/protocols/restored.md). Cancellation is an outcome, not an error. */
export type RestoredErrorKind =
  /** The restored port could not be opened. */
  | 'connect'
  /** Something answered on the port, but not restored (e.g. a phone in normal mode). */
  | 'not-restore-mode'
  /** The phone went away (cable, reboot, crash). */
  | 'closed'
  /** The phone sent RestoredCrash and then went away. */
  | 'crashed'
  /** No message within the allowed time. */
  | 'timeout'
  /** A message that is not valid restored (missing or mistyped field, too many of something). */
  | 'protocol'
  /** A message larger than the limit, or not a readable plist. */
  | 'bad-message'
  /** StatusMsg with a non-zero status: the phone's restore failed (see `status`). */
  | 'status'
  /** BBUpdateStatusMsg said the baseband update was not accepted. */
  | 'baseband-rejected'
  /** Our side could not produce what the phone asked for (see `dataType`). */
  | 'data-provider'
  /** A side channel (DataPort) could not be opened or failed. */
  | 'data-port';

export type RestoredErrorDetails = {
  /** StatusMsg `Status`: Apple's restore error number (14, 53, 1015 …). */
  status?: number | bigint;
  /** StatusMsg `AMRError`, when the phone sent one. */
  amrError?: number | bigint;
  /** The DataType being answered when it failed. */
  dataType?: string;
  /** The phone's restore log or crash backtrace, when it sent one. */
  log?: string;
  cause?: unknown;
};

export class RestoredError extends Error {
  readonly status: number | bigint | undefined;
  readonly amrError: number | bigint | undefined;
  readonly dataType: string | undefined;
  readonly log: string | undefined;

  constructor(
    readonly kind: RestoredErrorKind,
    message: string,
    details: RestoredErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RestoredError';
    this.status = details.status;
    this.amrError = details.amrError;
    this.dataType = details.dataType;
    this.log = details.log;
  }
}
