import { lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKUP_DIR_ENV } from '../../main/backup/backup-locations';
import { createAppEngine } from '../../main/rescue/create-engine';
import type { Engine } from '../../main/rescue/engine';
import { createInProcessClient } from '../../main/transport/in-process';

const engines: Engine[] = [];
let savedOverride: string | undefined;

beforeEach(() => {
  savedOverride = process.env[BACKUP_DIR_ENV];
  delete process.env[BACKUP_DIR_ENV];
});
afterEach(async () => {
  if (savedOverride !== undefined) process.env[BACKUP_DIR_ENV] = savedOverride;
  for (const engine of engines.splice(0)) await engine.close();
});

/** The folder practice mode keeps this run's data in: the practice backup folder is `<it>/MobileSync/Backup`. */
async function practiceDataDir(): Promise<{ engine: Engine; dir: string }> {
  const engine = await createAppEngine({ demo: true, demoTimeFactor: 0.01 });
  engines.push(engine);
  const { defaultDirectory } = await createInProcessClient(engine).invoke('backup.list', {});
  expect(basename(defaultDirectory)).toBe('Backup');
  expect(basename(dirname(defaultDirectory))).toBe('MobileSync');
  return { engine, dir: dirname(dirname(defaultDirectory)) };
}

describe('practice mode keeps its data in a private folder of its own', () => {
  it.skipIf(process.platform === 'win32')('a fresh temp folder only this user can enter, never a fixed shared path', async () => {
    const { dir } = await practiceDataDir();
    expect(dirname(dir)).toBe(tmpdir());
    expect(basename(dir)).toMatch(/^lifeline-practice-[A-Za-z0-9]{6}$/);
    const info = await lstat(dir);
    expect(info.isDirectory()).toBe(true);
    expect(info.isSymbolicLink()).toBe(false);
    expect(info.uid).toBe(process.getuid!());
    expect((info.mode & 0o777).toString(8)).toBe('700');
  });

  it('gives every run its own folder and removes it when the run ends', async () => {
    const first = await practiceDataDir();
    const second = await practiceDataDir();
    expect(second.dir).not.toBe(first.dir);
    await first.engine.close();
    engines.splice(engines.indexOf(first.engine), 1);
    await expect(lstat(first.dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await lstat(second.dir)).isDirectory()).toBe(true);
  });
});
