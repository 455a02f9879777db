/** Why the signing server gave no usable ticket, typed so the boot chain can explain it (docs/protocols/tss.md#transport, docs/protocols/boot-chain.md#failures-people-see). */
export type TssErrorCode =
  'not-signed' | 'malformed-request' | 'server-error' | 'unreachable' | 'bad-response' | 'ticket-mismatch' | 'cancelled';

export class TssError extends Error {
  constructor(
    message: string,
    readonly code: TssErrorCode,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TssError';
  }
}
