import { cp, lstat, mkdir, readdir, rename, rm, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { ConfinementError, confineSync, type ConfineOptions, type ConfinementCache } from './confine';
import {
  DLFileType,
  DeviceLinkStatus,
  EMPTY_PARAMETER_STRING,
  FileBlockCode,
  deviceLinkStatusForErrno,
  type FileBatchOutcome,
  type FileBatchSink,
  type FileBatchWriter,
} from '../devicelink/device-link';
import { recycleReadBuffer } from '../wire/read-buffer-pool';
import { PRIVATE_DIR_MODE } from './private-files';
import { UploadWriter, type UploadStore, type UploadStoreFile } from './upload-writer';
import { OffloadedUploadWriter } from './offloaded-upload-writer';
import { ReadAhead, type LoadedFile } from './download-read-ahead';
import type { FilesystemSync } from './filesystem-sync';

/**
 * The host's side of every device → host DeviceLink request (docs/protocols/mobilebackup2.md#device-messages) against one folder:
 * the device names paths relative to that folder and every one goes through confine(). Files the
 * device uploads are written to fresh inodes (unlink first), never in place, because the folder is a
 * hard-linked copy of the previous backup (backup-store) and writing through a link would change it.
 */

export type DeviceLinkReply = { code: number; description: string | undefined; extra: PlistValue };

/** A big file sent to the device is read this much at a time (the wire blocks are smaller: FileBatchWriter splits). */
const STREAM_READ_BYTES = 256 * 1024;
const MAX_LISTED_ENTRIES = 200_000;
const MAX_PATHS_PER_MESSAGE = 200_000;

export type FolderHostOptions = {
  /** Test seam and disk-space policy: free bytes reported to the device. Default statfs of the folder. */
  freeSpace?: (root: string) => Promise<number>;
  /**
   * A restore's source: the phone may only read, and only inside the folder named `only` (the backup being put back;
   * any other path is a refusal like an unsafe one). Writes are answered "Operation not permitted".
   */
  readOnly?: { only: string };
  /** Bytes of a file just sent to the phone (a restore's progress). */
  onSent?: (bytes: number) => void;
  /**
   * Uploaded files are stored by a worker thread and made durable by syncing the folder's filesystem, not one fsync
   * each (OffloadedUploadWriter, filesystem-sync.ts): Linux's fast path.
   */
  filesystemSync?: FilesystemSync;
};

export type UploadedFile = { path: string; bytes: number };

export class DeviceLinkFolderHost {
  /** The first path the device named that confine() refused; the operation is aborted after replying. */
  refusal: ConfinementError | undefined;
  /** The first local I/O failure (e.g. ENOSPC) while storing the device's files. */
  localError: NodeJS.ErrnoException | undefined;
  bytesReceived = 0;
  filesReceived = 0;
  /** Files and bytes sent whole to the phone (DLMessageDownloadFiles). */
  bytesSent = 0;
  filesSent = 0;
  /** Files the device announced but could not read itself (0x0B blocks). */
  deviceFileErrors = 0;
  private readonly cache: ConfinementCache = new Set();
  private readonly createdDirs = new Set<string>();
  /** Stores uploaded files; dispose() closes what a broken-off transfer left open. */
  private readonly writer: UploadStore;

  constructor(
    readonly root: string,
    private readonly options: FolderHostOptions = {},
  ) {
    const common = {
      createdDirs: this.createdDirs,
      onStored: () => this.filesReceived++,
      onFailure: (error: NodeJS.ErrnoException) => (this.localError ??= error),
    };
    this.writer = options.filesystemSync
      ? new OffloadedUploadWriter({ ...common, filesystemSync: { folder: root, sync: options.filesystemSync } })
      : new UploadWriter(common);
  }

  private async path(devicePath: unknown): Promise<string | ConfinementError> {
    return this.pathSync(devicePath);
  }

  private pathSync(devicePath: unknown, options: ConfineOptions = {}): string | ConfinementError {
    try {
      const only = this.options.readOnly?.only;
      if (only !== undefined && typeof devicePath === 'string' && devicePath !== only && !devicePath.startsWith(`${only}/`)) {
        throw new ConfinementError('outside-scope', devicePath);
      }
      return confineSync(this.root, devicePath, this.cache, options);
    } catch (error) {
      if (!(error instanceof ConfinementError)) throw error;
      this.refusal ??= error;
      return error;
    }
  }

  // ---------------------------------------------------------------- DLMessageUploadFiles (device → host bytes)

  /**
   * A sink for readFileBatch(namesPerFile 2). Never throws on the device's say-so: failures are recorded and the
   * rest drained. Calls return a promise only when the UploadWriter has too much waiting for the disk, so the
   * reader walks buffered blocks without a promise per block. outcome() waits until every file is closed.
   */
  uploadSink(onBytes: (bytes: number) => void): FileBatchSink & { outcome(): Promise<DeviceLinkReply> } {
    const writer = this.writer;
    let current: UploadStoreFile | undefined;
    let refusal: ConfinementError | undefined;
    return {
      beginFile: ({ path: devicePath }) => {
        current = undefined;
        if (this.options.readOnly) {
          refusal ??= new ConfinementError('outside-scope', devicePath);
          return undefined;
        }
        // The writer creates each file afresh (O_EXCL), never through what is already there.
        const target = this.pathSync(devicePath, { createsLast: true });
        if (target instanceof ConfinementError) {
          refusal ??= target;
          return undefined;
        }
        const begun = writer.begin(target);
        current = begun.file;
        return begun.wait;
      },
      data: (bytes) => {
        onBytes(bytes.length);
        this.bytesReceived += bytes.length;
        if (current) return writer.write(current, bytes);
        recycleReadBuffer(bytes);
        return undefined;
      },
      endFile: (outcome: FileBatchOutcome) => {
        const file = current;
        current = undefined;
        if (!file) return undefined;
        // The device could not read its own file: keep nothing half-written.
        if (!outcome.ok) this.deviceFileErrors++;
        return writer.end(file, outcome.ok);
      },
      outcome: async () => {
        await writer.settle();
        const failure = refusal ?? writer.error;
        if (!failure) return { code: DeviceLinkStatus.Success, description: undefined, extra: {} };
        if (failure instanceof ConfinementError)
          return { code: DeviceLinkStatus.Failure, description: 'Operation not permitted', extra: {} };
        return { code: deviceLinkStatusForErrno(failure.code), description: failure.message, extra: {} };
      },
    };
  }

  /** Every file stored so far is on the disk (fsynced); rejects with the first local failure. */
  durable(): Promise<void> {
    return this.writer.durable();
  }

  /** Closes a file left open by a transfer that broke off (unplug, cancel, timeout). */
  async dispose(): Promise<void> {
    await this.writer.abandon();
  }

  private async ensureParent(target: string): Promise<void> {
    const parent = dirname(target);
    if (this.createdDirs.has(parent)) return;
    await mkdir(parent, { recursive: true, mode: PRIVATE_DIR_MODE });
    this.createdDirs.add(parent);
  }

  // ---------------------------------------------------------------- DLMessageDownloadFiles (host → device bytes)

  /** Streams each requested file (or a 0x06 error block), then the batch end; returns the status reply. */
  async download(paths: PlistValue | undefined, writer: FileBatchWriter): Promise<DeviceLinkReply> {
    const names = (Array.isArray(paths) ? paths.slice(0, MAX_PATHS_PER_MESSAGE) : []).map((item) => (typeof item === 'string' ? item : ''));
    const failures: PlistDict = {};
    const ahead = new ReadAhead(names.length, (index) => this.pathSync(names[index]));
    try {
      for (const name of names) {
        await writer.beginFile({ sourceName: undefined, path: name });
        const loaded = await ahead.next();
        const failure = loaded.kind === 'failed' ? loaded.error : await this.send(loaded, writer);
        if (failure === undefined) {
          await writer.endFile({ ok: true });
          this.filesSent++;
        } else if (failure instanceof ConfinementError) {
          await writer.endFile({ ok: false, code: FileBlockCode.LocalError, message: 'Operation not permitted' });
          failures[name] = { DLFileErrorCode: DeviceLinkStatus.Failure, DLFileErrorString: 'Operation not permitted' };
        } else {
          const code = (failure as NodeJS.ErrnoException).code ?? 'EIO';
          const text = strerror(code);
          await writer.endFile({ ok: false, code: FileBlockCode.LocalError, message: text });
          failures[name] = { DLFileErrorCode: deviceLinkStatusForErrno(code), DLFileErrorString: text };
        }
      }
      await writer.endBatch();
    } finally {
      await ahead.dispose();
    }
    if (Object.keys(failures).length === 0) return { code: DeviceLinkStatus.Success, description: undefined, extra: {} };
    return { code: DeviceLinkStatus.MultiStatus, description: 'Multi status', extra: failures };
  }

  /**
   * Sends one file's bytes; returns the local failure that cut it short (reported to the device in its error block),
   * or undefined. A socket failure throws.
   */
  private async send(loaded: Exclude<LoadedFile, { kind: 'failed' }>, writer: FileBatchWriter): Promise<unknown> {
    if (loaded.kind === 'whole') {
      await this.sendBytes(loaded.bytes, writer);
      return undefined;
    }
    const { handle } = loaded;
    const readBlock = (): Promise<Buffer | NodeJS.ErrnoException> =>
      handle.read(Buffer.allocUnsafeSlow(STREAM_READ_BYTES), 0, STREAM_READ_BYTES, null).then(
        ({ buffer, bytesRead }) => buffer.subarray(0, bytesRead),
        (error: NodeJS.ErrnoException) => error,
      );
    try {
      // The next block is read while this one goes out.
      let next = readBlock();
      for (;;) {
        const block = await next;
        if (!(block instanceof Buffer)) return block;
        if (block.length === 0) return undefined;
        next = readBlock();
        await this.sendBytes(block, writer);
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  private async sendBytes(bytes: Buffer, writer: FileBatchWriter): Promise<void> {
    if (bytes.length === 0) return;
    await writer.data(bytes);
    this.bytesSent += bytes.length;
    this.options.onSent?.(bytes.length);
  }

  // ---------------------------------------------------------------- small requests

  async freeDiskSpace(): Promise<DeviceLinkReply> {
    try {
      const free = this.options.freeSpace ? await this.options.freeSpace(this.root) : await freeBytes(this.root);
      return { code: DeviceLinkStatus.Success, description: undefined, extra: Math.max(0, Math.floor(free)) };
    } catch {
      return { code: DeviceLinkStatus.Failure, description: undefined, extra: 0 };
    }
  }

  async contentsOfDirectory(devicePath: PlistValue | undefined): Promise<DeviceLinkReply> {
    const target = await this.path(devicePath);
    if (target instanceof ConfinementError) return refused();
    const listing: PlistDict = {};
    try {
      const entries = await readdir(target, { withFileTypes: true });
      for (const entry of entries.slice(0, MAX_LISTED_ENTRIES)) {
        const stats = await lstat(`${target}/${entry.name}`).catch(() => undefined);
        if (!stats) continue;
        listing[entry.name] = {
          DLFileType: stats.isSymbolicLink()
            ? DLFileType.Unknown
            : stats.isDirectory()
              ? DLFileType.Directory
              : stats.isFile()
                ? DLFileType.Regular
                : DLFileType.Unknown,
          DLFileSize: stats.size,
          DLFileModificationDate: stats.mtime,
        };
      }
    } catch (error) {
      return errnoReply(error);
    }
    return { code: DeviceLinkStatus.Success, description: undefined, extra: listing };
  }

  async createDirectory(devicePath: PlistValue | undefined): Promise<DeviceLinkReply> {
    if (this.options.readOnly) return refused(EMPTY_PARAMETER_STRING);
    const target = await this.path(devicePath);
    if (target instanceof ConfinementError) return refused(EMPTY_PARAMETER_STRING);
    try {
      await mkdir(target, { recursive: true, mode: PRIVATE_DIR_MODE });
      this.createdDirs.add(target);
      return { code: DeviceLinkStatus.Success, description: undefined, extra: EMPTY_PARAMETER_STRING };
    } catch (error) {
      return errnoReply(error, EMPTY_PARAMETER_STRING);
    }
  }

  /** Renames, replacing an existing destination (directories recursively). */
  async move(pairs: PlistValue | undefined): Promise<DeviceLinkReply> {
    if (this.options.readOnly) return refused();
    if (!isPlistDict(pairs)) return { code: DeviceLinkStatus.Failure, description: 'Malformed move request', extra: {} };
    for (const [from, to] of Object.entries(pairs).slice(0, MAX_PATHS_PER_MESSAGE)) {
      const source = await this.path(from);
      const destination = await this.path(to);
      if (source instanceof ConfinementError || destination instanceof ConfinementError) return refused();
      try {
        await rm(destination, { recursive: true, force: true });
        await this.ensureParent(destination);
        await rename(source, destination);
      } catch (error) {
        return errnoReply(error);
      }
    }
    return { code: DeviceLinkStatus.Success, description: undefined, extra: {} };
  }

  async remove(paths: PlistValue | undefined): Promise<DeviceLinkReply> {
    if (this.options.readOnly) return refused();
    const list = Array.isArray(paths) ? paths.slice(0, MAX_PATHS_PER_MESSAGE) : [];
    for (const item of list) {
      const target = await this.path(item);
      if (target instanceof ConfinementError) return refused();
      try {
        // Removing a link never touches the previous backup's copy of the same file.
        await rm(target, { recursive: true, force: true });
      } catch (error) {
        return errnoReply(error);
      }
    }
    return { code: DeviceLinkStatus.Success, description: undefined, extra: {} };
  }

  async copy(from: PlistValue | undefined, to: PlistValue | undefined): Promise<DeviceLinkReply> {
    if (this.options.readOnly) return refused();
    const source = await this.path(from);
    const destination = await this.path(to);
    if (source instanceof ConfinementError || destination instanceof ConfinementError) return refused();
    try {
      await lstat(source);
      // A fresh copy, never a write into an inode the previous backup shares.
      await rm(destination, { recursive: true, force: true });
      await this.ensureParent(destination);
      await cp(source, destination, { recursive: true, verbatimSymlinks: true });
    } catch (error) {
      return errnoReply(error);
    }
    return { code: DeviceLinkStatus.Success, description: undefined, extra: {} };
  }
}

export async function freeBytes(path: string): Promise<number> {
  const stats = await statfs(path);
  return Number(stats.bavail) * Number(stats.bsize);
}

function refused(extra: PlistValue = {}): DeviceLinkReply {
  return { code: DeviceLinkStatus.Failure, description: 'Operation not permitted', extra };
}

function errnoReply(error: unknown, extra: PlistValue = {}): DeviceLinkReply {
  const failure = error as NodeJS.ErrnoException;
  return { code: deviceLinkStatusForErrno(failure.code), description: strerror(failure.code), extra };
}

const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  EIO: 'Input/output error',
  ENOSPC: 'No space left on device',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
};

function strerror(code: string | undefined): string {
  return (code === undefined ? undefined : STRERROR[code]) ?? 'Unknown error';
}
