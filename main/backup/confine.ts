import { lstatSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { WINDOWS_RESERVED_NAME } from '../../common/full-path';

/**
 * THE path confinement for every path a device names (docs/protocols/mobilebackup2.md#device-messages: hosts join device paths to
 * the backup folder unsanitised, so a hostile phone could otherwise write anywhere). A path is refused
 * when it is absolute, climbs with `..`, contains NUL or control characters, is too long, uses a name
 * Windows or macOS cannot store, or passes through a symbolic link inside the root.
 */

/** Longest device path we accept (characters); Finder/iTunes paths are well under 200. */
export const MAX_DEVICE_PATH_CHARS = 1024;
/** Longest single name, in UTF-8 bytes (APFS, ext4 and NTFS all stop at 255). */
export const MAX_NAME_BYTES = 255;

// Windows cannot store these characters; ':' is also the macOS Finder's path separator.
const FORBIDDEN_CHARACTERS = /[<>:"|?*\\]/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what we refuse
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export type ConfinementReason =
  | 'not-a-string'
  | 'empty'
  | 'too-long'
  | 'nul'
  | 'control-character'
  | 'absolute'
  | 'parent-reference'
  | 'dot-name'
  | 'forbidden-character'
  | 'reserved-name'
  | 'trailing-dot-or-space'
  | 'name-too-long'
  | 'symlink'
  | 'not-a-directory'
  | 'separator'
  /** Inside the folder, but outside the part the phone may reach (a restore's one backup). */
  | 'outside-scope';

export class ConfinementError extends Error {
  constructor(
    readonly reason: ConfinementReason,
    readonly devicePath: string,
  ) {
    super(`Refused the path the phone named (${reason}): ${JSON.stringify(devicePath.slice(0, 200))}`);
    this.name = 'ConfinementError';
  }
}

/** Directories already checked to be real directories (not symlinks) under a root; speeds up thousands of files. */
export type ConfinementCache = Set<string>;

export type ConfineOptions = {
  /**
   * The caller creates the last name as a fresh file (O_CREAT | O_EXCL, which never follows a link, and unlinks a name
   * already there): only the folders on the way are checked. Saves an lstat per uploaded file, which waits on the
   * folder's lock while other files are being created in it.
   */
  createsLast?: boolean;
};

/**
 * The absolute path under `root` that `devicePath` names, or a ConfinementError. Existing components are
 * checked with lstat: a symbolic link anywhere on the way (including the last component) is refused.
 * `root` itself is trusted (the user chose it).
 */
export async function confine(root: string, devicePath: unknown, cache?: ConfinementCache): Promise<string> {
  return confineSync(root, devicePath, cache);
}

/** confine() without the promise: for per-file hot paths (a microtask per file adds up over thousands). */
export function confineSync(root: string, devicePath: unknown, cache?: ConfinementCache, options: ConfineOptions = {}): string {
  const names = checkDevicePath(devicePath);
  const base = resolve(root);
  let current = base;
  for (let i = 0; i < names.length; i++) {
    const next = join(current, names[i]!);
    const last = i === names.length - 1;
    if ((!last && cache?.has(next)) || (last && options.createsLast)) {
      current = next;
      continue;
    }
    let kind: 'missing' | 'directory' | 'file' | 'symlink' | 'other';
    try {
      // Synchronous on purpose: a few microseconds, against a thread-pool round trip per name of thousands of files.
      // A missing name (every file of a fresh backup) comes back as undefined rather than a costly thrown error.
      const stats = lstatSync(next, { throwIfNoEntry: false });
      kind = !stats
        ? 'missing'
        : stats.isSymbolicLink()
          ? 'symlink'
          : stats.isDirectory()
            ? 'directory'
            : stats.isFile()
              ? 'file'
              : 'other';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
      kind = 'missing';
    }
    if (kind === 'symlink') throw new ConfinementError('symlink', devicePath as string);
    if (kind === 'missing') {
      // Nothing below a missing directory can be a link either.
      return join(current, ...names.slice(i));
    }
    if (!last && kind !== 'directory') throw new ConfinementError('not-a-directory', devicePath as string);
    if (!last) cache?.add(next);
    current = next;
  }
  // Belt and braces: the lexical checks above make this impossible, but a future edit must not make it possible.
  if (current !== base && !current.startsWith(base.endsWith(sep) ? base : base + sep)) {
    throw new ConfinementError('parent-reference', devicePath as string);
  }
  return current;
}

/** Longest id accepted as a folder name (a UDID is 40; work folders add a prefix and suffix to it). */
export const MAX_SEGMENT_CHARS = 128;

/**
 * One safe folder name for an id that names a folder (a phone's UDID under the backup root): the same rules as a
 * device path, plus no separator of any OS and a tighter length bound. Returns the name, or throws ConfinementError.
 */
export function checkPathSegment(name: unknown): string {
  if (typeof name !== 'string') throw new ConfinementError('not-a-string', String(name));
  if (name.length > MAX_SEGMENT_CHARS) throw new ConfinementError('too-long', name);
  if (name.includes('/') || name.includes('\\')) throw new ConfinementError('separator', name);
  const names = checkDevicePath(name);
  if (names.length !== 1 || names[0] !== name) throw new ConfinementError('separator', name);
  return name;
}

/** The lexical half of confine(): the path's names, or a ConfinementError. Empty segments (`a//b`, `a/`) are dropped. */
export function checkDevicePath(devicePath: unknown): string[] {
  if (typeof devicePath !== 'string') throw new ConfinementError('not-a-string', String(devicePath));
  if (devicePath.length > MAX_DEVICE_PATH_CHARS) throw new ConfinementError('too-long', devicePath);
  if (devicePath.includes('\0')) throw new ConfinementError('nul', devicePath);
  if (CONTROL_CHARACTERS.test(devicePath)) throw new ConfinementError('control-character', devicePath);
  if (devicePath.startsWith('/') || devicePath.startsWith('\\') || /^[A-Za-z]:/.test(devicePath)) {
    throw new ConfinementError('absolute', devicePath);
  }
  const names = devicePath.split('/').filter((name) => name.length > 0);
  if (names.length === 0) throw new ConfinementError('empty', devicePath);
  for (const name of names) {
    if (name === '..') throw new ConfinementError('parent-reference', devicePath);
    if (name === '.') throw new ConfinementError('dot-name', devicePath);
    if (FORBIDDEN_CHARACTERS.test(name)) throw new ConfinementError('forbidden-character', devicePath);
    if (WINDOWS_RESERVED_NAME.test(name)) throw new ConfinementError('reserved-name', devicePath);
    if (name.endsWith('.') || name.endsWith(' ')) throw new ConfinementError('trailing-dot-or-space', devicePath);
    if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) throw new ConfinementError('name-too-long', devicePath);
  }
  return names;
}
