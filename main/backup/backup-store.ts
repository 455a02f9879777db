import { randomBytes } from 'node:crypto';
import { constants as fsConstants, statSync, type Stats } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePlist } from '../plist/plist-codec';
import { isPlistDict, type PlistDict } from '../plist/plist-value';
import { checkPathSegment } from './confine';
import { readManifestDb } from './manifest-db';
import { PRIVATE_DIR_MODE, makeFilePrivate } from './private-files';

/**
 * Never lose the last good backup. A new backup is written into a staging copy of the
 * previous one (hard links where the filesystem allows, copies otherwise), verified, then swapped in:
 *
 *   <root>/<UDID>                        the last good backup (untouched until the swap)
 *   <root>/.lifeline-staging-<UDID>-<r>/<UDID>   what the phone writes into
 *   <root>/.lifeline-previous-<UDID>     the old backup for the instant between the two renames
 *
 * A crash between the two renames leaves `.lifeline-previous-<UDID>` and no `<UDID>`: recover() puts it back.
 * Durability: the files are fsynced by their writer (UploadWriter.durable()) before commit(), which fsyncs every
 * folder of the new backup before the swap and the root after it, so a power cut never leaves a swapped-in backup
 * with empty or missing files.
 * Writers must never write through a hard link (DeviceLinkFolderHost unlinks first).
 * Everything created here is owner-only (private-files.ts).
 */

const STAGING_PREFIX = '.lifeline-staging-';
const PREVIOUS_PREFIX = '.lifeline-previous-';
const MAX_PLIST_BYTES = 64 * 1024 * 1024;
const MAX_MANIFEST_DB_BYTES = 1024 * 1024 * 1024;

export type BackupVerifyFailure = 'missing-status' | 'unfinished' | 'missing-info' | 'missing-manifest' | 'missing-files';

export class BackupVerifyError extends Error {
  constructor(
    readonly failure: BackupVerifyFailure,
    message: string,
  ) {
    super(message);
    this.name = 'BackupVerifyError';
  }
}

export type VerifiedBackup = { files: number; bytes: number; encrypted: boolean };

export type Staging = {
  /** The folder the phone's paths are relative to (it contains `<UDID>/`). */
  readonly root: string;
  /** `<staging>/<UDID>`: the backup being written. */
  readonly backupPath: string;
  /** Files linked (or copied) from the previous backup. */
  readonly reused: number;
};

export class BackupStore {
  constructor(
    readonly root: string,
    readonly udid: string,
  ) {
    // The id names folders under root (and staging names that recover() deletes): one safe name, before any disk work.
    checkPathSegment(udid);
  }

  get backupPath(): string {
    return join(this.root, this.udid);
  }

  private get previousPath(): string {
    return join(this.root, `${PREVIOUS_PREFIX}${this.udid}`);
  }

  /** Finishes or undoes an interrupted swap and removes abandoned staging folders of this phone. */
  async recover(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: PRIVATE_DIR_MODE });
    const current = await exists(this.backupPath);
    if (await exists(this.previousPath)) {
      if (current) await rm(this.previousPath, { recursive: true, force: true });
      else await rename(this.previousPath, this.backupPath);
    }
    for (const name of await readdir(this.root)) {
      if (name.startsWith(`${STAGING_PREFIX}${this.udid}-`)) await rm(join(this.root, name), { recursive: true, force: true });
    }
  }

  /** A staging folder holding a hard-linked copy of the previous backup (if any). */
  async beginStaging(signal?: AbortSignal): Promise<Staging> {
    await this.recover();
    const root = join(this.root, `${STAGING_PREFIX}${this.udid}-${randomBytes(4).toString('hex')}`);
    const backupPath = join(root, this.udid);
    await mkdir(root, { recursive: false, mode: PRIVATE_DIR_MODE });
    let reused = 0;
    try {
      if (await exists(this.backupPath)) reused = await linkTree(this.backupPath, backupPath, signal);
      else await mkdir(backupPath, { mode: PRIVATE_DIR_MODE });
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      throw error;
    }
    return { root, backupPath, reused };
  }

  /** Status.plist finished, Info/Manifest present, and every file Manifest.db lists stored (docs/protocols/mobilebackup2.md#completion-and-errors, docs/protocols/mobilebackup2.md#backup-folder-layout). */
  async verify(staging: Staging): Promise<VerifiedBackup> {
    return verifyBackupFolder(staging.backupPath);
  }

  /** Swaps the verified staging copy (its files already fsynced) in place of the previous backup. */
  async commit(staging: Staging): Promise<void> {
    await syncFolders(staging.backupPath);
    const hadPrevious = await exists(this.backupPath);
    if (hadPrevious) {
      await rm(this.previousPath, { recursive: true, force: true });
      await rename(this.backupPath, this.previousPath);
    }
    try {
      await rename(staging.backupPath, this.backupPath);
    } catch (error) {
      if (hadPrevious) await rename(this.previousPath, this.backupPath);
      throw error;
    }
    await syncFolder(this.root);
    await rm(this.previousPath, { recursive: true, force: true });
    await rm(staging.root, { recursive: true, force: true });
  }

  /** Drops the staging folder; the previous backup was never touched. */
  async abandon(staging: Staging): Promise<void> {
    await rm(staging.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Names Lifeline uses for its own work folders: the finder skips them. */
export function isStoreWorkFolder(name: string): boolean {
  return name.startsWith(STAGING_PREFIX) || name.startsWith(PREVIOUS_PREFIX);
}

/** Mirrors `from` into `to` with hard links (copies where linking is not possible). Symlinks are not followed or kept. */
async function linkTree(from: string, to: string, signal?: AbortSignal): Promise<number> {
  await mkdir(to, { mode: PRIVATE_DIR_MODE });
  let count = 0;
  for (const entry of await readdir(from, { withFileTypes: true })) {
    signal?.throwIfAborted();
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) count += await linkTree(source, target, signal);
    else if (entry.isFile()) {
      try {
        await link(source, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK' && code !== 'EOPNOTSUPP') throw error;
        await copyFile(source, target, fsConstants.COPYFILE_EXCL);
      }
      // A link shares the previous backup's inode and a copy takes its mode: either may be an older, wider 0644.
      await makeFilePrivate(target);
      count++;
    }
  }
  return count;
}

/** fsyncs `path` and every folder under it (their entries: new files, hard links, renames). */
async function syncFolders(path: string): Promise<void> {
  const folders = [path];
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isDirectory()) folders.push(join(entry.parentPath, entry.name));
  }
  await Promise.all(folders.map(syncFolder));
}

async function syncFolder(path: string): Promise<void> {
  // Windows opens no folder for flushing; NTFS journals its entries itself.
  if (process.platform === 'win32') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads a plist file within a size bound; undefined when absent or unreadable. */
export async function readPlistFile(path: string, maxBytes = MAX_PLIST_BYTES): Promise<PlistDict | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > maxBytes) return undefined;
    const value = decodePlist(await readFile(path), { maxBytes });
    return isPlistDict(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function verifyBackupFolder(path: string): Promise<VerifiedBackup> {
  const status = await readPlistFile(join(path, 'Status.plist'));
  if (!status) throw new BackupVerifyError('missing-status', 'The phone did not send Status.plist');
  if (status.SnapshotState !== 'finished') {
    throw new BackupVerifyError('unfinished', `The phone left the backup unfinished (SnapshotState ${String(status.SnapshotState)})`);
  }
  if (!(await readPlistFile(join(path, 'Info.plist')))) throw new BackupVerifyError('missing-info', 'Info.plist is missing');
  const manifest = await readPlistFile(join(path, 'Manifest.plist'));
  if (!manifest) throw new BackupVerifyError('missing-manifest', 'Manifest.plist is missing or unreadable');
  const encrypted = manifest.IsEncrypted === true;
  let files = 0;
  const dbPath = join(path, 'Manifest.db');
  const db = await stat(dbPath).catch(() => undefined);
  if (!db) {
    if (!(await exists(join(path, 'Manifest.mbdb')))) throw new BackupVerifyError('missing-manifest', 'Manifest.db is missing');
  } else if (!encrypted) {
    if (db.size > MAX_MANIFEST_DB_BYTES) throw new BackupVerifyError('missing-manifest', 'Manifest.db is too large to check');
    const entries = readManifestDb(await readFile(dbPath), { maxRows: 10_000_000 });
    const missing: string[] = [];
    for (const entry of entries) {
      if (entry.flags !== 1) continue;
      files++;
      if (files % STAT_BATCH === 0) await yieldToEvents();
      if (!/^[0-9a-f]{40}$/.test(entry.fileID)) continue;
      const stored = statQuietly(join(path, entry.fileID.slice(0, 2), entry.fileID));
      if (!stored?.isFile()) missing.push(`${entry.domain}/${entry.relativePath}`);
    }
    if (missing.length > 0) {
      throw new BackupVerifyError('missing-files', `${missing.length} file(s) listed in Manifest.db were not stored, e.g. ${missing[0]}`);
    }
  }
  return { files, bytes: await treeSize(path), encrypted };
}

/** Total size of the regular files under `path` (symlinks not followed). */
export async function treeSize(path: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  let seen = 0;
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (++seen % STAT_BATCH === 0) await yieldToEvents();
    if (entry.isDirectory()) total += await treeSize(child);
    else if (entry.isFile()) total += statQuietly(child)?.size ?? 0;
  }
  return total;
}

/**
 * Thousands of files are checked with synchronous stats, a batch at a time between turns of the event loop: each
 * takes microseconds (the names were just written), where a thread-pool round trip per file took longer than the
 * stat itself.
 */
const STAT_BATCH = 1024;

function statQuietly(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
