import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import type { BackupSummary } from '../../common/contract/backup';

/**
 * A backup's id: `bk-` and 12 hex characters of a hash of its folder's full path. Like the phone ids (`ph-…`,
 * main/devices/public-phone-id.ts) it names the backup without printing the phone's UDID, and it tells apart two
 * backups of one phone in different folders (Finder's and a chosen one). People may also give the folder name
 * (`<UDID>` or iTunes' `<UDID>-YYYYMMDD-HHMMSS`), or its last characters as the masked listing prints them.
 */
const PREFIX = 'bk-';
const HASH_CHARS = 12;
const DOMAIN = 'lifeline/backup-id/v1';

export function backupIdOf(folderPath: string): string {
  return `${PREFIX}${createHash('sha256')
    .update(`${DOMAIN}\0${resolve(folderPath)}`)
    .digest('hex')
    .slice(0, HASH_CHARS)}`;
}

export function isBackupId(value: string): boolean {
  return new RegExp(`^${PREFIX}[0-9a-f]{${HASH_CHARS}}$`).test(value);
}

/** Whether `wanted` names this backup: its id, its folder name, or the folder name's last 6 or more characters ("…3F2A1C"). */
export function namesBackup(backup: Pick<BackupSummary, 'id' | 'path'>, wanted: string): boolean {
  const value = wanted.trim();
  if (value.length === 0) return false;
  if (isBackupId(value.toLowerCase())) return backup.id === value.toLowerCase();
  const folder = basename(backup.path).toUpperCase();
  const needle = value.replace(/^(…|\.\.\.)/, '').toUpperCase();
  return folder === needle || (needle.length >= 6 && folder.endsWith(needle));
}

/** The backups `wanted` names (see namesBackup). */
export function backupsMatching<T extends Pick<BackupSummary, 'id' | 'path'>>(backups: readonly T[], wanted: string): T[] {
  return backups.filter((backup) => namesBackup(backup, wanted));
}
