import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupSummary } from '../../common/contract/backup';
import { findModelByProductType } from '../../common/device-table';
import type { PlistValue } from '../plist/plist-value';
import type { BackupRoot } from './backup-locations';
import { backupIdOf } from './backup-id';
import { isStoreWorkFolder, readPlistFile, treeSize } from './backup-store';
import { checkPathSegment } from './confine';

/**
 * Finds the backups already on this computer: every `<UDID>` (and old iTunes
 * `<UDID>-YYYYMMDD-HHMMSS`) folder in the given roots that has an Info.plist, Manifest.plist or
 * Status.plist, described from those files. Read-only.
 */

const BACKUP_FOLDER = /^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40})(-\d{8}-\d{6})?$/;
const MAX_FOLDERS_PER_ROOT = 10_000;

export type FindBackupsOptions = {
  /** Only backups of this phone (compared without case). */
  udid?: string;
  /** Skip the size walk (fast listing). */
  skipSize?: boolean;
};

/** Throws ConfinementError when `options.udid` is not one safe folder name. */
export async function findBackups(roots: readonly BackupRoot[], options: FindBackupsOptions = {}): Promise<BackupSummary[]> {
  if (options.udid !== undefined) checkPathSegment(options.udid);
  const found: BackupSummary[] = [];
  const seen = new Set<string>();
  for (const root of roots) {
    let names: string[];
    try {
      names = await readdir(root.path);
    } catch {
      continue;
    }
    for (const name of names.slice(0, MAX_FOLDERS_PER_ROOT)) {
      if (isStoreWorkFolder(name) || !BACKUP_FOLDER.test(name)) continue;
      const path = join(root.path, name);
      if (seen.has(path)) continue;
      seen.add(path);
      const summary = await describeBackup(path, name, root, options);
      if (!summary) continue;
      if (options.udid !== undefined && summary.udid.toUpperCase() !== options.udid.toUpperCase()) continue;
      found.push(summary);
    }
  }
  return found.sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
}

/** One backup folder described, or undefined when it holds none of the three property files. */
export async function describeBackup(
  path: string,
  folderName: string,
  root: BackupRoot,
  options: FindBackupsOptions = {},
): Promise<BackupSummary | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return undefined;
  const [infoPlist, manifest, status] = await Promise.all([
    readPlistFile(join(path, 'Info.plist')),
    readPlistFile(join(path, 'Manifest.plist')),
    readPlistFile(join(path, 'Status.plist')),
  ]);
  if (!infoPlist && !manifest && !status) return undefined;
  const lockdown =
    manifest?.Lockdown !== undefined && typeof manifest.Lockdown === 'object' && !Array.isArray(manifest.Lockdown)
      ? (manifest.Lockdown as Record<string, PlistValue>)
      : {};
  const productType = text(infoPlist?.['Product Type']) ?? text(lockdown.ProductType);
  const udid = text(infoPlist?.['Target Identifier']) ?? text(lockdown.UniqueDeviceID) ?? folderName.replace(/-\d{8}-\d{6}$/, '');
  const date = dateOf(infoPlist?.['Last Backup Date']) ?? dateOf(status?.Date) ?? dateOf(manifest?.Date);
  return {
    id: backupIdOf(path),
    udid,
    path,
    location: root.label,
    deviceName: text(infoPlist?.['Device Name']) ?? text(infoPlist?.['Display Name']) ?? text(lockdown.DeviceName),
    productType,
    modelName: productType ? (findModelByProductType(productType)?.name ?? null) : null,
    iosVersion: text(infoPlist?.['Product Version']) ?? text(lockdown.ProductVersion),
    buildVersion: text(infoPlist?.['Build Version']) ?? text(lockdown.BuildVersion),
    date,
    sizeBytes: options.skipSize ? null : await treeSize(path),
    encrypted: manifest ? manifest.IsEncrypted === true : null,
    complete: status?.SnapshotState === 'finished' && manifest !== undefined && infoPlist !== undefined,
  };
}

function text(value: PlistValue | undefined): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= 1024 ? value : null;
}

function dateOf(value: PlistValue | undefined): string | null {
  if (value instanceof Date && Number.isFinite(value.getTime())) return value.toISOString();
  return null;
}
