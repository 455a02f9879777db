/** Why an ASR session stopped (docs/protocols/asr.md). Cancellation is not an error: it is an outcome. */
export type AsrErrorKind =
  /** The other side closed the connection. */
  | 'closed'
  /** No message within the allowed time. */
  | 'timeout'
  /** The other side stopped reading the stream for longer than allowed. */
  | 'stalled'
  /** A message that is not valid ASR (unknown command, missing or mistyped field, too many of something). */
  | 'protocol'
  /** A message larger than the limit, or not a readable plist. */
  | 'bad-message'
  /** An out-of-band read outside the image or longer than allowed. */
  | 'oob-range'
  /** The image could not be read, or it is not the size it claims. */
  | 'source';

export class AsrError extends Error {
  constructor(
    readonly kind: AsrErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AsrError';
  }
}
