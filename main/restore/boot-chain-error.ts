/** Why the walk from DFU to the restore ramdisk stopped, typed and in plain words (docs/protocols/boot-chain.md#failures-people-see). */
export type BootChainErrorCode =
  | 'wrong-firmware'
  | 'not-signed'
  | 'signing-server'
  | 'nonce-changed'
  | 'image-rejected'
  | 'did-not-reenumerate'
  | 'restore-mode-missing'
  | 'usb'
  | 'cancelled';

export class BootChainError extends Error {
  constructor(
    message: string,
    readonly code: BootChainErrorCode,
    /** The stage the walk was in. */
    readonly stage: string,
  ) {
    super(message);
    this.name = 'BootChainError';
  }
}
