import type { Duplex } from 'node:stream';
import { ByteReader } from '../wire/byte-reader';
import { AfcError, AfcFileMode, AfcLock, AfcOp, AfcStatus, encodeAfcPacket, readAfcPacket } from '../afc/afc-packet';
import { writeWithBackpressure } from '../devicelink/device-link';

export { AfcError };

/**
 * The backup sync lock (docs/protocols/mobilebackup2.md#backup-order step 8): AFC open `/com.apple.itunes.lock_sync` in `r+`,
 * then FileRefLock exclusive, retried while the phone says "would block" (another host is syncing).
 * Only the AFC operations the lock needs (docs/protocols/afc.md#operations).
 */

export const SYNC_LOCK_PATH = '/com.apple.itunes.lock_sync';

const MAX_REPLY_BYTES = 64 * 1024;

export type SyncLockOptions = { attempts?: number; retryMs?: number; timeoutMs?: number; signal?: AbortSignal };

export class AfcSyncLock {
  private readonly reader: ByteReader;
  private packet = 0n;
  private handle: bigint | undefined;

  constructor(private readonly stream: Duplex) {
    stream.on('error', () => undefined);
    this.reader = new ByteReader(stream);
  }

  /** Opens and locks; rejects with AfcError after `attempts` busy answers (libimobiledevice: 50 × 200 ms). */
  async acquire(options: SyncLockOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const path = Buffer.concat([Buffer.from(SYNC_LOCK_PATH, 'utf8'), Buffer.from([0])]);
    const opened = await this.call(AfcOp.FileOpen, Buffer.concat([u64(AfcFileMode.ReadWrite), path]), timeoutMs);
    if (opened.op !== AfcOp.FileOpenResult || opened.data.length < 8) throw new AfcError(-1, 'AFC did not open the sync lock file');
    this.handle = opened.data.readBigUInt64LE(0);
    const attempts = options.attempts ?? 50;
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      const status = statusOf(
        await this.call(AfcOp.FileLock, Buffer.concat([u64(this.handle), u64(AfcLock.Exclusive | AfcLock.NonBlocking)]), timeoutMs),
      );
      if (status === AfcStatus.Success) return;
      if (status !== AfcStatus.OpWouldBlock || attempt >= attempts) {
        throw new AfcError(
          status,
          status === AfcStatus.OpWouldBlock ? 'Another computer is syncing with this phone' : `AFC lock failed with status ${status}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 200));
    }
  }

  /** Unlocks and closes; never throws (the phone drops the lock with the connection anyway). */
  async release(): Promise<void> {
    try {
      if (this.handle !== undefined) {
        await this.call(AfcOp.FileLock, Buffer.concat([u64(this.handle), u64(AfcLock.Unlock | AfcLock.NonBlocking)]), 2_000);
        await this.call(AfcOp.FileClose, u64(this.handle), 2_000);
      }
    } catch {
      // Gone already.
    } finally {
      this.handle = undefined;
      this.stream.destroy();
    }
  }

  private async call(op: number, data: Buffer, timeoutMs: number): Promise<{ op: number; data: Buffer }> {
    const packet = this.packet++;
    await writeWithBackpressure(this.stream, encodeAfcPacket({ op, packet, headerData: data }));
    const reply = await readAfcPacket(this.reader, { maxBytes: MAX_REPLY_BYTES, timeoutMs });
    if (reply.packet !== packet) throw new AfcError(-1, 'AFC reply for another packet');
    return reply;
  }
}

function u64(value: number | bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt(value));
  return out;
}

function statusOf(reply: { op: number; data: Buffer }): number {
  if (reply.op !== AfcOp.Status || reply.data.length < 8) throw new AfcError(-1, 'AFC answered without a status');
  return Number(reply.data.readBigUInt64LE(0));
}
