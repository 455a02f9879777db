import { ProblemError } from '../../common/problems/problem-error';
import type { BackupSummary } from '../../common/contract/backup';
import { BackupOpenError, checkBackupPassword } from './backup-manifest';
import { chooseBackup } from './backup-restore-service';

/**
 * `backup.checkPassword`: the backup people named (id or folder name), and whether `password` opens it
 * (docs/protocols/backup-encryption.md#class-keys-and-the-offline-check). The password goes no further than the check.
 */
export async function checkPasswordOfBackup(
  backups: readonly BackupSummary[],
  backupId: string,
  password: string,
  signal?: AbortSignal,
): Promise<{ backupId: string; correct: boolean }> {
  const backup = chooseBackup(backups, backupId);
  try {
    return { backupId: backup.id, correct: await checkBackupPassword(backup.path, password, signal ? { signal } : {}) };
  } catch (error) {
    if (!(error instanceof BackupOpenError)) throw error;
    if (error.kind === 'not-encrypted') throw new ProblemError('backup-not-encrypted', undefined, { cause: error });
    // A password no keybag could take (empty, over-long) is simply not this backup's.
    if (error.kind === 'wrong-password') return { backupId: backup.id, correct: false };
    throw new ProblemError('backup-keybag-unreadable', undefined, { cause: error });
  }
}
