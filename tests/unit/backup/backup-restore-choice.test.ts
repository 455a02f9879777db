import { describe, expect, it } from 'vitest';
import type { BackupSummary } from '../../../common/api';
import { ProblemError } from '../../../common/api';
import { backupIdOf, backupsMatching, isBackupId } from '../../../main/backup/backup-id';
import { DEFAULT_RESTORE_OPTIONS, checkRestorable, chooseBackup, restoreRequestOptions } from '../../../main/backup/backup-restore-service';

const UDID = '00008030-001234567890802E';

function backup(path: string, overrides: Partial<BackupSummary> = {}): BackupSummary {
  return {
    id: backupIdOf(path),
    udid: UDID,
    path,
    location: 'Chosen backup folder',
    deviceName: 'Kim’s iPhone',
    productType: 'iPhone12,1',
    modelName: 'iPhone 11',
    iosVersion: '17.5',
    buildVersion: '21F79',
    date: '2025-01-02T03:04:05.000Z',
    sizeBytes: 1_000_000,
    encrypted: false,
    complete: true,
    ...overrides,
  };
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof ProblemError ? error.code : 'not a ProblemError';
  }
  return undefined;
}

describe('backup ids', () => {
  it('are bk- and 12 hex characters, one per folder path', () => {
    expect(isBackupId(backupIdOf('/a/backups/X'))).toBe(true);
    expect(backupIdOf('/a/backups/X')).not.toBe(backupIdOf('/b/backups/X'));
    expect(backupIdOf('/a/backups/X')).toBe(backupIdOf('/a/backups/./X'));
  });

  it('match by id, by folder name and by its masked tail, not by a short fragment', () => {
    const one = backup(`/b/${UDID}`);
    const older = backup(`/b/${UDID}-20240101-101010`);
    expect(backupsMatching([one, older], one.id)).toEqual([one]);
    expect(backupsMatching([one, older], UDID.toLowerCase())).toEqual([one]);
    expect(backupsMatching([one, older], '…101010')).toEqual([older]);
    expect(backupsMatching([one, older], '802E')).toEqual([]);
    expect(backupsMatching([one, older], 'bk-000000000000')).toEqual([]);
  });
});

describe('choosing the backup to restore', () => {
  const newest = backup('/b/new', { date: '2025-03-01T00:00:00.000Z' });
  const older = backup('/b/old', { date: '2024-03-01T00:00:00.000Z', iosVersion: '16.7' });
  const newerIos = backup('/b/future', { date: '2025-06-01T00:00:00.000Z', iosVersion: '18.0' });
  const unfinished = backup('/b/broken', { date: '2025-07-01T00:00:00.000Z', complete: false });
  const otherPhone = backup('/b/other', { udid: '00008030-00AAAAAAAAAAAAAA', date: '2025-08-01T00:00:00.000Z' });
  const all = [older, newest, newerIos, unfinished, otherPhone];

  it('by default takes the newest complete backup of this phone that its iOS can take', () => {
    expect(chooseBackup(all, undefined, { udid: UDID.toLowerCase(), iosVersion: '17.5.1' })).toBe(newest);
    expect(chooseBackup(all, undefined, { udid: UDID, iosVersion: '17.0' })).toBe(older);
  });

  it('says so when no backup of this phone fits, or the id names none or several', () => {
    expect(codeOf(() => chooseBackup(all, undefined, { udid: UDID, iosVersion: '15.0' }))).toBe('restore-no-backup-for-phone');
    expect(codeOf(() => chooseBackup(all, 'bk-ffffffffffff'))).toBe('restore-backup-not-found');
    expect(codeOf(() => chooseBackup([backup(`/x/${UDID}`), backup(`/y/${UDID}`)], UDID))).toBe('restore-backup-ambiguous');
  });

  it('refuses a named backup that is unfinished, from a newer iOS, or encrypted without a password', () => {
    expect(codeOf(() => checkRestorable(unfinished, '17.5', undefined))).toBe('restore-backup-incomplete');
    expect(codeOf(() => checkRestorable(newerIos, '17.5', undefined))).toBe('restore-backup-newer-ios');
    expect(codeOf(() => checkRestorable(backup('/b/e', { encrypted: true }), '17.5', undefined))).toBe('restore-password-needed');
    expect(codeOf(() => checkRestorable(backup('/b/e', { encrypted: true }), '17.5', 'secret'))).toBeUndefined();
    expect(codeOf(() => checkRestorable(older, '17.5', undefined))).toBeUndefined();
  });
});

describe('the Restore request options', () => {
  it('carry all five booleans as the real tools send them, and the password only when given', () => {
    expect(restoreRequestOptions(DEFAULT_RESTORE_OPTIONS, undefined)).toEqual({
      RestoreSystemFiles: true,
      RestoreShouldReboot: true,
      RestoreDontCopyBackup: true,
      RestorePreserveSettings: true,
      RemoveItemsNotRestored: false,
    });
    expect(restoreRequestOptions({ systemFiles: false, reboot: false, copyFirst: true, removeItemsNotRestored: true }, 'pw')).toEqual({
      RestoreSystemFiles: false,
      RestoreShouldReboot: false,
      RestoreDontCopyBackup: false,
      RestorePreserveSettings: true,
      RemoveItemsNotRestored: true,
      Password: 'pw',
    });
  });
});
