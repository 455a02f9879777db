import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The suffix of a temp file `writeFileAtomic` left behind when the process died mid-write (safe to delete on load). */
export const ATOMIC_TEMP_SUFFIX = '.tmp';

/**
 * Replaces `file` with `text`, atomic and durable: a temp file beside it (owner-only, flushed) renamed into place, then
 * the folder flushed. A crash leaves the old file or the new one, never half of one.
 */
export function writeFileAtomic(file: string, text: string): void {
  const folder = dirname(file);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString('hex')}${ATOMIC_TEMP_SUFFIX}`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncFolder(folder);
}

/** A rename is durable once its folder is flushed; Windows cannot open a folder for that and does not need it. */
function syncFolder(folder: string): void {
  if (process.platform === 'win32') return;
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a folder; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
