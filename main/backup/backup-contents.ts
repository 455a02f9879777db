import type { BackupContents, ContentCount } from '../../common/contract/backup-contents';
import { BackupOpenError, openBackup, type BackupFileRecord, type OpenedBackup } from './backup-manifest';
import { SqliteFileError, openSqliteFile } from './sqlite-file';

/**
 * What a backup holds, counted the way people think of it (docs/protocols/mobilebackup2.md#reading-a-backups-contents):
 * camera roll photos and videos and apps from Manifest.db's rows; messages, contacts and notes by counting rows of
 * the phone's own databases inside the backup (decrypted when the backup is encrypted). Read-only; a count that
 * cannot be made is null with the reason, never a guess.
 */

const PHOTO = /\.(heic|heif|jpe?g|png|gif|dng|tiff?|webp)$/i;
const VIDEO = /\.(mov|mp4|m4v|3gp|avi)$/i;
/** Camera roll files only: `Media/DCIM/<folder>/<name>`, not the Photos library's thumbnails and caches. */
const DCIM_FILE = /^Media\/DCIM\/[^/]+\/[^/]+$/;
/** A database larger than this is not read into memory to be counted. */
export const MAX_COUNTED_DATABASE_BYTES = 512 * 1024 * 1024;

type DatabaseSource = { domain: string; relativePath: string; table: string };

/** Where each database lives and which table holds one row per thing; the first one present is used. */
export const COUNTED_DATABASES = {
  messages: [{ domain: 'HomeDomain', relativePath: 'Library/SMS/sms.db', table: 'message' }],
  contacts: [{ domain: 'HomeDomain', relativePath: 'Library/AddressBook/AddressBook.sqlitedb', table: 'ABPerson' }],
  notes: [
    { domain: 'AppDomainGroup-group.com.apple.notes', relativePath: 'NoteStore.sqlite', table: 'ZICNOTEDATA' },
    // Before iOS 9 Notes kept its database in the home folder.
    { domain: 'HomeDomain', relativePath: 'Library/Notes/notes.sqlite', table: 'ZNOTE' },
  ],
} as const satisfies Record<string, readonly DatabaseSource[]>;

const NAMES = { messages: 'Messages', contacts: 'Contacts', notes: 'Notes' } as const;

function unknown(note: string): ContentCount {
  return { count: null, note };
}

/** Every count unknown, for the same reason. */
function allUnknown(manifest: BackupContents['manifest'], note: string): BackupContents {
  const count = unknown(note);
  return { manifest, photos: count, videos: count, messages: count, contacts: count, notes: count, apps: count };
}

/**
 * Counts what the backup folder holds. Without `password` an encrypted backup's counts are null ('password-needed');
 * a wrong password rejects with BackupOpenError('wrong-password').
 */
export async function describeBackupContents(
  folder: string,
  options: { password?: string; signal?: AbortSignal } = {},
): Promise<BackupContents> {
  let opened: OpenedBackup;
  try {
    opened = await openBackup(folder, options);
  } catch (error) {
    if (!(error instanceof BackupOpenError)) throw error;
    if (error.kind === 'password-needed')
      return allUnknown('password-needed', 'The backup is encrypted: its password is needed to count what is inside.');
    if (error.kind === 'wrong-password') throw error;
    return allUnknown('unreadable', 'The backup’s list of files (Manifest.db) is missing or damaged.');
  }
  const files = opened.records.filter((record) => record.flags === 1);
  const cameraRoll = files.filter((record) => record.domain === 'CameraRollDomain' && DCIM_FILE.test(record.relativePath));
  const apps = new Set(opened.records.filter((record) => record.domain.startsWith('AppDomain-')).map((record) => record.domain));
  return {
    manifest: 'read',
    photos: {
      count: cameraRoll.filter((record) => PHOTO.test(record.relativePath)).length,
      note: 'A Live Photo counts once here and once among the videos. Photos kept only in iCloud are not in a backup.',
    },
    videos: { count: cameraRoll.filter((record) => VIDEO.test(record.relativePath)).length, note: null },
    messages: await countDatabase(opened, files, 'messages', options.signal),
    contacts: await countDatabase(opened, files, 'contacts', options.signal),
    notes: await countDatabase(opened, files, 'notes', options.signal),
    apps: { count: apps.size, note: null },
  };
}

async function countDatabase(
  opened: OpenedBackup,
  files: readonly BackupFileRecord[],
  what: keyof typeof COUNTED_DATABASES,
  signal: AbortSignal | undefined,
): Promise<ContentCount> {
  const name = NAMES[what];
  for (const source of COUNTED_DATABASES[what]) {
    const record = files.find((file) => file.domain === source.domain && file.relativePath === source.relativePath);
    if (!record) continue;
    if (record.size !== undefined && record.size > MAX_COUNTED_DATABASE_BYTES)
      return unknown(`${name}’ database is too large to count here.`);
    let bytes: Buffer;
    try {
      bytes = await readWhole(opened, record, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      return unknown(`${name}’ database in the backup could not be read.`);
    }
    if (bytes.length === 0) return { count: 0, note: null };
    let count: number;
    try {
      count = openSqliteFile(bytes).countRows(source.table);
    } catch (error) {
      if (!(error instanceof SqliteFileError)) throw error;
      return unknown(`${name}’ database in the backup is damaged or of an unknown kind.`);
    }
    const journal = files.find((file) => file.domain === source.domain && file.relativePath === `${source.relativePath}-wal`);
    const note =
      journal && (journal.size ?? 0) > 0
        ? `At least this many: the newest ones may still be in ${name}’ journal, which is not counted.`
        : null;
    return { count, note };
  }
  return { count: 0, note: `This backup holds no ${name} database.` };
}

async function readWhole(opened: OpenedBackup, record: BackupFileRecord, signal: AbortSignal | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of opened.readFile(record, signal ? { signal } : {})) {
    length += chunk.length;
    if (length > MAX_COUNTED_DATABASE_BYTES) throw new RangeError('database too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}
