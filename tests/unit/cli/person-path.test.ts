import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { runCli } from '../../../main/cli';
import { EXIT } from '../../../main/cli/exit-codes';
import { personPath } from '../../../main/cli/person-path';

async function run(...argv: string[]) {
  const err: string[] = [];
  const code = await runCli(argv, { out: () => undefined, err: (t) => err.push(t) });
  return { code, err: err.join('\n') };
}

describe('paths typed on the command line', () => {
  it('resolves a relative path against the current folder first (the person means it), then normalises', () => {
    expect(personPath('Backups', '/home/ada', 'posix')).toBe('/home/ada/Backups');
    expect(personPath('../family//Backups/', '/home/ada', 'posix')).toBe('/home/family/Backups');
    expect(personPath('fw\\x.ipsw', 'C:\\Users\\Ada', 'win32')).toBe('C:\\Users\\Ada\\fw\\x.ipsw');
    expect(personPath('/tmp/x.ipsw', '/home/ada', 'posix')).toBe('/tmp/x.ipsw');
  });

  it.each([
    ['\\\\server\\share\\x.ipsw', 'win32'],
    ['//server/share/x.ipsw', 'win32'],
    ['\\\\?\\C:\\x.ipsw', 'win32'],
    ['\\\\.\\PhysicalDrive0', 'win32'],
    ['C:\\Backups\\NUL', 'win32'],
    ['//server/share', 'posix'],
    ['/tmp/a\0b', 'posix'],
  ] as const)('refuses %j on %s', (typed, platform) => {
    expect(() => personPath(typed, platform === 'win32' ? 'C:\\Users\\Ada' : '/home/ada', platform)).toThrow(InvalidArgumentError);
  });

  it.each([
    ['backup', '--dir'],
    ['backups', '--dir'],
    ['restore', '--until', 'ramdisk', '--ipsw'],
    ['firmware', 'get', '--device', 'iPhone6,1', '--dir'],
    ['firmware', 'verify', '--device', 'iPhone6,1'],
  ])('`lifeline %s …` refuses a network path with the usage exit code before starting anything', async (...command) => {
    const { code, err } = await run(...command, '//server/share/x');
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(/Network shares and device paths/);
  });
});
