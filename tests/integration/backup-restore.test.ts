import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../common/api';
import { ProblemError } from '../../common/api';
import { backupIdOf } from '../../main/backup/backup-id';
import { BackupRestoreService } from '../../main/backup/backup-restore-service';
import { BackupService } from '../../main/backup/backup-service';
import { decodePlist, encodeXmlPlist } from '../../main/plist/plist-codec';
import { isPlistDict } from '../../main/plist/plist-value';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { BackupEvent } from '../../main/sim/services/mobilebackup2';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { backupContentDigest } from './backup-content-digest';

describe.each(['14.8', '17.0'])('restoring a backup onto a virtual iPhone on iOS %s', (ios) => {
  let sim: Simulator;
  let dir: string;
  let backups: BackupService;
  let restores: BackupRestoreService;
  let backupPath: string;
  let backupDigest: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-restore-'));
    sim = await startSimulator({
      phones: [
        {
          trusted: true,
          ios,
          timeFactor: 0.01,
          deviceName: 'Restore Phone',
          filesystem: { seed: `restore-${ios}`, fileCount: 240, totalBytes: 12 * 1024 * 1024 },
        },
      ],
    });
    backups = new BackupService({
      usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: dir }, home: dir },
    });
    restores = new BackupRestoreService(backups);
    const phone = sim.phones[0]!;
    phone.events.on(BackupEvent.PasscodeRequested, () => setTimeout(() => phone.enterPasscode(), 50));
    const made = await backups.backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined });
    backupPath = made.path;
    backupDigest = await backupContentDigest(backupPath);
  });

  afterAll(async () => {
    for (const phone of sim?.phones ?? []) await virtualFilesystemOf(phone).dispose();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The phone after an erase, roughly: files changed, gone and new. */
  async function changePhone(): Promise<void> {
    const fs = virtualFilesystemOf(sim.phones[0]!);
    const [changed, removed] = fs.files();
    await fs.writeFile(changed!.domain, changed!.relativePath, Buffer.from('changed after the backup'));
    fs.removeFile(removed!.domain, removed!.relativePath);
    await fs.writeFile('HomeDomain', 'Library/after-the-backup.txt', Buffer.from('not in the backup'));
    expect(await fs.digest()).not.toBe(backupDigest);
  }

  it('puts the newest backup of the phone back: the phone’s files equal the backup’s, with progress, and the phone restarts', async () => {
    const phone = sim.phones[0]!;
    const fs = virtualFilesystemOf(phone);
    await changePhone();
    const modes: string[] = [];
    const backInNormal = new Promise<void>((resolve) =>
      phone.events.on('mode', (mode: string) => {
        modes.push(mode);
        if (mode === 'normal' && modes.length > 1) resolve();
      }),
    );
    const updates: Omit<Progress, 'job'>[] = [];
    const result = await restores.restore({ udid: phone.udid }, { signal: new AbortController().signal, progress: (p) => updates.push(p) });

    expect(result).toMatchObject({ backupId: backupIdOf(backupPath), udid: phone.udid, encrypted: false, rebooting: true });
    // Every file of the backup, and its four property files and Manifest.db.
    expect(result.files).toBe(fs.fileCount + 4);
    expect(await fs.digest()).toBe(backupDigest);
    expect(fs.lastRestore).toBe('complete');
    const sending = updates.filter((u) => u.phase === 'receiving');
    expect(sending.at(-1)?.message).toMatch(/^Copying to the phone… \d+ files/);
    expect(Math.max(...updates.map((u) => u.bytesDone ?? 0))).toBeGreaterThanOrEqual(fs.totalBytes);
    expect(updates.some((u) => u.bytesTotal !== undefined && u.bytesTotal >= fs.totalBytes)).toBe(true);
    await backInNormal;
    expect(modes[0]).toBe('booting');
  });

  it('without system files keeps the phone’s own settings and restores the rest', async () => {
    const phone = sim.phones[0]!;
    const fs = virtualFilesystemOf(phone);
    await fs.writeFile('SystemPreferencesDomain', 'SystemConfiguration/kept-by-the-phone.plist', Buffer.from('the phone’s own'));
    await fs.writeFile('HomeDomain', 'Library/after-the-backup.txt', Buffer.from('not in the backup'));
    const finished = new Promise<{ systemFiles: boolean }>((resolve) => phone.events.once(BackupEvent.RestoreFinished, resolve));
    await restores.restore(
      { udid: phone.udid, backupId: backupIdOf(backupPath), options: { systemFiles: false, reboot: false } },
      { signal: new AbortController().signal, progress: () => undefined },
    );
    expect((await finished).systemFiles).toBe(false);
    const names = fs.files().map((f) => `${f.domain}/${f.relativePath}`);
    expect(names).toContain('SystemPreferencesDomain/SystemConfiguration/kept-by-the-phone.plist');
    expect(names).not.toContain('HomeDomain/Library/after-the-backup.txt');
    // Everything but the phone's own system file is the backup's again.
    fs.removeFile('SystemPreferencesDomain', 'SystemConfiguration/kept-by-the-phone.plist');
  });

  it('a cancel part-way says the phone holds only part of the backup, and the phone is left “restore incomplete”', async () => {
    const phone = sim.phones[0]!;
    const fs = virtualFilesystemOf(phone);
    const controller = new AbortController();
    const incomplete = new Promise<{ live: boolean }>((resolve) => phone.events.once(BackupEvent.RestoreIncomplete, resolve));
    // Cancelled once the phone holds 20 files: the rest (megabytes, far more than the sockets buffer) is still to come.
    const onApplied = ({ filesApplied }: { filesApplied: number }): void => {
      if (filesApplied >= 20) controller.abort();
    };
    phone.events.on(BackupEvent.RestoreFileApplied, onApplied);
    const outcome = restores
      .restore({ udid: phone.udid, options: { reboot: false } }, { signal: controller.signal, progress: () => undefined })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const error = await outcome;
    phone.events.off(BackupEvent.RestoreFileApplied, onApplied);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).code).toBe('restore-cancelled-partial');
    expect((error as ProblemError).problem.nextSteps.join(' ')).toMatch(/Restore incomplete/);
    expect(await incomplete).toEqual(expect.objectContaining({ live: true }));
    expect(fs.lastRestore).toBe('incomplete');
  });

  it('refuses a backup from a newer iOS than the phone runs, before anything is sent', async () => {
    const phone = sim.phones[0]!;
    const newer = join(dir, 'newer');
    await cp(backupPath, join(newer, phone.udid), { recursive: true });
    const infoPath = join(newer, phone.udid, 'Info.plist');
    const info = decodePlist(await readFile(infoPath));
    if (!isPlistDict(info)) throw new Error('Info.plist is not a dict');
    await writeFile(infoPath, encodeXmlPlist({ ...info, 'Product Version': '99.0' }));
    const error = await restores
      .restore({ udid: phone.udid, directory: newer }, { signal: new AbortController().signal, progress: () => undefined })
      .catch((e: unknown) => e);
    expect((error as ProblemError).code).toBe('restore-no-backup-for-phone');
    const named = await restores
      .restore(
        { udid: phone.udid, directory: newer, backupId: phone.udid },
        { signal: new AbortController().signal, progress: () => undefined },
      )
      .catch((e: unknown) => e);
    expect((named as ProblemError).problem).toMatchObject({
      code: 'restore-backup-newer-ios',
      detail: expect.stringContaining(`iOS 99.0; the phone runs iOS ${ios}`),
    });
    // The phone never saw a Restore request: it is as the cancelled restore left it.
    expect(virtualFilesystemOf(phone).lastRestore).toBe('incomplete');
  });
});
