import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../../common/api';
import { BackupService } from '../../main/backup/backup-service';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { BackupEvent } from '../../main/sim/services/mobilebackup2';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { treeDigest } from './backup-tree-hash';

const TOTAL_BYTES = 24 * 1024 * 1024;

/** A real, small filesystem that really fills up: a tmpfs, which needs root (CI runs as root). */
function mountSmallDisk(): { path: string; unmount: () => void } | string {
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs';
  const path = join(tmpdir(), `lifeline-small-disk-${process.pid}`);
  mkdirSync(path, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m', 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    return `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`;
  }
  return {
    path,
    unmount: () => {
      execFileSync('umount', [path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Can this machine mount one? Probed (and undone) while collecting, so a skip says why. */
function cannotMount(): string | null {
  const probe = mountSmallDisk();
  if (typeof probe === 'string') return probe;
  probe.unmount();
  return null;
}

const reason = cannotMount();

describe.skipIf(reason !== null)(`the disk fills up in the middle of a backup${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let small: { path: string; unmount: () => void };
  let sim: Simulator;
  let dir: string;
  const service = (): BackupService =>
    new BackupService({
      usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: dir }, home: dir },
    });

  beforeAll(async () => {
    small = mountSmallDisk() as { path: string; unmount: () => void };
    dir = await mkdtemp(join(small.path, 'backups-'));
    sim = await startSimulator({
      phones: [
        { trusted: true, ios: '14.8', timeFactor: 0.01, filesystem: { seed: 'disk-full', fileCount: 150, totalBytes: TOTAL_BYTES } },
      ],
    });
    const phone = sim.phones[0]!;
    await service().backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined });
    const fs = virtualFilesystemOf(phone);
    for (const file of fs.files().slice(0, 10))
      await fs.writeFile(file.domain, file.relativePath, Buffer.from(`changed ${file.relativePath}`));
  });

  afterAll(async () => {
    await sim?.close();
    small.unmount();
  });

  it('stops with "disk full", removes what it wrote, and leaves the previous backup byte-identical', async () => {
    const before = await treeDigest(dir);
    const filler = join(small.path, 'filler');
    let filled = false;
    const phone = sim.phones[0]!;
    // A third of the way through, something else on the computer takes every free byte (the phone has sent 50 of its
    // 150 files; the other 16 MB are far more than the sockets hold, so the host still has most of them to write).
    const fill = ({ filesSent }: { filesSent: number }): void => {
      if (filled || filesSent < 50) return;
      filled = true;
      const { bavail, bsize } = statfsSync(small.path);
      writeFileSync(filler, Buffer.alloc(Number(bavail) * Number(bsize)));
    };
    phone.events.on(BackupEvent.BackupFileSent, fill);
    const error = await service()
      .backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined })
      .then(
        () => null,
        (e: unknown) => e,
      );
    phone.events.off(BackupEvent.BackupFileSent, fill);
    expect(filled).toBe(true);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).problem.code).toBe('backup-disk-full');
    expect((error as ProblemError).problem.nextSteps.join(' ')).toMatch(/previous backup is unchanged/i);
    rmSync(filler);
    expect(await treeDigest(dir)).toBe(before);
  });
});
