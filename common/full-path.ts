/**
 * THE rule for every path a person or saved state hands the engine (renderer, CLI, settings): a full path, normalised,
 * with no `..`, no NUL, and nothing in Windows' network or device namespaces (`\\server\share`, `//server/share`,
 * `\\?\`, `\\.\`, `\??\`, reserved device names such as `NUL` or `COM1`), because opening those can reach other
 * machines (and hand them this user's network credentials) or devices. Pure string logic: the same answer on every OS.
 */

/** Whose path syntax to apply; undefined accepts either form and refuses what is dangerous in either. */
export type PathPlatform = 'posix' | 'win32';

export type FullPathRefusal =
  'not-a-string' | 'empty' | 'too-long' | 'nul' | 'relative' | 'parent-reference' | 'network-or-device' | 'invalid-name';

export type FullPathCheck = { ok: true; path: string } | { ok: false; reason: FullPathRefusal; message: string };

export const MAX_FULL_PATH_CHARS = 4096;

/** Names Windows opens as devices in any folder, with or without an extension. */
export const WINDOWS_RESERVED_NAME = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

const MESSAGES: Record<FullPathRefusal, string> = {
  'not-a-string': 'A path must be text.',
  empty: 'The path is empty.',
  'too-long': `The path is longer than ${MAX_FULL_PATH_CHARS} characters.`,
  nul: 'The path contains a NUL character.',
  relative: 'Give the full path (starting with / or a drive letter such as C:\\), not one relative to the current folder.',
  'parent-reference': 'The path must not contain ".." (going up a folder).',
  'network-or-device':
    'Network shares and device paths (\\\\server\\share, \\\\?\\, \\\\.\\, NUL, COM1 …) are not allowed; use a folder on this computer.',
  'invalid-name': 'The path contains a name Windows cannot use (":" after the drive letter).',
};

function refuse(reason: FullPathRefusal): FullPathCheck {
  return { ok: false, reason, message: MESSAGES[reason] };
}

const DRIVE_FORM = /^[A-Za-z]:[\\/]/;

/** Checks `input` and returns it normalised (no empty or `.` names, no trailing separator), or why it is refused. */
export function checkFullPath(input: unknown, platform?: PathPlatform): FullPathCheck {
  if (typeof input !== 'string') return refuse('not-a-string');
  if (input.length === 0) return refuse('empty');
  if (input.length > MAX_FULL_PATH_CHARS) return refuse('too-long');
  if (input.includes('\0')) return refuse('nul');
  const windowsRules = platform !== 'posix';
  // Two leading separators of either kind: UNC shares, \\?\ and \\.\ (Windows), //host (POSIX leaves it to the system).
  if (/^[\\/]{2}/.test(input) || (windowsRules && /^[\\/]\?\?[\\/]/.test(input))) return refuse('network-or-device');

  const drive = DRIVE_FORM.test(input);
  const rooted = input.startsWith('/');
  if (platform === 'posix' ? !rooted : platform === 'win32' ? !drive : !drive && !rooted) return refuse('relative');

  const body = drive ? input.slice(3) : input.slice(1);
  const names = body.split(windowsRules ? /[\\/]/ : '/').filter((name) => name !== '' && name !== '.');
  for (const name of names) {
    // Windows drops trailing dots and spaces from a name, so `.. ` and `...` climb too.
    const windowsName = name.replace(/[. ]+$/, '');
    if (name === '..' || (windowsRules && /^\.+ *\.*$/.test(name) && name.includes('..'))) return refuse('parent-reference');
    if (windowsRules && WINDOWS_RESERVED_NAME.test(windowsName)) return refuse('network-or-device');
    if (drive && name.includes(':')) return refuse('invalid-name');
  }
  if (drive) return { ok: true, path: `${input.slice(0, 2).toUpperCase()}\\${names.join('\\')}` };
  // In either-form mode a backslash in a POSIX path stays part of its name; only `/` is rewritten.
  const posixNames = windowsRules
    ? input
        .slice(1)
        .split('/')
        .filter((name) => name !== '' && name !== '.')
    : names;
  return { ok: true, path: `/${posixNames.join('/')}` };
}

/** checkFullPath as a yes/no. */
export function isFullPath(input: unknown, platform?: PathPlatform): boolean {
  return checkFullPath(input, platform).ok;
}

/**
 * A folder named by an environment variable (saved state of a kind: the person or a test chose it), through the same
 * rule: its normalised path, or undefined when unset or refused, so the caller falls back to its default.
 */
export function fullPathFromEnvironment(value: string | undefined, platform: string): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const checked = checkFullPath(value, platform === 'win32' ? 'win32' : 'posix');
  return checked.ok ? checked.path : undefined;
}
