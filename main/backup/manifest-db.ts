import { decodePlist, encodeBinaryPlist } from '../plist/plist-codec';
import { PlistUid, isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { buildSqliteFile, openSqliteFile } from './sqlite-file';

/**
 * Manifest.db (docs/protocols/mobilebackup2.md#manifest-database): the schema iOS 10+ uses, written and read with
 * the project's own SQLite file code (main/backup/sqlite-file.ts). Built in memory (a few hundred bytes per file).
 * Our paths and MBFile blobs are far below the ~1 KB index / ~4 KB table row limits of a file without overflow pages.
 */

export type ManifestRecord = {
  fileID: string;
  domain: string;
  relativePath: string;
  /** 1 file, 2 directory, 4 symlink. */
  flags: 1 | 2 | 4;
  size: number;
  mode: number;
  mtime: Date;
  /** Encrypted backups: the file's data-protection class and its wrapped key (docs/protocols/backup-encryption.md#file-records). */
  protectionClass?: number;
  encryptionKey?: Buffer;
};

/** The NSKeyedArchiver MBFile blob stored in Files.file. */
export function mbFileArchive(record: ManifestRecord): Buffer {
  const seconds = Math.floor(record.mtime.getTime() / 1000);
  const objects: PlistValue[] = ['$null'];
  const mbFile: PlistDict = {
    $class: new PlistUid(0),
    Birth: seconds,
    Flags: 0,
    GroupID: 501,
    InodeNumber: Number.parseInt(record.fileID.slice(0, 8), 16),
    LastModified: seconds,
    LastStatusChange: seconds,
    Mode: record.mode,
    ProtectionClass: record.protectionClass ?? (record.flags === 1 ? 3 : 0),
    RelativePath: new PlistUid(2),
    Size: record.flags === 1 ? record.size : 0,
    UserID: 501,
  };
  objects.push(mbFile, record.relativePath);
  if (record.encryptionKey) {
    mbFile.EncryptionKey = new PlistUid(objects.length);
    objects.push({ 'NS.data': record.encryptionKey, $class: new PlistUid(objects.length + 1) });
    objects.push({ $classes: ['NSMutableData', 'NSData', 'NSObject'], $classname: 'NSMutableData' });
  }
  mbFile.$class = new PlistUid(objects.length);
  objects.push({ $classes: ['MBFile', 'NSObject'], $classname: 'MBFile' });
  return encodeBinaryPlist({
    $archiver: 'NSKeyedArchiver',
    $objects: objects,
    $top: { root: new PlistUid(1) },
    $version: 100000,
  });
}

export function buildManifestDb(records: readonly ManifestRecord[]): Buffer {
  return buildSqliteFile([
    {
      name: 'Files',
      sql: 'CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB)',
      rows: records.map((r) => [r.fileID, r.domain, r.relativePath, r.flags, mbFileArchive(r)]),
      indexes: [
        { name: 'sqlite_autoindex_Files_1', sql: null, column: 0 },
        { name: 'FilesDomainIdx', sql: 'CREATE INDEX FilesDomainIdx ON Files(domain)', column: 1 },
        { name: 'FilesRelativePathIdx', sql: 'CREATE INDEX FilesRelativePathIdx ON Files(relativePath)', column: 2 },
        { name: 'FilesFlagsIdx', sql: 'CREATE INDEX FilesFlagsIdx ON Files(flags)', column: 3 },
      ],
    },
    {
      name: 'Properties',
      sql: 'CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB)',
      rows: [],
      indexes: [{ name: 'sqlite_autoindex_Properties_1', sql: null, column: 0 }],
    },
  ]);
}

export type ManifestEntry = { fileID: string; domain: string; relativePath: string; flags: number; file: Buffer | undefined };

/** Reads the Files table of a Manifest.db (any SQLite 3 file with that table), bounded and cycle-safe; throws SqliteFileError. */
export function readManifestDb(db: Buffer, options: { maxRows?: number } = {}): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  openSqliteFile(db).rows(
    'Files',
    ([fileID, domain, relativePath, flags, file]) => {
      if (typeof fileID !== 'string' || typeof domain !== 'string' || typeof relativePath !== 'string') return;
      entries.push({
        fileID,
        domain,
        relativePath,
        flags: typeof flags === 'number' ? flags : 0,
        file: Buffer.isBuffer(file) ? file : undefined,
      });
    },
    { maxRows: options.maxRows ?? 10_000_000 },
  );
  return entries;
}

/** What an MBFile archive says about one file: its plaintext size and, in encrypted backups, its class and wrapped key. */
export type MbFileFacts = { size: number | undefined; protectionClass: number | undefined; encryptionKey: Buffer | undefined };

/** Reads an MBFile archive blob (hostile: bounded, every field checked); undefined when it is not one. */
export function readMbFile(blob: Buffer | undefined): MbFileFacts | undefined {
  if (!blob) return undefined;
  try {
    const archive = decodePlist(blob, { maxBytes: 64 * 1024, maxObjects: 1000 });
    if (!isPlistDict(archive) || !Array.isArray(archive.$objects) || !isPlistDict(archive.$top)) return undefined;
    const objects = archive.$objects;
    const deref = (value: PlistValue | undefined): PlistValue | undefined => (value instanceof PlistUid ? objects[value.value] : value);
    const object = deref(archive.$top.root);
    if (!isPlistDict(object)) return undefined;
    const size = typeof object.Size === 'number' && Number.isSafeInteger(object.Size) && object.Size >= 0 ? object.Size : undefined;
    const protectionClass =
      typeof object.ProtectionClass === 'number' && Number.isSafeInteger(object.ProtectionClass) ? object.ProtectionClass : undefined;
    const keyObject = deref(object.EncryptionKey);
    const keyData = isPlistDict(keyObject) ? keyObject['NS.data'] : keyObject;
    const encryptionKey = keyData instanceof Uint8Array ? Buffer.from(keyData) : undefined;
    return { size, protectionClass, encryptionKey };
  } catch {
    return undefined;
  }
}

/** Size recorded in an MBFile archive blob, if readable. */
export function mbFileSize(blob: Buffer | undefined): number | undefined {
  return readMbFile(blob)?.size;
}
