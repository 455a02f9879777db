/** Why a baseband firmware could not be personalised (docs/protocols/baseband.md#personalising-the-bbfw). */
export type BasebandErrorCode = 'bbfw-unreadable' | 'unknown-element' | 'missing-file' | 'unsupported-format' | 'too-large' | 'bad-request';

export class BasebandError extends Error {
  constructor(
    message: string,
    readonly code: BasebandErrorCode,
  ) {
    super(message);
    this.name = 'BasebandError';
  }
}
