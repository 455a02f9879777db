import { chmod } from 'node:fs/promises';

/**
 * A backup is a person's whole phone: only they may read it. Every folder and file Lifeline creates for a
 * backup gets these modes at creation (a umask can only take bits away, never add them); inodes that keep an
 * older mode (hard links, copies) are set with makeFilePrivate(). Windows ignores POSIX modes.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** For inodes Lifeline did not create with PRIVATE_FILE_MODE (a linked or copied file). */
export async function makeFilePrivate(path: string): Promise<void> {
  if (process.platform !== 'win32') await chmod(path, PRIVATE_FILE_MODE);
}
