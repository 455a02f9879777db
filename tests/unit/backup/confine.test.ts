import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfinementError, checkDevicePath, confine, confineSync } from '../../../main/backup/confine';

let root: string;
let outside: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-confine-'));
  outside = await mkdtemp(join(tmpdir(), 'lifeline-confine-outside-'));
  await mkdir(join(root, 'UDID', 'ab'), { recursive: true });
  await symlink(outside, join(root, 'UDID', 'link'));
  await symlink(join(outside, 'file'), join(root, 'UDID', 'ab', 'filelink'));
  await writeFile(join(root, 'UDID', 'plain'), 'x');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function reason(path: unknown): Promise<string> {
  try {
    await confine(root, path);
    return 'accepted';
  } catch (error) {
    return error instanceof ConfinementError ? error.reason : `other: ${String(error)}`;
  }
}

describe('confine', () => {
  it('accepts the paths a real phone sends and places them under the root', async () => {
    expect(await confine(root, 'UDID/ab/ab12cd')).toBe(join(root, 'UDID', 'ab', 'ab12cd'));
    expect(await confine(root, 'UDID/Manifest.db')).toBe(join(root, 'UDID', 'Manifest.db'));
    expect(await confine(root, 'UDID/Snapshot/new/dir/')).toBe(join(root, 'UDID', 'Snapshot', 'new', 'dir'));
    expect(await confine(root, 'UDID//ab')).toBe(join(root, 'UDID', 'ab'));
  });

  it.each([
    ['../escape', 'parent-reference'],
    ['UDID/../../escape', 'parent-reference'],
    ['UDID/ab/..', 'parent-reference'],
    ['/etc/passwd', 'absolute'],
    ['\\\\server\\share', 'absolute'],
    ['C:\\Windows', 'absolute'],
    ['c:relative', 'absolute'],
    ['UDID/a\u0000b', 'nul'],
    ['UDID/a\nb', 'control-character'],
    ['UDID/./x', 'dot-name'],
    ['UDID/a\\..\\..\\x', 'forbidden-character'],
    ['UDID/a:b', 'forbidden-character'],
    ['UDID/CON', 'reserved-name'],
    ['UDID/nul.txt', 'reserved-name'],
    ['UDID/com1', 'reserved-name'],
    ['UDID/LPT9.log', 'reserved-name'],
    ['UDID/name.', 'trailing-dot-or-space'],
    ['UDID/name ', 'trailing-dot-or-space'],
    [`UDID/${'a'.repeat(256)}`, 'name-too-long'],
    [`UDID/${'é'.repeat(128)}`, 'name-too-long'],
    ['a/'.repeat(600), 'too-long'],
    ['', 'empty'],
    ['///', 'absolute'],
    [42, 'not-a-string'],
    ['UDID/link/file', 'symlink'],
    ['UDID/link', 'symlink'],
    ['UDID/ab/filelink', 'symlink'],
    ['UDID/plain/below', 'not-a-directory'],
  ])('refuses %j (%s)', async (path, expected) => {
    expect(await reason(path)).toBe(expected);
  });

  it('never yields a path outside the root, whatever the input', async () => {
    const base = resolve(root) + sep;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom('..', '.', '', 'UDID', 'ab', '/', '\\', 'C:', 'x\u0000', 'link'), fc.string()), { maxLength: 8 }),
        async (parts) => {
          const path = parts.join('/');
          const outcome = await confine(root, path).then(
            (placed) => (placed.startsWith(base) ? 'inside' : `outside: ${placed}`),
            (error: unknown) => (error instanceof ConfinementError ? 'refused' : `crashed: ${String(error)}`),
          );
          expect(['inside', 'refused']).toContain(outcome);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('for a file created afresh (createsLast), checks the folders on the way but leaves the last name to O_EXCL', () => {
    // The writer unlinks whatever is at the last name and creates a new file: a link there is never followed.
    expect(confineSync(root, 'UDID/ab/filelink', undefined, { createsLast: true })).toBe(join(resolve(root), 'UDID', 'ab', 'filelink'));
    expect(() => confineSync(root, 'UDID/ab/filelink')).toThrow(expect.objectContaining({ reason: 'symlink' }));
    expect(() => confineSync(root, 'UDID/link/file', undefined, { createsLast: true })).toThrow(
      expect.objectContaining({ reason: 'symlink' }),
    );
    expect(() => confineSync(root, 'UDID/../x', undefined, { createsLast: true })).toThrow(
      expect.objectContaining({ reason: 'parent-reference' }),
    );
  });

  it('checkDevicePath drops empty segments and keeps names in order', () => {
    expect(checkDevicePath('a//b/c/')).toEqual(['a', 'b', 'c']);
  });
});
