import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findBackups } from '../../../main/backup/backup-finder';
import { BackupStore } from '../../../main/backup/backup-store';
import { ConfinementError, MAX_SEGMENT_CHARS, checkPathSegment } from '../../../main/backup/confine';

const HOSTILE: [string, string][] = [
  ['climbs with ..', 'x/../../victim'],
  ['is ..', '..'],
  ['is .', '.'],
  ['has a slash', 'a/b'],
  ['has a backslash', 'a\\b'],
  ['is absolute', '/tmp/victim'],
  ['names a drive', 'C:victim'],
  ['has NUL', 'abc\0def'],
  ['has a control character', 'abc\ndef'],
  ['is empty', ''],
  ['is too long', 'a'.repeat(MAX_SEGMENT_CHARS + 1)],
  ['is a reserved Windows name', 'NUL'],
  ['ends with a dot', 'abc.'],
];

function reason(id: unknown): string {
  try {
    checkPathSegment(id);
    return 'accepted';
  } catch (error) {
    return error instanceof ConfinementError ? error.reason : `other: ${String(error)}`;
  }
}

describe('checkPathSegment: an id that names a folder is one safe name', () => {
  it('accepts real UDIDs', () => {
    expect(checkPathSegment('00008030-001A2B3C4D5E6F70')).toBe('00008030-001A2B3C4D5E6F70');
    expect(checkPathSegment('a'.repeat(40))).toBe('a'.repeat(40));
  });

  it.each(HOSTILE)('refuses an id that %s', (_label, id) => {
    expect(reason(id)).not.toBe('accepted');
  });

  it('refuses what is not a string', () => {
    expect(reason(undefined)).toBe('not-a-string');
    expect(reason(42)).toBe('not-a-string');
  });
});

describe('the backup store and finder refuse an unsafe id before touching the disk', () => {
  let parent: string;
  let root: string;

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'lifeline-store-id-'));
    root = join(parent, 'a', 'b', 'root');
    await mkdir(join(parent, 'victim'), { recursive: true });
    await writeFile(join(parent, 'victim', 'keep.txt'), 'precious');
  });

  afterEach(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it.each(HOSTILE)('BackupStore refuses an id that %s, and nothing is created', async (_label, id) => {
    expect(() => new BackupStore(root, id)).toThrow(ConfinementError);
    expect((await readdir(parent)).sort()).toEqual(['victim']);
    expect(await readdir(join(parent, 'victim'))).toEqual(['keep.txt']);
  });

  it('findBackups refuses an unsafe udid filter', async () => {
    await expect(findBackups([{ path: parent, kind: 'override', label: 'test' }], { udid: '../victim' })).rejects.toBeInstanceOf(
      ConfinementError,
    );
  });

  it('BackupStore still works for a real UDID', async () => {
    const store = new BackupStore(root, 'a'.repeat(40));
    await store.recover();
    expect(await readdir(root)).toEqual([]);
  });
});
