import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import { fullPathFromEnvironment } from '../../common/full-path';

/**
 * Where backups live (docs/protocols/mobilebackup2.md#backup-locations). Each root holds one `<UDID>/` folder per phone, exactly as
 * Finder, iTunes and idevicebackup2 lay them out.
 */

/** Overrides every default (tests always set it to a temp folder). */
export const BACKUP_DIR_ENV = 'LIFELINE_BACKUP_DIR';

export type BackupRootKind = 'override' | 'finder' | 'itunes-desktop' | 'itunes-store' | 'lifeline';

export type BackupRoot = {
  path: string;
  kind: BackupRootKind;
  /** Words for people: "Finder / iTunes (macOS)". */
  label: string;
};

export type LocationEnvironment = {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  exists?: (path: string) => boolean;
};

export function currentLocationEnvironment(): LocationEnvironment {
  return { platform: process.platform, env: process.env, home: homedir(), exists: existsSync };
}

/**
 * Every folder Apple software (or Lifeline) keeps backups in on this platform, most likely first.
 * LIFELINE_BACKUP_DIR, when set, is the only one: a test or a person who chose a folder means it.
 */
export function standardBackupRoots(environment: LocationEnvironment = currentLocationEnvironment()): BackupRoot[] {
  const override = fullPathFromEnvironment(environment.env[BACKUP_DIR_ENV], environment.platform);
  if (override !== undefined) return [{ path: override, kind: 'override', label: 'Chosen backup folder' }];
  const { platform, env, home } = environment;
  if (platform === 'darwin') {
    return [{ path: posix.join(home, 'Library', 'Application Support', 'MobileSync', 'Backup'), kind: 'finder', label: 'Finder / iTunes' }];
  }
  if (platform === 'win32') {
    const appData = env.APPDATA ?? win32.join(home, 'AppData', 'Roaming');
    const profile = env.USERPROFILE ?? home;
    return [
      // The Microsoft Store iTunes and the Apple Devices app.
      {
        path: win32.join(profile, 'Apple', 'MobileSync', 'Backup'),
        kind: 'itunes-store',
        label: 'Apple Devices / iTunes (Microsoft Store)',
      },
      // iTunes from apple.com.
      { path: win32.join(appData, 'Apple Computer', 'MobileSync', 'Backup'), kind: 'itunes-desktop', label: 'iTunes (apple.com)' },
    ];
  }
  // Linux and others: no Apple software; an XDG data folder with the same layout.
  const dataHome = env.XDG_DATA_HOME && posix.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : posix.join(home, '.local', 'share');
  return [{ path: posix.join(dataHome, 'lifeline', 'MobileSync', 'Backup'), kind: 'lifeline', label: 'Lifeline backups' }];
}

/**
 * The folder a new backup goes to when the person did not choose one. On Windows, the folder the
 * installed Apple software already uses wins, so its backups and ours stay together.
 */
export function defaultBackupRoot(environment: LocationEnvironment = currentLocationEnvironment()): BackupRoot {
  const roots = standardBackupRoots(environment);
  if (environment.platform === 'win32' && roots[0]!.kind !== 'override') {
    const exists = environment.exists ?? existsSync;
    const used = roots.find((root) => exists(root.path));
    if (used) return used;
    return roots.find((root) => root.kind === 'itunes-desktop') ?? roots[0]!;
  }
  return roots[0]!;
}
