import { open, type FileHandle } from 'node:fs/promises';

/**
 * Reads the files a device asked for (DLMessageDownloadFiles) ahead of sending them: while one file goes out on the
 * socket, the next ones are opened and read on libuv's thread pool, so the socket never waits for a disk round trip
 * per file. A file up to `wholeFileBytes` is read in one piece; a bigger one is handed over open and read block by
 * block. Memory stays bounded: at most `aheadFiles` files are read ahead, and no further one is begun once
 * `aheadBytes` are held.
 * Files are taken strictly in the order asked.
 */

export type LoadedFile =
  /** The path could not be used (refused by the caller's confinement, or opening/reading failed). */
  { kind: 'failed'; error: unknown } | { kind: 'whole'; bytes: Buffer } | { kind: 'open'; handle: FileHandle };

export type ReadAheadOptions = {
  /** Files read ahead at most. */
  aheadFiles?: number;
  /** No further file is begun while this many bytes read ahead wait to be taken. */
  aheadBytes?: number;
  /** Files up to this size are read whole. */
  wholeFileBytes?: number;
};

const DEFAULT_AHEAD_FILES = 8;
const DEFAULT_AHEAD_BYTES = 4 * 1024 * 1024;
const DEFAULT_WHOLE_FILE_BYTES = 1024 * 1024;

type Slot = { promise: Promise<LoadedFile>; bytes: number };

export class ReadAhead {
  private readonly aheadFiles: number;
  private readonly aheadBytes: number;
  private readonly wholeFileBytes: number;
  private readonly slots: Slot[] = [];
  private started = 0;
  private heldBytes = 0;

  /** `resolve(i)` names the file of item i: a local path, or the reason it may not be read. */
  constructor(
    private readonly count: number,
    private readonly resolve: (index: number) => string | Error,
    options: ReadAheadOptions = {},
  ) {
    this.aheadFiles = options.aheadFiles ?? DEFAULT_AHEAD_FILES;
    this.aheadBytes = options.aheadBytes ?? DEFAULT_AHEAD_BYTES;
    this.wholeFileBytes = options.wholeFileBytes ?? DEFAULT_WHOLE_FILE_BYTES;
  }

  /** The next file in order. An 'open' file's handle is the caller's to close. */
  async next(): Promise<LoadedFile> {
    this.fill();
    const slot = this.slots.shift();
    if (!slot) throw new Error('No more files to read');
    const loaded = await slot.promise;
    this.heldBytes -= slot.bytes;
    this.fill();
    return loaded;
  }

  /** Closes whatever was read ahead and not taken (a transfer that broke off). Never rejects. */
  async dispose(): Promise<void> {
    this.started = this.count;
    const left = this.slots.splice(0);
    await Promise.all(
      left.map(async (slot) => {
        const loaded = await slot.promise;
        if (loaded.kind === 'open') await loaded.handle.close().catch(() => undefined);
      }),
    );
  }

  private fill(): void {
    while (
      this.started < this.count &&
      this.slots.length < this.aheadFiles &&
      (this.slots.length === 0 || this.heldBytes < this.aheadBytes)
    ) {
      const slot: Slot = { promise: Promise.resolve({ kind: 'failed', error: undefined }), bytes: 0 };
      slot.promise = this.load(this.started++, slot);
      this.slots.push(slot);
    }
  }

  private async load(index: number, slot: Slot): Promise<LoadedFile> {
    const target = this.resolve(index);
    if (target instanceof Error) return { kind: 'failed', error: target };
    let handle: FileHandle | undefined;
    try {
      handle = await open(target, 'r');
      const { size } = await handle.stat();
      if (size > this.wholeFileBytes) {
        const opened = handle;
        handle = undefined;
        return { kind: 'open', handle: opened };
      }
      slot.bytes = size;
      this.heldBytes += size;
      const bytes = Buffer.allocUnsafe(size);
      let filled = 0;
      while (filled < size) {
        const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return { kind: 'whole', bytes: filled === size ? bytes : bytes.subarray(0, filled) };
    } catch (error) {
      return { kind: 'failed', error };
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
}
