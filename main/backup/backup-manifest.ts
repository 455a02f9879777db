import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BackupCryptoError,
  createBackupDecipher,
  decryptManifestDb,
  unlockBackupKeybag,
  unwrapItemKey,
  type UnlockedKeybag,
} from './backup-crypto';
import { BackupKeybagError, parseBackupKeybag, type BackupKeybag } from './backup-keybag';
import { readPlistFile } from './backup-store';
import { readManifestDb, readMbFile, type ManifestEntry } from './manifest-db';

/**
 * A backup folder's contents as its Manifest.db lists them, encrypted or not: the offline password check,
 * Manifest.db opened (decrypted when needed), and each file's bytes read back (decrypted when needed).
 * docs/protocols/backup-encryption.md
 */

const MAX_MANIFEST_DB_BYTES = 1024 * 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;
const FILE_ID = /^[0-9a-f]{40}$/;

export type BackupOpenErrorKind =
  /** Manifest.plist is missing, unreadable, or its keybag / ManifestKey is malformed. */
  | 'unreadable'
  /** The backup is not encrypted, so it has no password. */
  | 'not-encrypted'
  /** An encrypted backup was opened without a password. */
  | 'password-needed'
  /** The password does not open the keybag. */
  | 'wrong-password'
  /** Manifest.db or a file does not decrypt or does not match its record. */
  | 'damaged';

export class BackupOpenError extends Error {
  constructor(
    readonly kind: BackupOpenErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'BackupOpenError';
  }
}

/** The encryption facts Manifest.plist holds. */
export type BackupEncryption = { encrypted: false } | { encrypted: true; keybag: BackupKeybag; manifestKey: Buffer | undefined };

/** Reads Manifest.plist's IsEncrypted, BackupKeyBag and ManifestKey (parsed, not yet opened). */
export async function readBackupEncryption(folder: string): Promise<BackupEncryption> {
  const manifest = await readPlistFile(join(folder, 'Manifest.plist'));
  if (!manifest) throw new BackupOpenError('unreadable', 'Manifest.plist is missing or unreadable');
  if (manifest.IsEncrypted !== true) return { encrypted: false };
  const bag = manifest.BackupKeyBag;
  if (!(bag instanceof Uint8Array)) throw new BackupOpenError('unreadable', 'Manifest.plist has no BackupKeyBag');
  let keybag: BackupKeybag;
  try {
    keybag = parseBackupKeybag(Buffer.from(bag));
  } catch (error) {
    if (error instanceof BackupKeybagError) throw new BackupOpenError('unreadable', `The backup keybag is damaged: ${error.message}`);
    throw error;
  }
  const manifestKey = manifest.ManifestKey;
  if (manifestKey !== undefined && !(manifestKey instanceof Uint8Array && manifestKey.length === 44)) {
    throw new BackupOpenError('unreadable', 'ManifestKey is not a 44-byte wrapped key');
  }
  return { encrypted: true, keybag, manifestKey: manifestKey === undefined ? undefined : Buffer.from(manifestKey) };
}

/**
 * The offline password check: true when `password` opens the backup's keybag. No phone involved; costs what the
 * keybag's PBKDF2 rounds cost (seconds for a real iPhone's), on the thread pool.
 */
export async function checkBackupPassword(folder: string, password: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
  const encryption = await readBackupEncryption(folder);
  if (!encryption.encrypted) throw new BackupOpenError('not-encrypted', 'This backup is not encrypted, so it has no password');
  return (await unlock(encryption.keybag, password, options.signal)) !== undefined;
}

async function unlock(keybag: BackupKeybag, password: string, signal: AbortSignal | undefined): Promise<UnlockedKeybag | undefined> {
  try {
    return await unlockBackupKeybag(keybag, password, signal ? { signal } : {});
  } catch (error) {
    if (error instanceof BackupCryptoError) throw new BackupOpenError('wrong-password', error.message);
    throw error;
  }
}

/** One Files row with what its MBFile record says. */
export type BackupFileRecord = ManifestEntry & {
  /** Plaintext size (MBFile Size), when recorded. */
  size: number | undefined;
  protectionClass: number | undefined;
  /** Encrypted backups: 4-byte class + wrapped key. */
  encryptionKey: Buffer | undefined;
};

export type OpenedBackup = {
  folder: string;
  encrypted: boolean;
  /** Every Files row (files, folders, links). */
  records: BackupFileRecord[];
  /** The decrypted Manifest.db bytes (a SQLite file), for readers that want more than the Files rows. */
  manifestDb: Buffer;
  /** A file's plaintext bytes, streamed; checks the length against the record. Only for regular files (flags 1). */
  readFile(record: BackupFileRecord, options?: { signal?: AbortSignal }): AsyncGenerator<Buffer>;
};

export type OpenBackupOptions = { password?: string; signal?: AbortSignal; maxRows?: number };

/** Opens a backup folder's Manifest.db, decrypting it with `password` when the backup is encrypted. */
export async function openBackup(folder: string, options: OpenBackupOptions = {}): Promise<OpenedBackup> {
  const encryption = await readBackupEncryption(folder);
  const dbPath = join(folder, 'Manifest.db');
  const info = await stat(dbPath).catch(() => undefined);
  if (!info?.isFile()) throw new BackupOpenError('unreadable', 'Manifest.db is missing');
  if (info.size > MAX_MANIFEST_DB_BYTES) throw new BackupOpenError('unreadable', 'Manifest.db is too large to open');
  let db: Buffer = await readFile(dbPath);
  let keybag: UnlockedKeybag | undefined;
  if (encryption.encrypted) {
    if (options.password === undefined)
      throw new BackupOpenError('password-needed', 'This backup is encrypted: its password is needed to open it');
    keybag = await unlock(encryption.keybag, options.password, options.signal);
    if (!keybag) throw new BackupOpenError('wrong-password', 'The password does not open this backup');
    if (!encryption.manifestKey) throw new BackupOpenError('unreadable', 'Manifest.plist has no ManifestKey');
    try {
      db = decryptManifestDb(unwrapItemKey(keybag, encryption.manifestKey), db);
    } catch (error) {
      if (error instanceof BackupCryptoError) throw new BackupOpenError('damaged', error.message);
      throw error;
    }
  }
  let entries: ManifestEntry[];
  try {
    entries = readManifestDb(db, { maxRows: options.maxRows ?? 10_000_000 });
  } catch (error) {
    throw new BackupOpenError('damaged', `Manifest.db cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const records = entries.map((entry): BackupFileRecord => {
    const facts = readMbFile(entry.file);
    return { ...entry, size: facts?.size, protectionClass: facts?.protectionClass, encryptionKey: facts?.encryptionKey };
  });
  const unlocked = keybag;
  return {
    folder,
    encrypted: encryption.encrypted,
    records,
    manifestDb: db,
    readFile: (record, readOptions = {}) => readBackupFile(folder, record, unlocked, readOptions.signal),
  };
}

/** Where a record's payload lives: `<folder>/<first two hex>/<fileID>`, only for a well-formed fileID. */
export function storedFilePath(folder: string, fileID: string): string {
  if (!FILE_ID.test(fileID)) throw new BackupOpenError('damaged', 'Manifest.db names a file with a malformed fileID');
  return join(folder, fileID.slice(0, 2), fileID);
}

async function* readBackupFile(
  folder: string,
  record: BackupFileRecord,
  keybag: UnlockedKeybag | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  if (record.flags !== 1) throw new BackupOpenError('damaged', `${record.domain}/${record.relativePath} is not a regular file`);
  const path = storedFilePath(folder, record.fileID);
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES, ...(signal ? { signal } : {}) }) as AsyncIterable<Buffer>;
  let produced = 0;
  if (!keybag) {
    for await (const chunk of stream) {
      produced += chunk.length;
      yield chunk;
    }
  } else {
    if (!record.encryptionKey) throw new BackupOpenError('damaged', `${record.domain}/${record.relativePath} has no EncryptionKey`);
    let decipher;
    try {
      decipher = createBackupDecipher(unwrapItemKey(keybag, record.encryptionKey));
    } catch (error) {
      if (error instanceof BackupCryptoError)
        throw new BackupOpenError('damaged', `${record.domain}/${record.relativePath}: ${error.message}`);
      throw error;
    }
    for await (const chunk of stream) {
      const plain = decipher.update(chunk);
      produced += plain.length;
      if (plain.length > 0) yield plain;
    }
    let last: Buffer;
    try {
      last = decipher.final();
    } catch {
      throw new BackupOpenError('damaged', `${record.domain}/${record.relativePath} does not decrypt (bad padding)`);
    }
    produced += last.length;
    if (last.length > 0) yield last;
  }
  if (record.size !== undefined && produced !== record.size) {
    throw new BackupOpenError('damaged', `${record.domain}/${record.relativePath} holds ${produced} bytes, its record says ${record.size}`);
  }
}
