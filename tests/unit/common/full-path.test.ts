import { describe, expect, it } from 'vitest';
import { FullPathSchema } from '../../../common/contract/shapes';
import { RestoreToRamdiskRequestSchema } from '../../../common/contract/restore';
import { commandSchemas } from '../../../common/api';
import { checkFullPath, type PathPlatform } from '../../../common/full-path';

const reason = (path: unknown, platform?: PathPlatform) => {
  const checked = checkFullPath(path, platform);
  return checked.ok ? 'ok' : checked.reason;
};

describe('the one full-path rule', () => {
  it('accepts full POSIX and Windows paths and normalises them', () => {
    expect(checkFullPath('/home/ada/Backups')).toEqual({ ok: true, path: '/home/ada/Backups' });
    expect(checkFullPath('/home//ada/./Backups/')).toEqual({ ok: true, path: '/home/ada/Backups' });
    expect(checkFullPath('/')).toEqual({ ok: true, path: '/' });
    expect(checkFullPath('C:\\Users\\Ada\\Backups\\')).toEqual({ ok: true, path: 'C:\\Users\\Ada\\Backups' });
    expect(checkFullPath('c:/Users//Ada/./x.ipsw', 'win32')).toEqual({ ok: true, path: 'C:\\Users\\Ada\\x.ipsw' });
    expect(checkFullPath('D:\\')).toEqual({ ok: true, path: 'D:\\' });
    expect(checkFullPath('/home/ada/a\\b', 'posix')).toEqual({ ok: true, path: '/home/ada/a\\b' });
  });

  it.each([
    ['relative', 'Backups'],
    ['dot-relative', './Backups'],
    ['parent-relative', '../Backups'],
    ['drive-relative (Windows)', 'C:Backups'],
    ['root-relative on Windows', '\\Users\\Ada'],
  ])('refuses a %s path', (_label, path) => {
    expect(reason(path)).toBe('relative');
  });

  it.each([
    ['/home/ada/../../etc'],
    ['/home/ada/..'],
    ['C:\\Users\\..\\Windows'],
    ['C:/Users/Ada/../..'],
    ['/home/ada\\..\\..\\etc'],
    ['C:\\Users\\.. \\Windows'],
    ['C:\\Users\\...\\Windows'],
  ])('refuses %j: it climbs with ..', (path) => {
    expect(reason(path)).toBe('parent-reference');
  });

  it.each([
    ['a UNC share', '\\\\server\\share\\Backups'],
    ['a forward-slash share', '//server/share/Backups'],
    ['a mixed-slash share', '\\/server/share'],
    ['a Win32 file namespace path', '\\\\?\\C:\\Backups'],
    ['a Win32 device namespace path', '\\\\.\\PhysicalDrive0'],
    ['an NT object path', '\\??\\C:\\Backups'],
    ['a reserved device name', 'C:\\Backups\\NUL'],
    ['a reserved device name with an extension', 'C:\\Backups\\com1.ipsw'],
    ['a reserved device name with trailing dots', 'C:\\Backups\\CON..'],
  ])('refuses %s', (_label, path) => {
    expect(reason(path)).toBe('network-or-device');
  });

  it('refuses NUL, empty, over-long and non-text input', () => {
    expect(reason('/home/ada\0/x')).toBe('nul');
    expect(reason('')).toBe('empty');
    expect(reason(`/${'a'.repeat(5000)}`)).toBe('too-long');
    expect(reason(42)).toBe('not-a-string');
    expect(reason(undefined)).toBe('not-a-string');
  });

  it('refuses a Windows stream name after the drive', () => {
    expect(reason('C:\\Backups\\x.ipsw:hidden')).toBe('invalid-name');
  });

  it('applies one platform when told: a drive path is relative on POSIX, a rooted one on Windows', () => {
    expect(reason('C:\\Backups', 'posix')).toBe('relative');
    expect(reason('/home/ada', 'win32')).toBe('relative');
    expect(reason('//server/share', 'posix')).toBe('network-or-device');
    expect(reason('/home/ada/NUL', 'posix')).toBe('ok');
    expect(reason('/home/ada/NUL')).toBe('network-or-device');
  });
});

describe('every contract path uses the rule', () => {
  it('FullPathSchema refuses what the rule refuses and hands the engine the normalised path', () => {
    expect(FullPathSchema.parse('/home//ada/./Backups/')).toBe('/home/ada/Backups');
    for (const bad of ['Backups', '/a/../b', '\\\\server\\share', '\\\\?\\C:\\x', '/a\0b'])
      expect(FullPathSchema.safeParse(bad).success).toBe(false);
  });

  it('backup, firmware and restore requests refuse relative, climbing and network paths', () => {
    const accepted = [
      commandSchemas['backup.start'].request.safeParse({ directory: '../elsewhere' }).success,
      commandSchemas['backup.list'].request.safeParse({ directory: '\\\\server\\share' }).success,
      commandSchemas['firmware.get'].request.safeParse({ productType: 'iPhone6,1', directory: 'relative' }).success,
      commandSchemas['firmware.useLocal'].request.safeParse({ productType: 'iPhone6,1', path: '//server/x.ipsw' }).success,
      commandSchemas['backup.start'].request.safeParse({ directory: '/home/ada/Backups' }).success,
    ];
    expect(accepted).toEqual([false, false, false, false, true]);
    expect(RestoreToRamdiskRequestSchema.safeParse({ until: 'ramdisk', ipsw: 'iPhone.ipsw' }).success).toBe(false);
    expect(RestoreToRamdiskRequestSchema.safeParse({ until: 'ramdisk', ipsw: '\\\\.\\pipe\\x' }).success).toBe(false);
    expect(RestoreToRamdiskRequestSchema.parse({ until: 'ramdisk', ipsw: '/tmp//x.ipsw' }).ipsw).toBe('/tmp/x.ipsw');
  });

  it('backup.start takes only a real UDID', () => {
    expect(commandSchemas['backup.start'].request.safeParse({ udid: 'x/../../victim' }).success).toBe(false);
    expect(commandSchemas['backup.start'].request.safeParse({ udid: '00008030-001A2B3C4D5E6F70' }).success).toBe(true);
  });
});
