/**
 * The backup keybag (`BackupKeyBag` in Manifest.plist): a flat run of tag / length / value records,
 * parsed as hostile input and written back byte for byte (docs/protocols/backup-encryption.md#keybag-layout).
 * Only the format lives here; keys and ciphers are in backup-crypto.ts.
 */

/** A real keybag is under 2 KiB; anything far larger is not one. */
export const KEYBAG_MAX_BYTES = 64 * 1024;
/** docs/protocols/backup-encryption.md#password-to-key: iOS uses 10,000 SHA-1 rounds and 10,000,000 SHA-256 rounds. */
export const KEYBAG_MAX_SHA1_ROUNDS = 10_000_000;
export const KEYBAG_MAX_SHA256_ROUNDS = 50_000_000;
const MAX_CLASS_KEYS = 32;
const MAX_RECORDS = 1024;
/** The keybag TYPE of a backup bag (0 system, 1 backup, 2 escrow, 3 OTA). */
export const BACKUP_KEYBAG_TYPE = 1;
/** A class key's WRAP bit saying it is wrapped with the password-derived key. */
export const WRAP_WITH_PASSWORD = 0x2;

export type KeybagClassKey = {
  uuid: Buffer;
  /** The data-protection class the key opens (1–11 on iOS). */
  protectionClass: number;
  wrap: number;
  /** 0 AES, 1 Curve25519. */
  keyType: number;
  /** The RFC 3394-wrapped class key (40 bytes for a 32-byte key). */
  wrappedKey: Buffer;
};

export type BackupKeybag = {
  version: number;
  type: number;
  uuid: Buffer;
  wrap: number;
  /** The PBKDF2-SHA1 step's salt and rounds. */
  salt: Buffer;
  iterations: number;
  /** iOS 10.2 and later: the PBKDF2-SHA256 step before the SHA-1 one. Absent on older bags. */
  passwordSalt?: Buffer;
  passwordIterations?: number;
  passwordWrap?: number;
  /** The wrapped HMAC key iOS stores (unused by the password check). */
  hmacKey?: Buffer;
  classKeys: KeybagClassKey[];
};

export class BackupKeybagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupKeybagError';
  }
}

type TlvRecord = { tag: string; value: Buffer };

function records(bytes: Buffer): TlvRecord[] {
  if (!Buffer.isBuffer(bytes)) throw new BackupKeybagError('The keybag is not data');
  if (bytes.length > KEYBAG_MAX_BYTES) throw new BackupKeybagError(`The keybag is larger than ${KEYBAG_MAX_BYTES} bytes`);
  const out: TlvRecord[] = [];
  for (let offset = 0; offset < bytes.length;) {
    if (bytes.length - offset < 8) throw new BackupKeybagError(`A record header is cut short at byte ${offset}`);
    const tagBytes = bytes.subarray(offset, offset + 4);
    if (!tagBytes.every((b) => b >= 0x20 && b < 0x7f)) throw new BackupKeybagError(`Record at byte ${offset} has no readable tag`);
    const length = bytes.readUInt32BE(offset + 4);
    if (length > bytes.length - offset - 8)
      throw new BackupKeybagError(`Record ${tagBytes.toString('latin1')} claims ${length} bytes past the end`);
    out.push({ tag: tagBytes.toString('latin1'), value: bytes.subarray(offset + 8, offset + 8 + length) });
    if (out.length > MAX_RECORDS) throw new BackupKeybagError('The keybag has too many records');
    offset += 8 + length;
  }
  return out;
}

function integer(record: TlvRecord, min: number, max: number): number {
  if (record.value.length !== 4) throw new BackupKeybagError(`${record.tag} must be a 4-byte number, not ${record.value.length} bytes`);
  const value = record.value.readUInt32BE(0);
  if (value < min || value > max) throw new BackupKeybagError(`${record.tag} ${value} is outside ${min}–${max}`);
  return value;
}

function data(record: TlvRecord, min: number, max: number): Buffer {
  const n = record.value.length;
  if (n < min || n > max) throw new BackupKeybagError(`${record.tag} is ${n} bytes, expected ${min === max ? min : `${min}–${max}`}`);
  return Buffer.from(record.value);
}

function wrappedKey(record: TlvRecord): Buffer {
  const key = data(record, 24, 72);
  if (key.length % 8 !== 0) throw new BackupKeybagError(`WPKY is ${key.length} bytes, not a whole number of 8-byte blocks`);
  return key;
}

type ClassDraft = Partial<KeybagClassKey> & { uuid: Buffer };

/** Parses a BackupKeyBag; throws BackupKeybagError for anything that is not a well-formed backup bag. */
export function parseBackupKeybag(bytes: Buffer): BackupKeybag {
  const header: Partial<BackupKeybag> = {};
  const drafts: ClassDraft[] = [];
  let current: ClassDraft | undefined;
  const seen = new Set<string>();
  const once = (tag: string): void => {
    if (seen.has(tag)) throw new BackupKeybagError(`The keybag header has ${tag} twice`);
    seen.add(tag);
  };
  for (const record of records(bytes)) {
    if (record.tag === 'UUID') {
      const uuid = data(record, 16, 16);
      if (header.uuid === undefined) header.uuid = uuid;
      else {
        if (drafts.length >= MAX_CLASS_KEYS) throw new BackupKeybagError(`The keybag has more than ${MAX_CLASS_KEYS} class keys`);
        current = { uuid };
        drafts.push(current);
      }
      continue;
    }
    if (current) {
      switch (record.tag) {
        case 'CLAS':
          current.protectionClass = integer(record, 1, 31);
          break;
        case 'WRAP':
          current.wrap = integer(record, 0, 0xffff);
          break;
        case 'KTYP':
          current.keyType = integer(record, 0, 0xffff);
          break;
        case 'WPKY':
          current.wrappedKey = wrappedKey(record);
          break;
        default:
          break; // PBKY and tags of newer iOS versions say nothing the password check needs.
      }
      continue;
    }
    switch (record.tag) {
      case 'VERS':
        once(record.tag);
        header.version = integer(record, 0, 0xffff);
        break;
      case 'TYPE':
        once(record.tag);
        header.type = integer(record, 0, 0xffff);
        break;
      case 'WRAP':
        once(record.tag);
        header.wrap = integer(record, 0, 0xffff);
        break;
      case 'SALT':
        once(record.tag);
        header.salt = data(record, 4, 64);
        break;
      case 'ITER':
        once(record.tag);
        header.iterations = integer(record, 1, KEYBAG_MAX_SHA1_ROUNDS);
        break;
      case 'DPSL':
        once(record.tag);
        header.passwordSalt = data(record, 4, 64);
        break;
      case 'DPIC':
        once(record.tag);
        header.passwordIterations = integer(record, 1, KEYBAG_MAX_SHA256_ROUNDS);
        break;
      case 'DPWT':
        once(record.tag);
        header.passwordWrap = integer(record, 0, 0xffff);
        break;
      case 'HMCK':
        once(record.tag);
        header.hmacKey = data(record, 0, 128);
        break;
      default:
        break;
    }
  }
  if (header.version === undefined || header.type === undefined || header.uuid === undefined)
    throw new BackupKeybagError('The keybag lacks VERS, TYPE or UUID');
  if (header.type !== BACKUP_KEYBAG_TYPE) throw new BackupKeybagError(`This is not a backup keybag (TYPE ${header.type})`);
  if (header.salt === undefined || header.iterations === undefined) throw new BackupKeybagError('The keybag lacks SALT or ITER');
  if ((header.passwordSalt === undefined) !== (header.passwordIterations === undefined))
    throw new BackupKeybagError('The keybag has only one of DPSL and DPIC');
  const classKeys: KeybagClassKey[] = [];
  const classes = new Set<number>();
  for (const draft of drafts) {
    const { uuid, protectionClass, wrap, keyType, wrappedKey: key } = draft;
    if (protectionClass === undefined || wrap === undefined || key === undefined)
      throw new BackupKeybagError('A class key lacks CLAS, WRAP or WPKY');
    if (classes.has(protectionClass)) throw new BackupKeybagError(`Class ${protectionClass} appears twice`);
    classes.add(protectionClass);
    classKeys.push({ uuid, protectionClass, wrap, keyType: keyType ?? 0, wrappedKey: key });
  }
  if (!classKeys.some((k) => (k.wrap & WRAP_WITH_PASSWORD) !== 0))
    throw new BackupKeybagError('No class key is wrapped with the backup password');
  return {
    version: header.version,
    type: header.type,
    uuid: header.uuid,
    wrap: header.wrap ?? 0,
    salt: header.salt,
    iterations: header.iterations,
    ...(header.passwordSalt !== undefined ? { passwordSalt: header.passwordSalt, passwordIterations: header.passwordIterations! } : {}),
    ...(header.passwordWrap !== undefined ? { passwordWrap: header.passwordWrap } : {}),
    ...(header.hmacKey !== undefined ? { hmacKey: header.hmacKey } : {}),
    classKeys,
  };
}

function tlv(tag: string, value: Buffer | number): Buffer {
  const body = typeof value === 'number' ? Buffer.alloc(4) : value;
  if (typeof value === 'number') body.writeUInt32BE(value >>> 0);
  const head = Buffer.alloc(8);
  head.write(tag, 0, 4, 'latin1');
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** Writes a keybag in the order iOS does (header, then one group per class key). */
export function encodeBackupKeybag(bag: BackupKeybag): Buffer {
  const parts = [tlv('VERS', bag.version), tlv('TYPE', bag.type), tlv('UUID', bag.uuid)];
  if (bag.hmacKey !== undefined) parts.push(tlv('HMCK', bag.hmacKey));
  parts.push(tlv('WRAP', bag.wrap), tlv('SALT', bag.salt), tlv('ITER', bag.iterations));
  if (bag.passwordSalt !== undefined && bag.passwordIterations !== undefined) {
    if (bag.passwordWrap !== undefined) parts.push(tlv('DPWT', bag.passwordWrap));
    parts.push(tlv('DPIC', bag.passwordIterations), tlv('DPSL', bag.passwordSalt));
  }
  for (const key of bag.classKeys) {
    parts.push(
      tlv('UUID', key.uuid),
      tlv('CLAS', key.protectionClass),
      tlv('WRAP', key.wrap),
      tlv('KTYP', key.keyType),
      tlv('WPKY', key.wrappedKey),
    );
  }
  return Buffer.concat(parts);
}
