import { describe, expect, it } from 'vitest';
import {
  IOS_KEYBAG_ROUNDS,
  createBackupKeybag,
  decryptManifestDb,
  encryptBackupBytes,
  passwordKey,
  unlockBackupKeybag,
  unwrapItemKey,
  unwrapKey,
  wrapItemKey,
  wrapKey,
} from '../../../main/backup/backup-crypto';
import { BackupKeybagError, encodeBackupKeybag, parseBackupKeybag } from '../../../main/backup/backup-keybag';
import { buildManifestDb, readManifestDb } from '../../../main/backup/manifest-db';

const QUICK = { sha1Rounds: 10, sha256Rounds: 100 };

function tlv(tag: string, value: Buffer | number): Buffer {
  const body = typeof value === 'number' ? Buffer.from([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]) : value;
  const head = Buffer.alloc(8);
  head.write(tag, 0, 'latin1');
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('RFC 3394 AES key wrap', () => {
  it('matches the RFC test vector for a 256-bit key under a 256-bit KEK (section 4.6)', () => {
    const kek = Buffer.from('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', 'hex');
    const key = Buffer.from('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F', 'hex');
    const wrapped = wrapKey(kek, key);
    expect(wrapped.toString('hex').toUpperCase()).toBe('28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21');
    expect(unwrapKey(kek, wrapped)).toEqual(key);
  });

  it('reports a failed integrity check as undefined, for a wrong KEK and for one flipped bit', () => {
    const kek = Buffer.alloc(32, 7);
    const wrapped = wrapKey(kek, Buffer.alloc(32, 1));
    expect(unwrapKey(Buffer.alloc(32, 8), wrapped)).toBeUndefined();
    const flipped = Buffer.from(wrapped);
    flipped[12]! ^= 0x01;
    expect(unwrapKey(kek, flipped)).toBeUndefined();
    expect(unwrapKey(kek, wrapped.subarray(0, 20))).toBeUndefined();
  });
});

describe('backup keybag', () => {
  it('round-trips: a made keybag encodes, parses back equal, and opens with its password only', async () => {
    const { keybag, unlocked } = await createBackupKeybag('correct horse', QUICK);
    const parsed = parseBackupKeybag(encodeBackupKeybag(keybag));
    expect(parsed).toEqual(keybag);
    expect(parsed.classKeys.map((k) => k.protectionClass)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const opened = await unlockBackupKeybag(parsed, 'correct horse');
    expect(opened?.classKeys).toEqual(unlocked.classKeys);
    expect(await unlockBackupKeybag(parsed, 'Correct horse')).toBeUndefined();
    expect(await unlockBackupKeybag(parsed, 'correct horse ')).toBeUndefined();
  });

  it('derives the key in two steps (SHA-256 with DPSL/DPIC, then SHA-1 with SALT/ITER) and SHA-1 alone for old bags', async () => {
    const { pbkdf2Sync } = await import('node:crypto');
    const salt = Buffer.alloc(20, 1);
    const passwordSalt = Buffer.alloc(20, 2);
    const step1 = pbkdf2Sync('pw', passwordSalt, 50, 32, 'sha256');
    expect(await passwordKey('pw', { salt, iterations: 7, passwordSalt, passwordIterations: 50 })).toEqual(
      pbkdf2Sync(step1, salt, 7, 32, 'sha1'),
    );
    expect(await passwordKey('pw', { salt, iterations: 7 })).toEqual(pbkdf2Sync('pw', salt, 7, 32, 'sha1'));
  });

  it('refuses a tampered keybag: changed salt or rounds make the right password fail; a cut or duplicated record is an error', async () => {
    const { keybag } = await createBackupKeybag('pw', QUICK);
    const otherSalt = parseBackupKeybag(encodeBackupKeybag({ ...keybag, salt: Buffer.alloc(20, 9) }));
    expect(await unlockBackupKeybag(otherSalt, 'pw')).toBeUndefined();
    const otherRounds = parseBackupKeybag(encodeBackupKeybag({ ...keybag, passwordIterations: QUICK.sha256Rounds + 1 }));
    expect(await unlockBackupKeybag(otherRounds, 'pw')).toBeUndefined();
    const bytes = encodeBackupKeybag(keybag);
    expect(() => parseBackupKeybag(bytes.subarray(0, bytes.length - 3))).toThrow(BackupKeybagError);
    const flippedKey = Buffer.from(bytes);
    flippedKey[bytes.length - 5]! ^= 0x80; // inside the last WPKY
    expect(await unlockBackupKeybag(parseBackupKeybag(flippedKey), 'pw')).toBeUndefined();
    expect(() => parseBackupKeybag(Buffer.concat([bytes, tlv('SALT', Buffer.alloc(20))]))).not.toThrow(); // after a class UUID: a class record, ignored
    expect(() => parseBackupKeybag(Buffer.concat([tlv('VERS', 4), bytes]))).toThrow(/VERS twice/);
  });

  it('refuses hostile TLV: lying lengths, huge round counts, wrong sizes, wrong bag type, too many classes', () => {
    const head = [
      tlv('VERS', 4),
      tlv('TYPE', 1),
      tlv('UUID', Buffer.alloc(16)),
      tlv('WRAP', 0),
      tlv('SALT', Buffer.alloc(20)),
      tlv('ITER', 10),
    ];
    const classKey = (n: number): Buffer[] => [
      tlv('UUID', Buffer.alloc(16, n)),
      tlv('CLAS', n),
      tlv('WRAP', 2),
      tlv('KTYP', 0),
      tlv('WPKY', Buffer.alloc(40)),
    ];
    expect(parseBackupKeybag(Buffer.concat([...head, ...classKey(1)])).classKeys).toHaveLength(1);
    const lying = Buffer.concat([...head, tlv('UUID', Buffer.alloc(16))]);
    lying.writeUInt32BE(0xffffffff, lying.length - 20);
    expect(() => parseBackupKeybag(lying)).toThrow(/past the end/);
    expect(() =>
      parseBackupKeybag(Buffer.concat([...head, tlv('DPIC', 0xffffffff), tlv('DPSL', Buffer.alloc(20)), ...classKey(1)])),
    ).toThrow(/DPIC/);
    expect(() => parseBackupKeybag(Buffer.concat([...head.slice(0, 5), tlv('ITER', 0), ...classKey(1)]))).toThrow(/ITER 0/);
    expect(() => parseBackupKeybag(Buffer.concat([...head, tlv('DPIC', 5), ...classKey(1)]))).toThrow(/DPSL and DPIC/);
    expect(() => parseBackupKeybag(Buffer.concat([tlv('VERS', 4), tlv('TYPE', 0), ...head.slice(2), ...classKey(1)]))).toThrow(/TYPE/);
    expect(() =>
      parseBackupKeybag(
        Buffer.concat([...head, tlv('UUID', Buffer.alloc(16)), tlv('CLAS', 1), tlv('WRAP', 2), tlv('WPKY', Buffer.alloc(41))]),
      ),
    ).toThrow(/WPKY/);
    expect(() => parseBackupKeybag(Buffer.concat([...head, ...classKey(1), ...classKey(1)]))).toThrow(/twice/);
    expect(() =>
      parseBackupKeybag(Buffer.concat([...head, ...Array.from({ length: 33 }, (_, i) => classKey((i % 31) + 1)).flat()])),
    ).toThrow(/more than 32/);
    expect(() =>
      parseBackupKeybag(
        Buffer.concat([...head, tlv('UUID', Buffer.alloc(16)), tlv('CLAS', 1), tlv('WRAP', 1), tlv('WPKY', Buffer.alloc(40))]),
      ),
    ).toThrow(/password/);
    expect(() => parseBackupKeybag(Buffer.alloc(70_000))).toThrow(/larger/);
    expect(() => parseBackupKeybag(Buffer.from('VERS\0\0'))).toThrow(/cut short/);
    expect(() => parseBackupKeybag(Buffer.concat([Buffer.from([0, 1, 2, 3, 0, 0, 0, 0])]))).toThrow(/readable tag/);
  });

  it('opens item keys with their class key and refuses one of another class or with a flipped bit', async () => {
    const { unlocked } = await createBackupKeybag('pw', QUICK);
    const key = Buffer.alloc(32, 0x5a);
    const item = wrapItemKey(unlocked, 3, key);
    expect(item.length).toBe(44);
    expect(item.readUInt32LE(0)).toBe(3);
    expect(unwrapItemKey(unlocked, item)).toEqual(key);
    const otherClass = Buffer.from(item);
    otherClass.writeUInt32LE(4, 0);
    expect(() => unwrapItemKey(unlocked, otherClass)).toThrow(/class 4/);
    otherClass.writeUInt32LE(99, 0);
    expect(() => unwrapItemKey(unlocked, otherClass)).toThrow(/No class key/);
    expect(() => unwrapItemKey(unlocked, item.subarray(0, 40))).toThrow(/44/);
  });

  it('decrypts an encrypted Manifest.db with or without PKCS#7 padding, and refuses the wrong key', async () => {
    const db = buildManifestDb([
      { fileID: 'a'.repeat(40), domain: 'HomeDomain', relativePath: 'x', flags: 1, size: 3, mode: 0o100644, mtime: new Date(0) },
    ]);
    const key = Buffer.alloc(32, 3);
    const padded = encryptBackupBytes(key, db);
    expect(padded.length).toBe(db.length + 16);
    expect(readManifestDb(decryptManifestDb(key, padded))).toHaveLength(1);
    expect(decryptManifestDb(key, padded.subarray(0, db.length))).toEqual(db);
    expect(() => decryptManifestDb(Buffer.alloc(32, 4), padded)).toThrow(/SQLite/);
  });

  it(
    'uses the real iOS round counts by default, and the real derivation finishes (10,000,000 SHA-256 rounds)',
    { timeout: 120_000 },
    async () => {
      expect(IOS_KEYBAG_ROUNDS).toEqual({ sha1Rounds: 10_000, sha256Rounds: 10_000_000 });
      const { keybag } = await createBackupKeybag('real rounds');
      const parsed = parseBackupKeybag(encodeBackupKeybag(keybag));
      expect(parsed.passwordIterations).toBe(10_000_000);
      expect(await unlockBackupKeybag(parsed, 'wrong rounds')).toBeUndefined();
    },
  );
});
