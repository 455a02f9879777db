import { chmod, lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupService } from '../../main/backup/backup-service';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';

/** Every folder and file under `root` with its permission bits; anything else (a symlink) is listed apart. */
async function modesOf(root: string): Promise<{ dirs: Map<string, number>; files: Map<string, number>; other: string[] }> {
  const dirs = new Map<string, number>();
  const files = new Map<string, number>();
  const other: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path);
    if (info.isDirectory()) {
      dirs.set(path, info.mode & 0o777);
      for (const name of await readdir(path)) await walk(join(path, name));
    } else if (info.isFile()) files.set(path, info.mode & 0o777);
    else other.push(path);
  };
  await walk(root);
  return { dirs, files, other };
}

const octal = (modes: Map<string, number>): Set<string> => new Set([...modes.values()].map((mode) => mode.toString(8)));

describe('backups are private to their owner (POSIX modes)', () => {
  let sim: Simulator;
  let base: string;
  let root: string;
  let previousUmask: number;

  beforeAll(async () => {
    // With no umask at all, the modes Lifeline asks for are exactly what lands on disk: nothing relies on a umask.
    previousUmask = process.umask(0);
    base = await mkdtemp(join(tmpdir(), 'lifeline-private-'));
    root = join(base, 'not', 'yet', 'there');
    sim = await startSimulator({
      phones: [{ trusted: true, ios: '14.8', timeFactor: 0.01, filesystem: { seed: 'private-modes', fileCount: 60, totalBytes: 600_000 } }],
    });
  });

  afterAll(async () => {
    process.umask(previousUmask);
    for (const phone of sim?.phones ?? []) await virtualFilesystemOf(phone).dispose();
    await sim?.close();
    if (base) await rm(base, { recursive: true, force: true });
  });

  const backUp = async () => {
    const phone = sim.phones[0]!;
    const service = new BackupService({
      usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: root }, home: base },
    });
    return service.backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined });
  };

  it.skipIf(process.platform === 'win32')('creates the backup folder, its parents, every subfolder 0700 and every file 0600', async () => {
    const result = await backUp();
    const { dirs, files, other } = await modesOf(join(base, 'not'));
    expect(dirs.has(result.path)).toBe(true);
    expect(files.has(join(result.path, 'Info.plist'))).toBe(true);
    expect(files.has(join(result.path, 'Manifest.db'))).toBe(true);
    expect(files.size).toBeGreaterThan(60);
    expect(octal(dirs)).toEqual(new Set(['700']));
    expect(octal(files)).toEqual(new Set(['600']));
    expect(other).toEqual([]);
  });

  it.skipIf(process.platform === 'win32')(
    'leaves every file 0600 after a second backup that reused (hard-linked) an older, world-readable one',
    async () => {
      const first = await modesOf(root);
      // As a backup made by an older Lifeline or another tool would be.
      for (const dir of first.dirs.keys()) await chmod(dir, 0o755);
      for (const file of first.files.keys()) await chmod(file, 0o644);

      const result = await backUp();
      expect(result.reused).toBeGreaterThan(60);
      const { dirs, files } = await modesOf(result.path);
      expect(files.size).toBeGreaterThan(60);
      expect(octal(dirs)).toEqual(new Set(['700']));
      expect(octal(files)).toEqual(new Set(['600']));
    },
  );
});
