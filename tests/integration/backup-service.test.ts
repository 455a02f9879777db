import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupService } from '../../main/backup/backup-service';
import { findBackups } from '../../main/backup/backup-finder';
import { decodePlist } from '../../main/plist/plist-codec';
import { isPlistDict } from '../../main/plist/plist-value';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { BackupEvent } from '../../main/sim/services/mobilebackup2';
import { HOST_NOTIFICATION_EVENT } from '../../main/sim/services/notification-proxy';
import { hashFile } from '../../main/sim/virtual-fs';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import type { Progress } from '../../common/api';

describe.each(['14.8', '17.0'])('BackupService against a virtual iPhone on iOS %s', (ios) => {
  let sim: Simulator;
  let dir: string;
  let service: BackupService;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-backup-svc-'));
    sim = await startSimulator({
      phones: [
        {
          trusted: true,
          ios,
          timeFactor: 0.01,
          deviceName: 'Test Phone',
          filesystem: { seed: `svc-${ios}`, fileCount: 300, totalBytes: 12 * 1024 * 1024 },
        },
      ],
    });
    service = new BackupService({
      usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: dir }, home: dir },
    });
  });

  afterAll(async () => {
    for (const phone of sim?.phones ?? []) await virtualFilesystemOf(phone).dispose();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a backup equal to the virtual filesystem, with the sync lock, Info.plist and progress', async () => {
    const phone = sim.phones[0]!;
    const fs = virtualFilesystemOf(phone);
    const posted: string[] = [];
    phone.events.on(HOST_NOTIFICATION_EVENT, (name: string) => posted.push(name));
    phone.events.once(BackupEvent.PasscodeRequested, () => setTimeout(() => phone.enterPasscode(), 200));
    const updates: Omit<Progress, 'job'>[] = [];
    const result = await service.backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: (p) => updates.push(p) });

    expect(result.path).toBe(join(dir, phone.udid));
    expect(result.files).toBe(fs.fileCount);
    expect(result.bytesReceived).toBeGreaterThanOrEqual(fs.totalBytes);
    for (const file of fs.files()) {
      expect(await hashFile(join(result.path, file.fileID.slice(0, 2), file.fileID))).toBe(await fs.contentHash(file.fileID));
    }
    const info = decodePlist(await readFile(join(result.path, 'Info.plist')));
    expect(isPlistDict(info) && info['Target Identifier']).toBe(phone.udid);
    expect(isPlistDict(info) && info['Device Name']).toBe('Test Phone');
    expect(isPlistDict(info) && info.Applications).toEqual({});
    expect(posted).toEqual(
      expect.arrayContaining([
        'com.apple.itunes-mobdev.syncWillStart',
        'com.apple.itunes-mobdev.syncLockRequest',
        'com.apple.itunes-mobdev.syncDidFinish',
      ]),
    );
    // No work folders are left behind.
    expect((await readdir(dir)).sort()).toEqual([phone.udid]);

    const phases = updates.map((u) => u.phase);
    expect(phases).toContain('receiving');
    expect(phases.at(-1)).toBe('saving');
    // Only iOS ≥ 16.1 asks for the passcode on the phone.
    const prompts = updates.filter((u) => u.phase === 'passcode').map((u) => u.message);
    expect(prompts.length > 0).toBe(ios === '17.0');
    expect(prompts.filter((message) => !message.includes('Enter the passcode on the phone'))).toEqual([]);
    const receiving = updates.filter((u) => u.phase === 'receiving');
    expect(receiving.at(-1)?.bytesTotal).toBeGreaterThanOrEqual(fs.totalBytes);
    expect(receiving.some((u) => u.fraction !== null && u.fraction > 0 && u.fraction < 1)).toBe(true);
  });

  it('is found and described by the backup finder', async () => {
    const phone = sim.phones[0]!;
    const [found] = await findBackups([{ path: dir, kind: 'override', label: 'test' }], { udid: phone.udid });
    expect(found).toMatchObject({ udid: phone.udid, deviceName: 'Test Phone', iosVersion: ios, complete: true, encrypted: false });
    expect(found!.sizeBytes).toBeGreaterThan(virtualFilesystemOf(phone).totalBytes);
  });

  it('makes a second backup through a hard-linked staging copy and keeps exactly one folder', async () => {
    const phone = sim.phones[0]!;
    const fs = virtualFilesystemOf(phone);
    const changed = fs.files()[3]!;
    await fs.writeFile(changed.domain, changed.relativePath, Buffer.from('changed before the second backup'));
    phone.events.once(BackupEvent.PasscodeRequested, () => setTimeout(() => phone.enterPasscode(), 50));
    const result = await service.backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined });
    expect(result.reused).toBeGreaterThan(fs.fileCount);
    const stored = join(result.path, changed.fileID.slice(0, 2), changed.fileID);
    expect(await readFile(stored, 'utf8')).toBe('changed before the second backup');
    expect((await stat(stored)).nlink).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([phone.udid]);
  });
});

describe('BackupService with encryption set on the phone, and overlapping requests', () => {
  it('stores an encrypted backup as the phone sent it and refuses a second backup of the same phone at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-backup-enc-'));
    const sim = await startSimulator({
      phones: [
        {
          trusted: true,
          ios: '14.8',
          backupEncryption: true,
          backupPassword: 'secret',
          timeFactor: 0.01,
          filesystem: { seed: 'enc', fileCount: 30, totalBytes: 300_000 },
        },
      ],
    });
    try {
      const phone = sim.phones[0]!;
      const service = new BackupService({
        usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
        locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: dir }, home: dir },
      });
      // The second request comes while the phone is already sending the first backup.
      const underway = new Promise<void>((resolve) => phone.events.once('backup-started', () => resolve()));
      const first = service.backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined });
      await underway;
      const second = service
        .backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined })
        .catch((e: unknown) => e);
      const result = await first;
      expect(await second).toMatchObject({ problem: { code: 'backup-already-running' } });
      expect(result.encrypted).toBe(true);
      const manifest = decodePlist(await readFile(join(result.path, 'Manifest.plist')));
      expect(isPlistDict(manifest) && manifest.IsEncrypted).toBe(true);
      const [found] = await findBackups([{ path: dir, kind: 'override', label: 'test' }]);
      expect(found).toMatchObject({ encrypted: true, complete: true });
      await virtualFilesystemOf(phone).dispose();
    } finally {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
