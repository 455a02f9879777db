import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackupContents } from '../../main/backup/backup-contents';
import { BackupService } from '../../main/backup/backup-service';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';

const PASSWORD = 'correct horse battery';
const PERSONAL = { photos: 12, videos: 3, messages: 250, contacts: 40, notes: 7 };

describe('what a backup of the virtual iPhone holds, counted', () => {
  let sim: Simulator;
  let dir: string;
  const paths: Record<'plain' | 'encrypted', string> = { plain: '', encrypted: '' };
  let expectedApps = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-contents-'));
    const filesystem = { seed: 'contents', fileCount: 150, totalBytes: 3 * 1024 * 1024, personal: PERSONAL };
    sim = await startSimulator({
      phones: [
        { seed: 'contents-plain', trusted: true, ios: '14.8', timeFactor: 0.01, filesystem },
        {
          seed: 'contents-encrypted',
          trusted: true,
          ios: '14.8',
          backupEncryption: true,
          backupPassword: PASSWORD,
          timeFactor: 0.01,
          filesystem,
        },
      ],
    });
    const service = new BackupService({
      usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: dir }, home: dir },
    });
    const [plain, encrypted] = sim.phones;
    paths.plain = (await service.backup({ udid: plain!.udid }, { signal: new AbortController().signal, progress: () => undefined })).path;
    paths.encrypted = (
      await service.backup({ udid: encrypted!.udid }, { signal: new AbortController().signal, progress: () => undefined })
    ).path;
    // The apps are the phone's AppDomain-… domains, whatever the seed made of them.
    expectedApps = new Set(
      virtualFilesystemOf(plain!)
        .files()
        .map((f) => f.domain)
        .filter((d) => d.startsWith('AppDomain-')),
    ).size;
  });

  afterAll(async () => {
    for (const phone of sim?.phones ?? []) await virtualFilesystemOf(phone).dispose();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const exact = () => ({
    manifest: 'read',
    photos: { count: PERSONAL.photos },
    videos: { count: PERSONAL.videos },
    messages: { count: PERSONAL.messages, note: null },
    contacts: { count: PERSONAL.contacts, note: null },
    notes: { count: PERSONAL.notes, note: null },
    apps: { count: expectedApps },
  });

  it('counts camera-roll photos and videos, messages, contacts, notes and apps of an unencrypted backup exactly', async () => {
    expect(expectedApps).toBeGreaterThan(0);
    expect(await describeBackupContents(paths.plain)).toMatchObject(exact());
  });

  it('counts nothing in an encrypted backup without its password, and says why', async () => {
    const contents = await describeBackupContents(paths.encrypted);
    expect(contents.manifest).toBe('password-needed');
    for (const key of ['photos', 'videos', 'messages', 'contacts', 'notes', 'apps'] as const) {
      expect(contents[key]).toEqual({ count: null, note: 'The backup is encrypted: its password is needed to count what is inside.' });
    }
  });

  it('counts the same in the encrypted backup once the password opens it (databases decrypted)', async () => {
    expect(await describeBackupContents(paths.encrypted, { password: PASSWORD })).toMatchObject(exact());
  });

  it('refuses a wrong password', async () => {
    await expect(describeBackupContents(paths.encrypted, { password: 'not the password' })).rejects.toMatchObject({
      kind: 'wrong-password',
    });
  });
});
