import { posix, win32 } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { checkFullPath, type PathPlatform } from '../../common/full-path';

export function hostPathPlatform(): PathPlatform {
  return process.platform === 'win32' ? 'win32' : 'posix';
}

/**
 * A path a person typed on the command line: relative to the current folder is what they mean, so it is resolved
 * there first; then the one path rule (common/full-path.ts) applies. For commander option and argument parsers.
 */
export function personPath(value: string, cwd: string = process.cwd(), platform: PathPlatform = hostPathPlatform()): string {
  // As typed, too: resolving would quietly turn `//server/share` into `/server/share` on POSIX.
  const typed = checkFullPath(value, platform);
  if (!typed.ok && typed.reason !== 'relative' && typed.reason !== 'parent-reference') throw new InvalidArgumentError(typed.message);
  const checked = checkFullPath((platform === 'win32' ? win32 : posix).resolve(cwd, value), platform);
  if (!checked.ok) throw new InvalidArgumentError(checked.message);
  return checked.path;
}
