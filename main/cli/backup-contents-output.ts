import type { BackupContents, BackupDetails, LifelineApi } from '../../common/api';
import type { Output } from './cli-output';
import { PromptCancelledError } from './hidden-input';
import { readPasswordFile } from './password-file';

const ROWS: readonly [keyof Omit<BackupContents, 'manifest'>, string][] = [
  ['photos', 'Photos'],
  ['videos', 'Videos'],
  ['messages', 'Messages'],
  ['contacts', 'Contacts'],
  ['notes', 'Notes'],
  ['apps', 'Apps'],
];

/** What a backup holds, one line per thing: the count, or "unknown" and why; notes under the counts they explain. */
export function formatBackupContents(contents: BackupContents): string[] {
  if (contents.manifest === 'password-needed')
    return ['  Contents:   not counted: the backup is encrypted (give --password-file FILE, or type the password when asked).'];
  if (contents.manifest === 'unreadable') return ['  Contents:   not counted: its list of files (Manifest.db) is missing or damaged.'];
  const lines = ['  Contents:'];
  for (const [key, label] of ROWS) {
    const { count, note } = contents[key];
    lines.push(`    ${`${label}:`.padEnd(10)}${count === null ? 'unknown' : count.toLocaleString('en-US')}${note ? ` (${note})` : ''}`);
  }
  return lines;
}

/**
 * `backup.describe` for `lifeline backups show`: an encrypted backup is opened with --password-file, or with the
 * password typed at a hidden prompt (Enter skips); never echoed or logged.
 */
export async function describeWithPassword(
  api: LifelineApi,
  output: Output,
  backupId: string,
  options: { dir?: string; passwordFile?: string },
): Promise<{ backup: BackupDetails; contents: BackupContents }> {
  const where = options.dir !== undefined ? { directory: options.dir } : {};
  if (options.passwordFile !== undefined)
    return api.invoke('backup.describe', { backupId, ...where, password: await readPasswordFile(options.passwordFile) });
  const first = await api.invoke('backup.describe', { backupId, ...where });
  if (first.contents.manifest !== 'password-needed' || !output.askSecret) return first;
  let password: string;
  try {
    password = await output.askSecret('This backup is encrypted. Its password, to count what it holds (not shown; Enter to skip): ');
  } catch (error) {
    if (error instanceof PromptCancelledError) return first;
    throw error;
  }
  if (password.length === 0) return first;
  if (!output.json) output.err('Opening the backup (a real backup takes a few seconds)…');
  return api.invoke('backup.describe', { backupId, ...where, password });
}
