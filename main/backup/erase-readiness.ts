import type { BackupSummary } from '../../common/contract/backup';
import type { BackupEraseReadiness } from '../../common/contract/backup-contents';
import { renderProblem } from '../../common/problems/catalog';
import { BackupOpenError, checkBackupPassword } from './backup-manifest';
import { chooseBackup } from './backup-restore-service';

/**
 * The password is proven before any erase: a backup that is meant to come back afterwards must open. Not encrypted:
 * ready. Encrypted with a password: checked offline, no phone involved. Encrypted without one: not ready, and what a
 * new backup could do instead, from the triage and the phone's WillEncrypt (docs/protocols/backup-encryption.md#who-encrypts).
 */

/** What the phone allows now, asked only when the password is unknown. */
export type NewBackupChance = {
  /** The triage verdict: a backup can be made now. */
  canBackUp: boolean;
  /** The triage's reason when it cannot. */
  reason: string;
  /** The phone encrypts its backups (lockdown WillEncrypt); null when it could not be asked. */
  willEncrypt: boolean | null;
};

export type EraseReadinessRequest = { backupId: string; password?: string; signal?: AbortSignal };

export async function backupEraseReadiness(
  backups: readonly BackupSummary[],
  request: EraseReadinessRequest,
  newBackupChance: () => Promise<NewBackupChance>,
): Promise<BackupEraseReadiness> {
  const backup = chooseBackup(backups, request.backupId);
  const base = { backupId: backup.id, encrypted: backup.encrypted === true };
  if (!backup.complete) return { ...base, ready: false, problem: renderProblem('restore-backup-incomplete'), newBackup: null };
  if (backup.encrypted !== true) return { ...base, ready: true, problem: null, newBackup: null };
  if (request.password !== undefined) {
    const verdict = await passwordVerdict(backup.path, request.password, request.signal);
    if (verdict === 'correct') return { ...base, ready: true, problem: null, newBackup: null };
    const wrong = verdict === 'wrong';
    return { ...base, ready: false, problem: renderProblem(wrong ? 'backup-wrong-password' : 'backup-keybag-unreadable'), newBackup: null };
  }
  const chance = await newBackupChance();
  const newBackup = !chance.canBackUp || chance.willEncrypt === null ? 'not-now' : chance.willEncrypt ? 'phone-encrypts' : 'now';
  const reason = !chance.canBackUp
    ? chance.reason
    : chance.willEncrypt === null
      ? 'Lifeline could not ask the phone whether it encrypts its backups.'
      : undefined;
  return {
    ...base,
    ready: false,
    problem: renderProblem('erase-backup-password-unknown', { newBackup, ...(reason !== undefined ? { reason } : {}) }),
    newBackup,
  };
}

async function passwordVerdict(
  folder: string,
  password: string,
  signal: AbortSignal | undefined,
): Promise<'correct' | 'wrong' | 'unreadable'> {
  try {
    return (await checkBackupPassword(folder, password, signal ? { signal } : {})) ? 'correct' : 'wrong';
  } catch (error) {
    if (!(error instanceof BackupOpenError)) throw error;
    // A password no keybag could take (empty, over-long) is simply not this backup's.
    return error.kind === 'wrong-password' ? 'wrong' : 'unreadable';
  }
}
