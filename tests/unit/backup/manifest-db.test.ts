import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildManifestDb, mbFileSize, readManifestDb, type ManifestRecord } from '../../../main/backup/manifest-db';
import { generateFileList } from '../../../main/sim/virtual-fs';
import { nothingOr, thrownBy } from '../../thrown';

const SQLITE = '/usr/bin/sqlite3';

function records(count: number): ManifestRecord[] {
  return generateFileList({ seed: 'manifest', fileCount: count, totalBytes: count * 5000 }).map((f) => ({ ...f, flags: 1 }));
}

describe('Manifest.db', () => {
  it.each([0, 1, 5, 3000, 20000])('reads back every row it wrote (%i files)', (count) => {
    const input = records(count);
    const rows = readManifestDb(buildManifestDb(input));
    expect(rows.map((r) => [r.fileID, r.domain, r.relativePath, r.flags])).toEqual(
      input.map((r) => [r.fileID, r.domain, r.relativePath, 1]),
    );
    expect(rows.map((r) => mbFileSize(r.file))).toEqual(input.map((r) => r.size));
  });

  it.skipIf(!existsSync(SQLITE))('is a valid SQLite database with the iOS schema and working indexes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-manifest-'));
    try {
      const input = records(5000);
      const path = join(dir, 'Manifest.db');
      await writeFile(path, buildManifestDb(input));
      const sample = input[1234]!;
      const out = execFileSync(SQLITE, [
        path,
        `PRAGMA integrity_check; SELECT count(*) FROM Files; SELECT relativePath FROM Files WHERE fileID = '${sample.fileID}'; SELECT count(*) FROM Files INDEXED BY FilesDomainIdx WHERE domain = 'HomeDomain';`,
      ]).toString();
      const homeCount = input.filter((r) => r.domain === 'HomeDomain').length;
      expect(out.trim().split('\n')).toEqual(['ok', '5000', sample.relativePath, String(homeCount)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects or reads any corrupted database without hanging or crashing (fuzz)', () => {
    const good = buildManifestDb(records(200));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 }),
        (edits) => {
          const bad = Buffer.from(good);
          for (const [offset, value] of edits) bad[offset] = value;
          let rows = 0;
          const thrown = thrownBy(() => {
            rows = readManifestDb(bad, { maxRows: 1000 }).length;
          });
          expect(thrown).toSatisfy(nothingOr(Error));
          expect(rows).toBeLessThanOrEqual(1000);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses files that are not SQLite', () => {
    expect(() => readManifestDb(Buffer.from('bplist00 not a database at all, sorry'.repeat(4)))).toThrow(/SQLite/);
  });
});
