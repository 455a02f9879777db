import { close, closeSync, fsync, constants as fsConstants, mkdirSync, open, openSync, rmSync, unlinkSync, writevSync } from 'node:fs';
import { dirname } from 'node:path';
import { recycleReadBuffer } from '../wire/read-buffer-pool';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files';

/**
 * Stores the files a device uploads (DLMessageUploadFiles) as fast as the fastest hosts, measured on the backup
 * bench (2 shared cores, thousands of files):
 *  - creating a file can cost far more than its bytes (ext4 hunts for a free inode after a big delete), so each
 *    file is created on libuv's thread pool while the socket keeps being read: its first bytes wait in memory;
 *  - bytes are then written synchronously, straight from the socket's own buffers (no copy) while they are still
 *    in the CPU cache, a few blocks per write. Handing every write to the thread pool costs a thread wake-up each,
 *    and buffers held for later writes are copied from cold memory and keep the garbage collector busy.
 *  - a kept file is fsynced then closed on the thread pool as soon as its last byte is written, 4 at a time (the journal
 *    commits them together), so the disk writes back while the socket is still being read; durable() waits for the
 *    last one (before the backup is swapped in). Memory stays bounded: once `maxHeldBytes` wait for files still
 *    being created, `maxOpening` files are being created or `maxSyncBacklog` wait for their fsync, begin/write return
 *    a promise and the caller stops reading the socket.
 *
 * Safety: each file is a fresh inode (O_EXCL; an existing name is unlinked first, a planted symlink is never
 * followed), files naming the same path are created strictly one after the other, a failed or refused file is
 * removed, nothing more is written after the first local failure, and settle() resolves only once every file
 * is closed.
 */

/** A file being stored, as a store hands it out: only the store that began it may use it. */
export type UploadStoreFile = object;

/**
 * What DeviceLinkFolderHost needs of the code that stores uploaded files: UploadWriter here (every platform, an fsync
 * per file) or OffloadedUploadWriter (Linux: a worker thread and one filesystem sync).
 */
export interface UploadStore {
  /** The first local I/O failure. */
  readonly error: NodeJS.ErrnoException | undefined;
  /** Starts a file at `target` (an already confined absolute path); a promise means: wait before reading more. */
  begin(target: string): { file: UploadStoreFile; wait: Promise<void> | undefined };
  /** Appends bytes; the store owns them from here and hands them back to their pool once written. */
  write(file: UploadStoreFile, bytes: Buffer): Promise<void> | undefined;
  /** The file's last byte arrived; `keep` false removes it. */
  end(file: UploadStoreFile, keep: boolean): Promise<void> | undefined;
  /** Resolves once every file begun so far is closed. */
  settle(): Promise<void>;
  /** Resolves once every stored file is on the disk; rejects with the first local failure. */
  durable(): Promise<void>;
  /** A transfer broke off: closes whatever is still open. */
  abandon(): Promise<void>;
}

export type UploadFile = {
  readonly target: string;
  fd: number | undefined;
  /** Being created on the thread pool. */
  opening: boolean;
  failed: boolean;
  ended: boolean;
  keep: boolean;
  pending: Buffer[];
  pendingBytes: number;
  readonly done: Promise<void>;
  finish: () => void;
};

export type UploadWriterOptions = {
  /** Folders known to exist (shared with the host, which also creates folders on the device's request). */
  createdDirs: Set<string>;
  /** A file was stored completely and kept. */
  onStored?: () => void;
  /** A local I/O failure, as it happens. */
  onFailure?: (error: NodeJS.ErrnoException) => void;
  /** Bytes gathered per write; small keeps them cache-hot. */
  writeBytes?: number;
  /** Received bytes allowed to wait for their file to be created. */
  maxHeldBytes?: number;
  /** Files being created at once. */
  maxOpening?: number;
  /** fsyncs in flight at once (the rest of the thread pool keeps creating files). */
  maxSyncing?: number;
  /** Written files allowed to wait (open) for their fsync. */
  maxSyncBacklog?: number;
  /** Test seam: flushes a file to the disk (default fs.fsync). */
  syncFile?: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;
};

const DEFAULT_WRITE_BYTES = 64 * 1024;
const DEFAULT_MAX_HELD_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_OPENING = 64;
/** With libuv's 4 threads all busy with fsyncs, files being created wait in the queue; measured the best trade-off. */
const DEFAULT_MAX_SYNCING = 4;
const DEFAULT_MAX_SYNC_BACKLOG = 256;
/** Below every platform's IOV_MAX (1024 on Linux and macOS). */
const MAX_BUFFERS_PER_WRITE = 512;
const CREATE_NEW = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL;

export class UploadWriter implements UploadStore {
  /** The first local I/O failure (e.g. ENOSPC). Later files are skipped: the operation fails anyway. */
  error: NodeJS.ErrnoException | undefined;
  private readonly writeBytes: number;
  private readonly maxHeldBytes: number;
  private readonly maxOpening: number;
  private readonly maxSyncing: number;
  private readonly maxSyncBacklog: number;
  private heldBytes = 0;
  /** Written, kept files waiting for their fsync (still open). */
  private syncQueue: number[] = [];
  /** Files in their fsync (or the close after it) now: they close themselves. */
  private syncing = 0;
  private syncedWaiters: (() => void)[] = [];
  private opening = 0;
  private abandoned = false;
  private readonly unfinished = new Set<UploadFile>();
  /** The latest file per target, so a second file for the same path is created only after the first is closed. */
  private readonly latestByTarget = new Map<string, UploadFile>();
  private readonly openFds = new Set<number>();
  private roomWaiters: (() => void)[] = [];

  constructor(private readonly options: UploadWriterOptions) {
    this.writeBytes = options.writeBytes ?? DEFAULT_WRITE_BYTES;
    this.maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    this.maxOpening = options.maxOpening ?? DEFAULT_MAX_OPENING;
    this.maxSyncing = options.maxSyncing ?? DEFAULT_MAX_SYNCING;
    this.maxSyncBacklog = options.maxSyncBacklog ?? DEFAULT_MAX_SYNC_BACKLOG;
  }

  /** Starts creating `target` (an already confined absolute path); a promise means: wait before reading more. */
  begin(target: string): { file: UploadFile; wait: Promise<void> | undefined } {
    let finish = (): void => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const file: UploadFile = {
      target,
      fd: undefined,
      opening: false,
      failed: false,
      ended: false,
      keep: false,
      pending: [],
      pendingBytes: 0,
      done,
      finish,
    };
    this.unfinished.add(file);
    if (this.error || this.abandoned) {
      file.failed = true;
      return { file, wait: undefined };
    }
    try {
      ensureParentFolder(target, this.options.createdDirs);
    } catch (error) {
      this.fail(file, error);
      return { file, wait: undefined };
    }
    file.opening = true;
    this.opening++;
    const earlier = this.latestByTarget.get(target);
    this.latestByTarget.set(target, file);
    const create = (): void => open(target, CREATE_NEW, PRIVATE_FILE_MODE, (error, fd) => this.created(file, error, fd));
    if (earlier && this.unfinished.has(earlier)) void earlier.done.then(create);
    else create();
    return { file, wait: this.room() };
  }

  /**
   * Appends bytes; keeps a reference to `bytes` until they are written, then hands them back to their ReadBufferPool
   * (the writer owns them from here). A promise means: wait before reading more.
   */
  write(file: UploadFile, bytes: Buffer): Promise<void> | undefined {
    if (file.failed || this.abandoned) {
      recycleReadBuffer(bytes);
      return undefined;
    }
    file.pending.push(bytes);
    file.pendingBytes += bytes.length;
    this.heldBytes += bytes.length;
    if (file.fd !== undefined && (file.pendingBytes >= this.writeBytes || file.pending.length >= MAX_BUFFERS_PER_WRITE)) this.flush(file);
    return this.room();
  }

  /** The file's last byte arrived; `keep` false removes it (the device could not read it). */
  end(file: UploadFile, keep: boolean): Promise<void> | undefined {
    file.ended = true;
    file.keep = keep;
    if (file.fd !== undefined) this.close(file);
    else if (!file.opening) this.retire(file);
    // Otherwise created() finishes the file.
    return this.room();
  }

  /** Resolves once every file begun so far is closed (call after the last end()). Never rejects. */
  async settle(): Promise<void> {
    await Promise.all([...this.unfinished].filter((file) => file.ended).map((file) => file.done));
  }

  /**
   * Resolves once every file stored so far is on the disk (fsynced and closed); rejects with the first local failure,
   * an fsync's included. Call after settle(), before the files are trusted (the backup's swap).
   */
  async durable(): Promise<void> {
    if (this.syncQueue.length > 0 || this.syncing > 0) await new Promise<void>((resolve) => this.syncedWaiters.push(resolve));
    if (this.error) throw this.error;
  }

  /** A transfer broke off: waits for files being created, then closes whatever is still open. */
  async abandon(): Promise<void> {
    this.abandoned = true;
    // Files still waiting for their fsync are closed below; the backup they belong to is dropped.
    this.syncQueue = [];
    this.wakeRoomWaiters();
    await Promise.all([...this.unfinished].filter((file) => file.opening).map((file) => file.done));
    if (this.syncing > 0) await new Promise<void>((resolve) => this.syncedWaiters.push(resolve));
    const open = [...this.openFds];
    this.openFds.clear();
    // Awaited, so a caller that goes on to remove the staging folder never races a close still in flight.
    await Promise.all(open.map((fd) => new Promise<void>((resolve) => close(fd, () => resolve()))));
  }

  private created(file: UploadFile, error: NodeJS.ErrnoException | null, fd: number): void {
    file.opening = false;
    this.opening--;
    let descriptor: number | undefined = error ? undefined : fd;
    let failure: unknown = error ?? undefined;
    if (error?.code === 'EEXIST') {
      // A name already there (the previous backup's hard link): replace it, never write through it. Rare.
      try {
        unlinkSync(file.target);
        descriptor = openSync(file.target, CREATE_NEW, PRIVATE_FILE_MODE);
        failure = undefined;
      } catch (retry) {
        failure = retry;
      }
    }
    if (this.abandoned) {
      if (descriptor !== undefined) closeQuietly(descriptor);
      file.failed = true;
      this.retire(file);
    } else if (failure !== undefined || descriptor === undefined) {
      this.fail(file, failure);
      this.retire(file);
    } else {
      file.fd = descriptor;
      this.openFds.add(descriptor);
      this.flush(file);
      if (file.ended) this.close(file);
    }
    this.wakeRoomWaiters();
  }

  private close(file: UploadFile): void {
    this.flush(file);
    const fd = file.fd;
    if (fd !== undefined) {
      file.fd = undefined;
      if (file.keep && !file.failed && !this.abandoned) this.queueSync(fd);
      else {
        this.openFds.delete(fd);
        try {
          closeSync(fd);
        } catch (error) {
          this.fail(file, error);
        }
      }
    }
    if (!file.failed) {
      if (file.keep) this.options.onStored?.();
      else removeQuietly(file.target);
    }
    this.retire(file);
  }

  private flush(file: UploadFile): void {
    if (file.pending.length === 0) return;
    const buffers = file.pending;
    this.heldBytes -= file.pendingBytes;
    file.pending = [];
    file.pendingBytes = 0;
    if (!file.failed && file.fd !== undefined) {
      try {
        writevAll(file.fd, buffers);
      } catch (error) {
        this.fail(file, error);
      }
    }
    // Written (copied into the page cache) or dropped: socket memory can take the next reads.
    for (const buffer of buffers) recycleReadBuffer(buffer);
  }

  private queueSync(fd: number): void {
    this.syncQueue.push(fd);
    this.pumpSyncs();
  }

  private pumpSyncs(): void {
    while (this.syncing < this.maxSyncing && this.syncQueue.length > 0) {
      const fd = this.syncQueue.shift()!;
      this.syncing++;
      (this.options.syncFile ?? fsync)(fd, (syncError) => {
        // Forgotten before the close: once closed, its number may be handed to a file being created right now.
        this.openFds.delete(fd);
        close(fd, (closeError) => {
          this.syncing--;
          const failure = syncError ?? closeError;
          if (failure) this.recordFailure(failure);
          this.pumpSyncs();
          this.wakeRoomWaiters();
          if (this.syncing === 0 && this.syncQueue.length === 0 && this.syncedWaiters.length > 0) {
            const waiters = this.syncedWaiters;
            this.syncedWaiters = [];
            for (const wake of waiters) wake();
          }
        });
      });
    }
  }

  private recordFailure(failure: NodeJS.ErrnoException): void {
    this.error ??= failure;
    this.options.onFailure?.(failure);
  }

  private fail(file: UploadFile, error: unknown): void {
    this.recordFailure((error ?? new Error('Could not create the file')) as NodeJS.ErrnoException);
    file.failed = true;
    this.heldBytes -= file.pendingBytes;
    for (const buffer of file.pending) recycleReadBuffer(buffer);
    file.pending = [];
    file.pendingBytes = 0;
    const fd = file.fd;
    if (fd !== undefined) {
      file.fd = undefined;
      this.openFds.delete(fd);
      closeQuietly(fd);
    }
    // Keep nothing half-written.
    removeQuietly(file.target);
  }

  private retire(file: UploadFile): void {
    if (!this.unfinished.delete(file)) return;
    if (this.latestByTarget.get(file.target) === file) this.latestByTarget.delete(file.target);
    file.finish();
  }

  private hasRoom(): boolean {
    return (
      this.abandoned ||
      (this.heldBytes <= this.maxHeldBytes && this.opening <= this.maxOpening && this.syncQueue.length <= this.maxSyncBacklog)
    );
  }

  private room(): Promise<void> | undefined {
    if (this.hasRoom()) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0 || !this.hasRoom()) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** Creates the folder `target` goes into (owner-only), once per folder: `createdDirs` remembers those that exist. */
export function ensureParentFolder(target: string, createdDirs: Set<string>): void {
  const parent = dirname(target);
  if (createdDirs.has(parent)) return;
  mkdirSync(parent, { recursive: true, mode: PRIVATE_DIR_MODE });
  createdDirs.add(parent);
}

function closeQuietly(fd: number): void {
  close(fd, () => undefined);
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Left for the staging folder's removal.
  }
}

/** Writes every buffer (writev may write less than asked). */
function writevAll(fd: number, buffers: Buffer[]): void {
  let rest = buffers;
  while (rest.length > 0) {
    const written = writevSync(fd, rest);
    let skip = written;
    const next: Buffer[] = [];
    for (const buffer of rest) {
      if (skip >= buffer.length) skip -= buffer.length;
      else {
        next.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    if (written === 0 && next.length > 0) throw Object.assign(new Error('No progress writing the file'), { code: 'EIO' });
    rest = next;
  }
}
