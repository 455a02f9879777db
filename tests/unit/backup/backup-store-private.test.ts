import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupStore } from '../../../main/backup/backup-store';

const UDID = '00008030-001234567890802E';
let base: string;
let previousUmask: number;

beforeEach(async () => {
  previousUmask = process.umask(0);
  base = await mkdtemp(join(tmpdir(), 'lifeline-store-private-'));
});
afterEach(async () => {
  process.umask(previousUmask);
  await rm(base, { recursive: true, force: true });
});

async function modes(root: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path);
    lines.push(`${info.isDirectory() ? 'dir' : 'file'} ${(info.mode & 0o777).toString(8)} ${path.slice(root.length)}`);
    if (info.isDirectory()) for (const name of (await readdir(path)).sort()) await walk(join(path, name));
  };
  await walk(root);
  return lines;
}

describe('BackupStore keeps what it creates private', () => {
  it.skipIf(process.platform === 'win32')('creates the root and an empty staging copy 0700', async () => {
    const root = join(base, 'Backup');
    const store = new BackupStore(root, UDID);
    const staging = await store.beginStaging();
    expect(await modes(root)).toEqual([
      'dir 700 ',
      `dir 700 /${staging.root.slice(root.length + 1)}`,
      `dir 700 /${staging.root.slice(root.length + 1)}/${UDID}`,
    ]);
  });

  it.skipIf(process.platform === 'win32')(
    'makes every file of a hard-linked staging copy of a world-readable backup 0600, and its folders 0700',
    async () => {
      const root = join(base, 'Backup');
      const previous = join(root, UDID);
      await mkdir(join(previous, 'ab'), { recursive: true, mode: 0o755 });
      await writeFile(join(previous, 'Info.plist'), 'info', { mode: 0o644 });
      await writeFile(join(previous, 'ab', 'ab12'), 'payload', { mode: 0o644 });
      const store = new BackupStore(root, UDID);
      const staging = await store.beginStaging();
      expect(staging.reused).toBe(2);
      expect(await modes(staging.backupPath)).toEqual(['dir 700 ', 'file 600 /Info.plist', 'dir 700 /ab', 'file 600 /ab/ab12']);
    },
  );
});
