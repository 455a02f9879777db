import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReadAhead, type LoadedFile } from '../../../main/backup/download-read-ahead';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lifeline-read-ahead-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function files(count: number, size: (i: number) => number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const path = join(root, `f${i}`);
    writeFileSync(path, Buffer.alloc(size(i), i));
    return path;
  });
}

const openDescriptors = (): number => readdirSync('/dev/fd').length;

describe('ReadAhead', () => {
  it('hands files over in the order asked, small ones whole and big ones open, failures in their place', async () => {
    const paths = files(5, (i) => (i === 3 ? 5000 : 10 + i));
    const refused = new Error('refused');
    const names = [paths[0]!, join(root, 'missing'), paths[2]!, paths[3]!, refused];
    const ahead = new ReadAhead(names.length, (i) => names[i]!, { wholeFileBytes: 1000 });
    const taken: LoadedFile[] = [];
    for (let i = 0; i < names.length; i++) taken.push(await ahead.next());

    expect(taken.map((file) => file.kind)).toEqual(['whole', 'failed', 'whole', 'open', 'failed']);
    expect(taken[0]).toEqual({ kind: 'whole', bytes: Buffer.alloc(10, 0) });
    expect((taken[1] as { error: NodeJS.ErrnoException }).error.code).toBe('ENOENT');
    expect(taken[2]).toEqual({ kind: 'whole', bytes: Buffer.alloc(12, 2) });
    const big = taken[3] as Extract<LoadedFile, { kind: 'open' }>;
    expect((await big.handle.readFile()).equals(Buffer.alloc(5000, 3))).toBe(true);
    await big.handle.close();
    expect(taken[4]).toEqual({ kind: 'failed', error: refused });
    await expect(ahead.next()).rejects.toThrow(/No more files/);
  });

  it('reads no more than aheadFiles files ahead of the one taken', async () => {
    const paths = files(40, () => 4);
    const asked: number[] = [];
    const ahead = new ReadAhead(
      paths.length,
      (i) => {
        asked.push(i);
        return paths[i]!;
      },
      { aheadFiles: 4 },
    );
    await ahead.next();
    expect(Math.max(...asked)).toBeLessThanOrEqual(4);
    await ahead.next();
    expect(Math.max(...asked)).toBeLessThanOrEqual(5);
    await ahead.dispose();
  });

  it('closes what it opened ahead when the transfer breaks off', async () => {
    const paths = files(8, () => 5000);
    const before = openDescriptors();
    const ahead = new ReadAhead(paths.length, (i) => paths[i]!, { wholeFileBytes: 1000, aheadFiles: 6 });
    const first = await ahead.next();
    expect(first.kind).toBe('open');
    await (first as Extract<LoadedFile, { kind: 'open' }>).handle.close();
    await ahead.dispose();
    expect(openDescriptors()).toBe(before);
  });
});
