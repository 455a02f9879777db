import { gzipSync } from 'node:zlib';
import { buildSqliteFile, type SqliteValue } from '../backup/sqlite-file';

/**
 * The things people care about on the virtual phone, where a real iPhone keeps them in a backup
 * (docs/protocols/mobilebackup2.md#reading-a-backups-contents): camera roll photos and videos under `Media/DCIM`,
 * Messages' sms.db, the address book, Notes' NoteStore.sqlite, each database a real SQLite file generated here.
 * Deterministic for a given set of counts, so a test knows exactly what a backup of the phone holds.
 */

export type PersonalDataCounts = { photos: number; videos: number; messages: number; contacts: number; notes: number };

/** One personal file: its backup domain and path, and its bytes (databases) or only its size (media, generated content). */
export type PersonalFile = { domain: string; relativePath: string } & ({ bytes: Buffer } | { size: number });

export const SMS_DB = { domain: 'HomeDomain', relativePath: 'Library/SMS/sms.db' } as const;
export const ADDRESS_BOOK_DB = { domain: 'HomeDomain', relativePath: 'Library/AddressBook/AddressBook.sqlitedb' } as const;
export const NOTE_STORE_DB = { domain: 'AppDomainGroup-group.com.apple.notes', relativePath: 'NoteStore.sqlite' } as const;

const PHOTO_TYPES = ['HEIC', 'JPG', 'PNG'] as const;
const VIDEO_TYPES = ['MOV', 'MP4'] as const;
const FIRST_NAMES = ['Anna', 'Ben', 'Chloé', 'Dev', 'Emeka', 'Fatima', 'Georg', 'Hana', 'Ivan', 'Júlia', 'Kofi', 'Lena'];
const LAST_NAMES = ['Okafor', 'Schmidt', 'Nakamura', 'Silva', 'Novak', 'Haddad', 'Jensen', 'Moreau', 'Kowalski', 'Lindqvist'];
const WORDS = [
  'on my way',
  'see you at six',
  'thanks!',
  'can you call me?',
  'running late',
  'happy birthday',
  'where are the keys',
  'ok',
  'lunch tomorrow?',
  'photo from today',
];
/** Seconds from 1970 to Apple's reference date (2001-01-01), which Messages and Core Data count from. */
const APPLE_EPOCH = 978_307_200;
const BASE_DATE = Date.UTC(2024, 0, 1) / 1000 - APPLE_EPOCH;

/** Every personal file for these counts; databases are written even when empty (a real phone always has them). */
export function personalFiles(counts: PersonalDataCounts): PersonalFile[] {
  const files: PersonalFile[] = [];
  for (let i = 0; i < counts.photos; i++)
    files.push({
      domain: 'CameraRollDomain',
      relativePath: dcimPath(i, PHOTO_TYPES[i % PHOTO_TYPES.length]!),
      size: 150_000 + ((i * 7919) % 50_000),
    });
  for (let i = 0; i < counts.videos; i++) {
    files.push({
      domain: 'CameraRollDomain',
      relativePath: dcimPath(counts.photos + i, VIDEO_TYPES[i % VIDEO_TYPES.length]!),
      size: 600_000 + ((i * 104_729) % 400_000),
    });
  }
  files.push({ ...SMS_DB, bytes: smsDb(counts.messages) });
  files.push({ ...ADDRESS_BOOK_DB, bytes: addressBookDb(counts.contacts) });
  files.push({ ...NOTE_STORE_DB, bytes: noteStoreDb(counts.notes) });
  return files;
}

/** Camera roll names as the phone makes them: IMG_0001.HEIC in 100APPLE, a new folder every thousand. */
function dcimPath(index: number, type: string): string {
  const number = index + 1;
  return `Media/DCIM/${100 + Math.floor(number / 1000)}APPLE/IMG_${String(number % 10_000).padStart(4, '0')}.${type}`;
}

function smsDb(messages: number): Buffer {
  const handles = Math.min(Math.max(1, Math.ceil(messages / 20)), 500);
  const handleRows: SqliteValue[][] = [];
  for (let h = 0; h < handles; h++) handleRows.push([null, `+44 7700 9${String(h).padStart(5, '0')}`, h % 3 === 0 ? 'SMS' : 'iMessage']);
  const messageRows: SqliteValue[][] = [];
  for (let m = 0; m < messages; m++) {
    const guid = `00000000-0000-4000-8000-${String(m).padStart(12, '0')}`;
    messageRows.push([
      null,
      guid,
      WORDS[m % WORDS.length]!,
      (m % handles) + 1,
      m % 3 === 0 ? 'SMS' : 'iMessage',
      BASE_DATE + m * 600,
      m % 2,
    ]);
  }
  return buildSqliteFile([
    { name: 'handle', sql: 'CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT NOT NULL, service TEXT NOT NULL)', rows: handleRows },
    {
      name: 'message',
      sql: 'CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT NOT NULL, text TEXT, handle_id INTEGER DEFAULT 0, service TEXT, date INTEGER, is_from_me INTEGER DEFAULT 0)',
      rows: messageRows,
    },
  ]);
}

function addressBookDb(contacts: number): Buffer {
  const rows: SqliteValue[][] = [];
  for (let c = 0; c < contacts; c++) {
    rows.push([
      null,
      FIRST_NAMES[c % FIRST_NAMES.length]!,
      LAST_NAMES[Math.floor(c / FIRST_NAMES.length) % LAST_NAMES.length]!,
      null,
      BASE_DATE + c * 86_400,
      BASE_DATE + c * 86_400,
    ]);
  }
  return buildSqliteFile([
    {
      name: 'ABPerson',
      sql: 'CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY, First TEXT, Last TEXT, Organization TEXT, CreationDate INTEGER, ModificationDate INTEGER)',
      rows,
    },
  ]);
}

function noteStoreDb(notes: number): Buffer {
  const rows: SqliteValue[][] = [];
  for (let n = 0; n < notes; n++)
    rows.push([null, 8, 1, n + 1, gzipSync(Buffer.from(`Note ${n + 1}: ${WORDS[n % WORDS.length]!}`, 'utf8'))]);
  return buildSqliteFile([
    {
      name: 'ZICNOTEDATA',
      sql: 'CREATE TABLE ZICNOTEDATA (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZNOTE INTEGER, ZDATA BLOB)',
      rows,
    },
  ]);
}
