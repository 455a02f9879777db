import { Worker } from 'node:worker_threads';
import { recycleReadBuffer, sharedSlabOf } from '../wire/read-buffer-pool';
import type { FilesystemSync } from './filesystem-sync';
import { ensureParentFolder, type UploadStore, type UploadStoreFile } from './upload-writer';
import { UPLOAD_WORKER_SOURCE } from './upload-worker-source';

/**
 * Stores the files a device uploads like UploadWriter, but creates, writes and closes them on a worker thread
 * (upload-worker-source.ts), so the main thread only reads the socket and parses: the phone, the socket reads and the
 * disk work overlap on separate cores instead of taking turns. Bytes are not copied: the socket reads into shared
 * memory (ReadBufferPool's `shared` slabs) and the worker writes from it; each view is handed back once the worker
 * says its batch is written. Ops are sent once per turn of the event loop, as one message.
 *
 * Durability is one filesystem sync (filesystem-sync.ts): begun early every `kickBytes` written, and a last one in
 * durable(). Memory stays bounded: once `maxHeldBytes` are sent and not yet written, begin/write return a promise and
 * the caller stops reading. The same guarantees as UploadWriter's: a fresh inode per file, files naming the same
 * path created one after the other (the worker takes ops in order), a failed or dropped file removed, nothing
 * written after the first local failure, settle() only once every file is closed.
 */

type Reply = { seq: number; stored: number[]; failures: { id: number; code: string; message: string; syscall?: string }[] };
type Op = readonly unknown[];

export type OffloadedUploadWriterOptions = {
  createdDirs: Set<string>;
  onStored?: () => void;
  onFailure?: (error: NodeJS.ErrnoException) => void;
  filesystemSync: { folder: string; sync: FilesystemSync; kickBytes?: number };
  /** Bytes sent to the worker and not yet written before the caller must wait. */
  maxHeldBytes?: number;
};

type OffloadedFile = { readonly id: number; failed: boolean };

const DEFAULT_MAX_HELD_BYTES = 4 * 1024 * 1024;
const DEFAULT_KICK_BYTES = 256 * 1024 * 1024;

export class OffloadedUploadWriter implements UploadStore {
  error: NodeJS.ErrnoException | undefined;
  private worker: Worker | undefined;
  private readonly slabIndex = new WeakMap<SharedArrayBuffer, number>();
  private slabsShared = 0;
  private ops: Op[] = [];
  private opsViews: Buffer[] = [];
  private opsBytes = 0;
  private sendScheduled = false;
  private seq = 0;
  /** Per batch sent and not yet answered: the views to hand back and their bytes. */
  private readonly inFlight = new Map<number, { views: Buffer[]; bytes: number }>();
  private heldBytes = 0;
  private nextId = 1;
  private abandoned = false;
  private writtenSinceKick = 0;
  private kick: Promise<void> | undefined;
  private roomWaiters: (() => void)[] = [];
  private drainedWaiters: (() => void)[] = [];
  private readonly maxHeldBytes: number;

  constructor(private readonly options: OffloadedUploadWriterOptions) {
    this.maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
  }

  begin(target: string): { file: UploadStoreFile; wait: Promise<void> | undefined } {
    const file: OffloadedFile = { id: this.nextId++, failed: false };
    if (this.error || this.abandoned) {
      file.failed = true;
      return { file, wait: undefined };
    }
    try {
      ensureParentFolder(target, this.options.createdDirs);
    } catch (error) {
      this.recordFailure(error as NodeJS.ErrnoException);
      file.failed = true;
      return { file, wait: undefined };
    }
    this.queue(['begin', file.id, target]);
    return { file, wait: this.room() };
  }

  write(handle: UploadStoreFile, bytes: Buffer): Promise<void> | undefined {
    const file = handle as OffloadedFile;
    if (file.failed || this.abandoned || this.error) {
      recycleReadBuffer(bytes);
      return undefined;
    }
    const shared = sharedSlabOf(bytes);
    if (shared) {
      let index = this.slabIndex.get(shared.memory);
      if (index === undefined) {
        index = this.slabsShared++;
        this.slabIndex.set(shared.memory, index);
        this.queue(['slab', index, shared.memory]);
      }
      this.queue(['write', file.id, index, shared.offset, bytes.length], bytes);
    } else {
      // Not from a shared slab (a TLS stream's bytes): the message carries a copy.
      this.queue(['copy', file.id, new Uint8Array(bytes)], bytes);
    }
    return this.room();
  }

  end(handle: UploadStoreFile, keep: boolean): Promise<void> | undefined {
    const file = handle as OffloadedFile;
    if (!file.failed) this.queue(['end', file.id, keep && !this.abandoned]);
    return this.room();
  }

  async settle(): Promise<void> {
    this.sendNow();
    if (this.inFlight.size > 0) await new Promise<void>((resolve) => this.drainedWaiters.push(resolve));
  }

  async durable(): Promise<void> {
    await this.settle();
    if (!this.error) {
      await this.kick;
      try {
        await this.options.filesystemSync.sync(this.options.filesystemSync.folder);
      } catch (error) {
        this.recordFailure(error as NodeJS.ErrnoException);
      }
    }
    if (this.error) throw this.error;
  }

  async abandon(): Promise<void> {
    this.abandoned = true;
    this.wakeRoomWaiters();
    if (this.worker) {
      this.queue(['abandon']);
      await this.settle();
    }
    await this.kick;
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private queue(op: Op, view?: Buffer): void {
    this.ops.push(op);
    if (view) {
      this.opsViews.push(view);
      this.opsBytes += view.length;
      this.heldBytes += view.length;
    }
    if (!this.sendScheduled) {
      this.sendScheduled = true;
      setImmediate(() => this.sendNow());
    }
  }

  private sendNow(): void {
    this.sendScheduled = false;
    if (this.ops.length === 0) return;
    const seq = ++this.seq;
    this.inFlight.set(seq, { views: this.opsViews, bytes: this.opsBytes });
    const ops = this.ops;
    this.ops = [];
    this.opsViews = [];
    this.opsBytes = 0;
    this.started().postMessage({ seq, ops });
  }

  private started(): Worker {
    if (!this.worker) {
      // Plain JavaScript with no loader of its own (execArgv: the parent's loaders cost memory for nothing); small heap.
      this.worker = new Worker(UPLOAD_WORKER_SOURCE, { eval: true, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 32 } });
      this.worker.unref();
      this.worker.on('message', (reply: Reply) => this.answered(reply));
      this.worker.on('error', (error) => this.workerGone(error));
    }
    return this.worker;
  }

  private answered(reply: Reply): void {
    const batch = this.inFlight.get(reply.seq);
    this.inFlight.delete(reply.seq);
    if (batch) {
      for (const view of batch.views) recycleReadBuffer(view);
      this.heldBytes -= batch.bytes;
      this.written(batch.bytes);
    }
    for (const failure of reply.failures) {
      this.recordFailure(Object.assign(new Error(failure.message), { code: failure.code, syscall: failure.syscall }));
    }
    for (let i = 0; i < reply.stored.length; i++) this.options.onStored?.();
    this.wakeRoomWaiters();
    if (this.inFlight.size === 0 && this.ops.length === 0) {
      const waiters = this.drainedWaiters;
      this.drainedWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** The worker died (out of memory, a bug): every batch in flight is lost, and so is the transfer. */
  private workerGone(error: Error): void {
    this.recordFailure(Object.assign(error, { code: 'EIO' }));
    this.worker = undefined;
    for (const seq of [...this.inFlight.keys()]) this.answered({ seq, stored: [], failures: [] });
  }

  private written(bytes: number): void {
    const whole = this.options.filesystemSync;
    this.writtenSinceKick += bytes;
    if (this.kick || this.abandoned || this.writtenSinceKick < (whole.kickBytes ?? DEFAULT_KICK_BYTES)) return;
    this.writtenSinceKick = 0;
    this.kick = whole
      .sync(whole.folder)
      .catch(() => undefined)
      .finally(() => (this.kick = undefined));
  }

  private recordFailure(failure: NodeJS.ErrnoException): void {
    this.error ??= failure;
    this.options.onFailure?.(failure);
  }

  private room(): Promise<void> | undefined {
    if (this.abandoned || this.heldBytes <= this.maxHeldBytes) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0 || (!this.abandoned && this.heldBytes > this.maxHeldBytes)) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
