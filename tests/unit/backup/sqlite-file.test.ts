import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqliteFileError, buildSqliteFile, openSqliteFile, type SqliteValue } from '../../../main/backup/sqlite-file';
import { personalFiles } from '../../../main/sim/personal-data';
import { nothingOr, thrownBy } from '../../thrown';

const SQLITE = '/usr/bin/sqlite3';

function messages(count: number): SqliteValue[][] {
  return Array.from({ length: count }, (_, i) => [null, `guid-${i}`, `message number ${i}`, i % 7, 700_000_000 + i]);
}

const TABLES = (count: number) => [
  { name: 'handle', sql: 'CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT)', rows: [[null, '+44 7700 900001']] },
  {
    name: 'message',
    sql: 'CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, handle_id INTEGER, date INTEGER)',
    rows: messages(count),
  },
];

async function withFile<T>(bytes: Buffer, use: (path: string) => T): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-sqlite-'));
  try {
    const path = join(dir, 'test.db');
    await writeFile(path, bytes);
    return use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('SQLite files without a SQLite library', () => {
  it.each([0, 1, 300, 25_000])('counts the rows it wrote (%i rows) and reads every one back', (count) => {
    const db = openSqliteFile(buildSqliteFile(TABLES(count)));
    expect(db.tableNames()).toEqual(['handle', 'message']);
    expect(db.countRows('message')).toBe(count);
    expect(db.countRows('handle')).toBe(1);
    const guids: unknown[] = [];
    db.rows('message', (values) => guids.push(values[1]));
    expect(guids).toEqual(messages(count).map((row) => row[1]));
  });

  it.skipIf(!existsSync(SQLITE))('writes files sqlite3 accepts, with the same row counts', async () => {
    const out = await withFile(buildSqliteFile(TABLES(5000)), (path) =>
      execFileSync(SQLITE, [
        path,
        'PRAGMA integrity_check; SELECT count(*) FROM message; SELECT text FROM message WHERE ROWID = 4321;',
      ]).toString(),
    );
    expect(out.trim().split('\n')).toEqual(['ok', '5000', 'message number 4320']);
  });

  it.skipIf(!existsSync(SQLITE))('makes the virtual phone’s Messages, Contacts and Notes databases real SQLite files', async () => {
    const files = personalFiles({ photos: 2, videos: 1, messages: 250, contacts: 40, notes: 7 });
    const queries = [
      ['Library/SMS/sms.db', 'SELECT count(*) FROM message;'],
      ['Library/AddressBook/AddressBook.sqlitedb', 'SELECT count(*) FROM ABPerson;'],
      ['NoteStore.sqlite', 'SELECT count(*) FROM ZICNOTEDATA;'],
    ] as const;
    const counts: string[] = [];
    for (const [path, query] of queries) {
      const file = files.find((f) => f.relativePath === path)!;
      expect('bytes' in file).toBe(true);
      const bytes = (file as { bytes: Buffer }).bytes;
      counts.push(
        await withFile(bytes, (where) =>
          execFileSync(SQLITE, [where, `PRAGMA integrity_check; ${query}`])
            .toString()
            .trim(),
        ),
      );
    }
    expect(counts).toEqual(['ok\n250', 'ok\n40', 'ok\n7']);
  });

  it('names a missing table and refuses files that are not SQLite', () => {
    const db = openSqliteFile(buildSqliteFile(TABLES(3)));
    expect(thrownBy(() => db.countRows('ABPerson'))).toMatchObject({ name: 'SqliteFileError', message: 'No ABPerson table' });
    expect(() => openSqliteFile(Buffer.from('bplist00 not a database at all, sorry'.repeat(4)))).toThrow(SqliteFileError);
  });

  it('stops counting at maxRows', () => {
    const db = openSqliteFile(buildSqliteFile(TABLES(2000)));
    expect(() => db.countRows('message', { maxRows: 1999 })).toThrow(/Too many rows/);
    expect(db.countRows('message', { maxRows: 2000 })).toBe(2000);
  });

  it('counts or rejects any corrupted file without hanging or crashing (fuzz)', () => {
    const good = buildSqliteFile(TABLES(3000));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 }),
        (edits) => {
          const bad = Buffer.from(good);
          for (const [offset, value] of edits) bad[offset] = value;
          let count = 0;
          const thrown = thrownBy(() => {
            count = openSqliteFile(bad).countRows('message', { maxRows: 10_000 });
          });
          expect(thrown).toSatisfy(nothingOr(SqliteFileError, RangeError));
          expect(count).toBeLessThanOrEqual(10_000);
        },
      ),
      { numRuns: 300 },
    );
  });
});
