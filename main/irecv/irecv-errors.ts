/** Why a DFU / recovery operation failed, typed so the restore engine can tell the person what to do. */
export type IrecvErrorCode =
  | 'not-found'
  | 'not-dfu-or-recovery'
  | 'bad-state'
  | 'stalled'
  | 'timeout'
  | 'disconnected'
  | 'did-not-reenumerate'
  | 'too-large'
  | 'invalid-argument'
  | 'cancelled';

export class IrecvError extends Error {
  constructor(
    message: string,
    readonly code: IrecvErrorCode,
  ) {
    super(message);
    this.name = 'IrecvError';
  }
}
