import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createBackupKeybag } from '../../../main/backup/backup-crypto';
import { BackupKeybagError, encodeBackupKeybag, parseBackupKeybag } from '../../../main/backup/backup-keybag';
import { mbFileArchive, readMbFile } from '../../../main/backup/manifest-db';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, hostileU32, mutated, type ParserUnderFuzz } from './fuzz-harness';

const keybag: ParserUnderFuzz = {
  name: 'parseBackupKeybag',
  parse: (input) => parseBackupKeybag(Buffer.from(input)),
  typedErrors: [BackupKeybagError],
};

/** readMbFile answers undefined for anything that is not an MBFile archive; it never throws. */
const mbFile: ParserUnderFuzz = { name: 'readMbFile', parse: (input) => readMbFile(Buffer.from(input)), typedErrors: [] };

const TAGS = ['VERS', 'TYPE', 'UUID', 'WRAP', 'SALT', 'ITER', 'DPWT', 'DPIC', 'DPSL', 'HMCK', 'CLAS', 'KTYP', 'WPKY', 'PBKY', 'ZZZZ'];

/** A record whose tag is real and whose length may lie about the bytes that follow. */
const hostileRecord = fc
  .record({
    tag: fc.constantFrom(...TAGS),
    length: fc.oneof(hostileU32, fc.constantFrom(4, 16, 20, 40)),
    body: fc.uint8Array({ maxLength: 48 }),
  })
  .map(({ tag, length, body }) => {
    const head = Buffer.alloc(8);
    head.write(tag, 0, 'latin1');
    head.writeUInt32BE(length, 4);
    return Buffer.concat([head, body]);
  });

describe('backup keybag and MBFile records under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes, with and without a VERS record in front', async () => {
    await fuzzRandomBytes(keybag, { numRuns: 300 });
    await fuzzRandomBytes(keybag, { numRuns: 200, prefix: Buffer.from('VERS\0\0\0\x04\0\0\0\x04', 'latin1') });
    await fuzzRandomBytes(mbFile, { numRuns: 200, prefix: Buffer.from('bplist00', 'latin1') });
  });

  it('real keybags and MBFile archives, damaged: flipped bytes, cut short, grown, and records with lying lengths', async () => {
    const { keybag: bag } = await createBackupKeybag('fuzz', { sha1Rounds: 1, sha256Rounds: 1 });
    const valid = encodeBackupKeybag(bag);
    await fuzzParser(keybag, mutated(fc.constant(valid)), { numRuns: 300 });
    await fuzzParser(
      keybag,
      fc.array(hostileRecord, { maxLength: 12 }).map((records) => Buffer.concat([valid.subarray(0, 60), ...records])),
      { numRuns: 300 },
    );
    const archive = mbFileArchive({
      fileID: 'ab'.repeat(20),
      domain: 'HomeDomain',
      relativePath: 'Library/x',
      flags: 1,
      size: 10,
      mode: 0o100644,
      mtime: new Date(0),
      protectionClass: 3,
      encryptionKey: Buffer.alloc(44, 1),
    });
    await fuzzParser(mbFile, mutated(fc.constant(archive)), { numRuns: 300 });
  });
});
