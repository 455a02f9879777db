import { randomBytes } from 'node:crypto';
import {
  createBackupCipher,
  createBackupDecipher,
  createBackupKeybag,
  decryptManifestDb,
  encryptBackupBytes,
  unlockBackupKeybag,
  unwrapItemKey,
  wrapItemKey,
  type UnlockedKeybag,
} from '../../backup/backup-crypto';
import { encodeBackupKeybag, parseBackupKeybag } from '../../backup/backup-keybag';
import type { Cipher, Decipher } from 'node:crypto';
import type { Scenario } from '../scenario';

/**
 * The virtual phone's backup encryption (docs/protocols/backup-encryption.md): whether "encrypt backups" is on,
 * the keybag made when the password was set, and what the phone does with it — encrypt a backup as it sends it,
 * check the old password on ChangePassword, decrypt a backup it restores.
 */

/** A phone whose scenario turns encryption on without naming a password uses this one. */
export const DEFAULT_PRACTICE_BACKUP_PASSWORD = 'lifeline';
/** The class whose key wraps ManifestKey on this phone. */
const MANIFEST_KEY_CLASS = 4;
/** Files of these domains get class 1 (available only while unlocked); the rest class 3 (after first unlock). */
const CLASS_ONE_DOMAINS = new Set(['KeychainDomain', 'HealthDomain']);
const MAX_PASSWORD_LENGTH = 1024;

/** The phone refused a password change or a restore: MBErrorDomain code and words. */
export class BackupPasswordRefused extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'BackupPasswordRefused';
  }
}

/** What the sim answers for a wrong backup password (the code real phones use is not documented). */
export const WRONG_PASSWORD_CODE = 207;

type PhoneKeys = { keybag: Buffer; unlocked: UnlockedKeybag };
export type PasswordChange = 'enabled' | 'disabled' | 'changed';

export class PhoneBackupEncryption {
  private keys: Promise<PhoneKeys> | undefined;

  constructor(private readonly scenario: Scenario) {}

  get enabled(): boolean {
    return this.scenario.backupEncryption;
  }

  /** docs/protocols/backup-encryption.md#changing-the-password: enable = new only, disable = old only, change = both. */
  async changePassword(oldPassword: unknown, newPassword: unknown): Promise<PasswordChange> {
    const old = passwordArgument(oldPassword, 'OldPassword');
    const next = passwordArgument(newPassword, 'NewPassword');
    if (old === undefined && next === undefined)
      throw new BackupPasswordRefused(1, 'ChangePassword needs OldPassword, NewPassword or both');
    if (old === undefined) {
      if (this.enabled) throw new BackupPasswordRefused(WRONG_PASSWORD_CODE, 'Backup encryption is on: the old password is needed');
      await this.setPassword(next!);
      return 'enabled';
    }
    if (!this.enabled) throw new BackupPasswordRefused(1, 'Backup encryption is not on');
    const { keybag } = await this.current();
    if (!(await unlockBackupKeybag(parseBackupKeybag(keybag), old)))
      throw new BackupPasswordRefused(WRONG_PASSWORD_CODE, 'Incorrect backup password');
    if (next === undefined) {
      this.scenario.backupEncryption = false;
      delete this.scenario.backupPassword;
      this.keys = undefined;
      return 'disabled';
    }
    await this.setPassword(next);
    return 'changed';
  }

  /** The keys for one encrypted backup, or undefined when encryption is off. */
  async backupEncryptor(): Promise<BackupEncryptor | undefined> {
    if (!this.enabled) return undefined;
    return new BackupEncryptor(await this.current());
  }

  private async setPassword(password: string): Promise<void> {
    const keys = makeKeys(password, this.scenario);
    await keys;
    this.keys = keys;
    this.scenario.backupEncryption = true;
    this.scenario.backupPassword = password;
  }

  private current(): Promise<PhoneKeys> {
    this.keys ??= makeKeys(this.scenario.backupPassword ?? DEFAULT_PRACTICE_BACKUP_PASSWORD, this.scenario);
    return this.keys;
  }
}

async function makeKeys(password: string, scenario: Scenario): Promise<PhoneKeys> {
  const { keybag, unlocked } = await createBackupKeybag(password, scenario.backupKeybagRounds);
  return { keybag: encodeBackupKeybag(keybag), unlocked };
}

function passwordArgument(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PASSWORD_LENGTH)
    throw new BackupPasswordRefused(1, `${name} is not a usable password`);
  return value;
}

/** One file's encryption: its class, its key as MBFile stores it, and a cipher for its bytes. */
export type FileEncryption = { protectionClass: number; encryptionKey: Buffer; cipher: Cipher };

/** Encrypts one backup the way iOS does: a fresh key per file and for Manifest.db, wrapped by the class keys. */
export class BackupEncryptor {
  constructor(private readonly keys: PhoneKeys) {}

  get keybag(): Buffer {
    return this.keys.keybag;
  }

  forFile(domain: string): FileEncryption {
    const protectionClass = CLASS_ONE_DOMAINS.has(domain) ? 1 : 3;
    const key = randomBytes(32);
    return { protectionClass, encryptionKey: wrapItemKey(this.keys.unlocked, protectionClass, key), cipher: createBackupCipher(key) };
  }

  /** Manifest.db encrypted whole, and the ManifestKey that opens it. */
  manifest(db: Buffer): { bytes: Buffer; manifestKey: Buffer } {
    const key = randomBytes(32);
    return { bytes: encryptBackupBytes(key, db), manifestKey: wrapItemKey(this.keys.unlocked, MANIFEST_KEY_CLASS, key) };
  }
}

/** Encrypts a stream of chunks with a file's cipher (the PKCS#7 tail comes last). */
export async function* encryptChunks(chunks: AsyncIterable<Buffer>, cipher: Cipher): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    const out = cipher.update(chunk);
    if (out.length > 0) yield out;
  }
  yield cipher.final();
}

/** A backup the phone restores from, opened with the password the host sent. */
export type RestoreDecryption = { manifestDb: Buffer; decipherFor(encryptionKey: Buffer | undefined): Decipher };

/** Opens an encrypted backup for restore like the phone does: the keybag with the host's password, then Manifest.db. */
export async function openBackupForRestore(
  manifest: { BackupKeyBag?: unknown; ManifestKey?: unknown },
  password: unknown,
  encryptedDb: Buffer | undefined,
): Promise<RestoreDecryption> {
  if (typeof password !== 'string' || password.length === 0)
    throw new BackupPasswordRefused(WRONG_PASSWORD_CODE, 'The backup is encrypted and no password was given');
  if (!(manifest.BackupKeyBag instanceof Uint8Array) || !(manifest.ManifestKey instanceof Uint8Array) || !encryptedDb) {
    throw new BackupPasswordRefused(205, 'Error reading backup properties');
  }
  let unlocked: UnlockedKeybag | undefined;
  try {
    unlocked = await unlockBackupKeybag(parseBackupKeybag(Buffer.from(manifest.BackupKeyBag)), password);
  } catch {
    throw new BackupPasswordRefused(205, 'Error reading backup properties');
  }
  if (!unlocked) throw new BackupPasswordRefused(WRONG_PASSWORD_CODE, 'Incorrect backup password');
  const keybag = unlocked;
  let manifestDb: Buffer;
  try {
    manifestDb = decryptManifestDb(unwrapItemKey(keybag, manifest.ManifestKey), encryptedDb);
  } catch {
    throw new BackupPasswordRefused(205, 'Error reading backup properties');
  }
  return {
    manifestDb,
    decipherFor(encryptionKey) {
      if (!encryptionKey) throw new BackupPasswordRefused(205, 'A file of the backup has no key');
      return createBackupDecipher(unwrapItemKey(keybag, encryptionKey));
    },
  };
}
