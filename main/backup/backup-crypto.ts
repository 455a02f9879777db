import { createCipheriv, createDecipheriv, pbkdf2, randomBytes, type Cipher, type Decipher } from 'node:crypto';
import { BACKUP_KEYBAG_TYPE, WRAP_WITH_PASSWORD, type BackupKeybag } from './backup-keybag';

/**
 * The keys and ciphers of an encrypted iOS backup (docs/protocols/backup-encryption.md): password → key,
 * class keys unwrapped with RFC 3394 AES key wrap, item keys (ManifestKey, each file's EncryptionKey) unwrapped
 * with their class key, and AES-256-CBC with a zero IV for Manifest.db and file payloads. The phone's side
 * (making a keybag, wrapping, encrypting) is here too so the virtual phone writes exactly what we read.
 */

export class BackupCryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupCryptoError';
  }
}

/** RFC 3394 section 2.2.3.1: the default initial value, checked again on unwrap. */
const KEY_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const ZERO_IV = Buffer.alloc(16);
const AES_BLOCK = 16;
/** More than any person types; bounds the hashing of a hostile or mistaken input. */
export const MAX_BACKUP_PASSWORD_BYTES = 4096;

/** RFC 3394 AES key wrap of `key` (a multiple of 8 bytes) under a 256-bit `kek`. */
export function wrapKey(kek: Buffer, key: Buffer): Buffer {
  const cipher = createCipheriv('id-aes256-wrap', kek, KEY_WRAP_IV);
  return Buffer.concat([cipher.update(key), cipher.final()]);
}

/** RFC 3394 unwrap; undefined when the integrity check fails (wrong key, or altered bytes). */
export function unwrapKey(kek: Buffer, wrapped: Buffer): Buffer | undefined {
  if (kek.length !== 32 || wrapped.length < 24 || wrapped.length % 8 !== 0) return undefined;
  try {
    const decipher = createDecipheriv('id-aes256-wrap', kek, KEY_WRAP_IV);
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch {
    return undefined;
  }
}

function pbkdf2Async(password: Buffer, salt: Buffer, rounds: number, digest: 'sha1' | 'sha256'): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, rounds, 32, digest, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

function passwordBytes(password: string): Buffer {
  const bytes = Buffer.from(password, 'utf8');
  if (bytes.length === 0) throw new BackupCryptoError('The backup password is empty');
  if (bytes.length > MAX_BACKUP_PASSWORD_BYTES) throw new BackupCryptoError('The backup password is longer than any backup password');
  return bytes;
}

/**
 * docs/protocols/backup-encryption.md#password-to-key: PBKDF2-SHA256 with DPSL/DPIC (iOS 10.2 and later), then
 * PBKDF2-SHA1 with SALT/ITER. Runs on the thread pool; the signal is honoured between the two steps.
 */
export async function passwordKey(
  password: string,
  bag: Pick<BackupKeybag, 'salt' | 'iterations' | 'passwordSalt' | 'passwordIterations'>,
  signal?: AbortSignal,
): Promise<Buffer> {
  let secret = passwordBytes(password);
  signal?.throwIfAborted();
  if (bag.passwordSalt !== undefined && bag.passwordIterations !== undefined) {
    secret = await pbkdf2Async(secret, bag.passwordSalt, bag.passwordIterations, 'sha256');
    signal?.throwIfAborted();
  }
  const key = await pbkdf2Async(secret, bag.salt, bag.iterations, 'sha1');
  signal?.throwIfAborted();
  return key;
}

/** The class keys a password opened, by protection class. */
export type UnlockedKeybag = { readonly classKeys: ReadonlyMap<number, Buffer> };

/** Unwraps every password-wrapped class key; undefined when the password is not this keybag's. */
export async function unlockBackupKeybag(
  bag: BackupKeybag,
  password: string,
  options: { signal?: AbortSignal } = {},
): Promise<UnlockedKeybag | undefined> {
  const key = await passwordKey(password, bag, options.signal);
  const classKeys = new Map<number, Buffer>();
  for (const classKey of bag.classKeys) {
    if ((classKey.wrap & WRAP_WITH_PASSWORD) === 0) continue;
    const opened = unwrapKey(key, classKey.wrappedKey);
    if (!opened || opened.length !== 32) return undefined;
    classKeys.set(classKey.protectionClass, opened);
  }
  return classKeys.size > 0 ? { classKeys } : undefined;
}

/** An item key as Manifest.plist (ManifestKey) and MBFile (EncryptionKey) hold it: 4-byte little-endian class, then the wrapped key. */
export function unwrapItemKey(keybag: UnlockedKeybag, item: Uint8Array): Buffer {
  if (item.length !== 44) throw new BackupCryptoError(`An item key is ${item.length} bytes, not 44`);
  const bytes = Buffer.from(item);
  const protectionClass = bytes.readUInt32LE(0);
  const classKey = keybag.classKeys.get(protectionClass);
  if (!classKey) throw new BackupCryptoError(`No class key for protection class ${protectionClass}`);
  const key = unwrapKey(classKey, bytes.subarray(4));
  if (!key || key.length !== 32) throw new BackupCryptoError(`The key of class ${protectionClass} does not open this item key`);
  return key;
}

export function wrapItemKey(keybag: UnlockedKeybag, protectionClass: number, key: Buffer): Buffer {
  const classKey = keybag.classKeys.get(protectionClass);
  if (!classKey) throw new BackupCryptoError(`No class key for protection class ${protectionClass}`);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(protectionClass);
  return Buffer.concat([head, wrapKey(classKey, key)]);
}

/** AES-256-CBC, zero IV, PKCS#7: how the phone encrypts a file's payload (and Manifest.db). */
export function createBackupCipher(key: Buffer): Cipher {
  return createCipheriv('aes-256-cbc', key, ZERO_IV);
}

/** The inverse of createBackupCipher; `final()` throws on bad padding (a wrong key, or a damaged file). */
export function createBackupDecipher(key: Buffer): Decipher {
  return createDecipheriv('aes-256-cbc', key, ZERO_IV);
}

/** Bytes a payload of `size` bytes takes once encrypted. */
export function encryptedSize(size: number): number {
  return (Math.floor(size / AES_BLOCK) + 1) * AES_BLOCK;
}

export function encryptBackupBytes(key: Buffer, plain: Buffer): Buffer {
  const cipher = createBackupCipher(key);
  return Buffer.concat([cipher.update(plain), cipher.final()]);
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * docs/protocols/backup-encryption.md#manifest-database: Manifest.db decrypted whole. The plaintext is a run of
 * SQLite pages, so PKCS#7 padding is removed when present and tolerated when the phone left none.
 */
export function decryptManifestDb(key: Buffer, encrypted: Buffer): Buffer {
  if (encrypted.length === 0 || encrypted.length % AES_BLOCK !== 0)
    throw new BackupCryptoError('Manifest.db is not a whole number of AES blocks');
  const decipher = createBackupDecipher(key);
  decipher.setAutoPadding(false);
  let plain = Buffer.concat([decipher.update(encrypted), decipher.final()]);
  const pad = plain[plain.length - 1]!;
  if (pad >= 1 && pad <= AES_BLOCK && (plain.length - pad) % 512 === 0 && plain.subarray(plain.length - pad).every((b) => b === pad)) {
    plain = plain.subarray(0, plain.length - pad);
  }
  if (!plain.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC))
    throw new BackupCryptoError('Manifest.db did not decrypt to a SQLite database');
  return plain;
}

export type KeybagRounds = { sha1Rounds: number; sha256Rounds: number };
/** What iOS 10.2 and later write; the virtual phone takes fewer so tests stay quick. */
export const IOS_KEYBAG_ROUNDS: KeybagRounds = Object.freeze({ sha1Rounds: 10_000, sha256Rounds: 10_000_000 });
/** The data-protection classes a backup keybag carries keys for. */
export const BACKUP_PROTECTION_CLASSES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;

/** What a phone does when a backup password is set: fresh class keys, wrapped under a key from the password. */
export async function createBackupKeybag(
  password: string,
  rounds: KeybagRounds = IOS_KEYBAG_ROUNDS,
): Promise<{ keybag: BackupKeybag; unlocked: UnlockedKeybag }> {
  const header = {
    salt: randomBytes(20),
    iterations: rounds.sha1Rounds,
    passwordSalt: randomBytes(20),
    passwordIterations: rounds.sha256Rounds,
  };
  const key = await passwordKey(password, header);
  const classKeys = new Map<number, Buffer>();
  const keybag: BackupKeybag = {
    version: 4,
    type: BACKUP_KEYBAG_TYPE,
    uuid: randomBytes(16),
    wrap: 0,
    ...header,
    passwordWrap: 1,
    hmacKey: randomBytes(40),
    classKeys: BACKUP_PROTECTION_CLASSES.map((protectionClass) => {
      const classKey = randomBytes(32);
      classKeys.set(protectionClass, classKey);
      return { uuid: randomBytes(16), protectionClass, wrap: WRAP_WITH_PASSWORD, keyType: 0, wrappedKey: wrapKey(key, classKey) };
    }),
  };
  return { keybag, unlocked: { classKeys } };
}
