import { describe, expect, it } from 'vitest';
import { defaultBackupRoot, standardBackupRoots } from '../../../main/backup/backup-locations';

describe('backup locations', () => {
  it('uses Finder’s folder on macOS', () => {
    expect(standardBackupRoots({ platform: 'darwin', env: {}, home: '/Users/ann' }).map((r) => r.path)).toEqual([
      '/Users/ann/Library/Application Support/MobileSync/Backup',
    ]);
  });

  it('knows both iTunes folders on Windows and prefers the one that exists', () => {
    const env = { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming', USERPROFILE: 'C:\\Users\\ann' };
    const roots = standardBackupRoots({ platform: 'win32', env, home: 'C:\\Users\\ann' }).map((r) => r.path);
    expect(roots).toEqual([
      'C:\\Users\\ann\\Apple\\MobileSync\\Backup',
      'C:\\Users\\ann\\AppData\\Roaming\\Apple Computer\\MobileSync\\Backup',
    ]);
    expect(defaultBackupRoot({ platform: 'win32', env, home: 'C:\\Users\\ann', exists: (p) => p.includes('Apple Computer') }).kind).toBe(
      'itunes-desktop',
    );
    expect(defaultBackupRoot({ platform: 'win32', env, home: 'C:\\Users\\ann', exists: (p) => p === roots[0] }).kind).toBe('itunes-store');
    expect(defaultBackupRoot({ platform: 'win32', env, home: 'C:\\Users\\ann', exists: () => false }).kind).toBe('itunes-desktop');
  });

  it('uses $XDG_DATA_HOME/lifeline/MobileSync/Backup on Linux, ~/.local/share when unset or relative', () => {
    expect(defaultBackupRoot({ platform: 'linux', env: { XDG_DATA_HOME: '/data' }, home: '/home/ann' }).path).toBe(
      '/data/lifeline/MobileSync/Backup',
    );
    expect(defaultBackupRoot({ platform: 'linux', env: {}, home: '/home/ann' }).path).toBe(
      '/home/ann/.local/share/lifeline/MobileSync/Backup',
    );
    expect(defaultBackupRoot({ platform: 'linux', env: { XDG_DATA_HOME: 'rel' }, home: '/home/ann' }).path).toBe(
      '/home/ann/.local/share/lifeline/MobileSync/Backup',
    );
  });

  it('LIFELINE_BACKUP_DIR overrides every platform default', () => {
    for (const [platform, folder] of [
      ['darwin', '/tmp/x'],
      ['linux', '/tmp/x'],
      ['win32', 'D:\\Backups'],
    ] as const) {
      expect(standardBackupRoots({ platform, env: { LIFELINE_BACKUP_DIR: folder }, home: '/h' })).toEqual([
        { path: folder, kind: 'override', label: 'Chosen backup folder' },
      ]);
    }
  });

  it('ignores a LIFELINE_BACKUP_DIR the one path rule refuses (relative, "..", network shares)', () => {
    for (const [platform, folder] of [
      ['linux', 'backups'],
      ['linux', '/tmp/../etc'],
      ['win32', '\\\\server\\share'],
      ['win32', '/tmp/x'],
    ] as const) {
      expect(standardBackupRoots({ platform, env: { LIFELINE_BACKUP_DIR: folder }, home: '/h' }).map((root) => root.kind)).not.toContain(
        'override',
      );
    }
  });
});
