import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffloadedUploadWriter } from '../../../main/backup/offloaded-upload-writer';
import { ReadBufferPool } from '../../../main/wire/read-buffer-pool';

let root: string;
let syncs: string[];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lifeline-offloaded-writer-'));
  syncs = [];
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function writerFor(
  events: string[] = [],
  options: { kickBytes?: number; maxHeldBytes?: number; failSync?: boolean } = {},
): OffloadedUploadWriter {
  return new OffloadedUploadWriter({
    createdDirs: new Set(),
    onStored: () => events.push('stored'),
    onFailure: (error) => events.push(`failed ${error.code}`),
    maxHeldBytes: options.maxHeldBytes ?? 1024 * 1024,
    filesystemSync: {
      folder: root,
      kickBytes: options.kickBytes ?? 1024 ** 3,
      sync: (folder) => {
        syncs.push(folder);
        return options.failSync ? Promise.reject(Object.assign(new Error('Input/output error'), { code: 'EIO' })) : Promise.resolve();
      },
    },
  });
}

/** Bytes as a socket read would hand them over: a view of a shared slab. */
function pooled(pool: ReadBufferPool, bytes: Buffer): Buffer {
  const region = pool.nextRegion();
  bytes.copy(region);
  return pool.filled(region, bytes.length);
}

describe('OffloadedUploadWriter', () => {
  it('stores files from shared slabs and from plain buffers on its worker, hands the memory back, and syncs once', async () => {
    const events: string[] = [];
    const pool = new ReadBufferPool({ shared: true, slabBytes: 64 * 1024, minReadBytes: 1024 });
    const writer = writerFor(events);
    const a = writer.begin(join(root, 'ab', 'a'));
    writer.write(a.file, pooled(pool, Buffer.from('alpha ')));
    writer.write(a.file, pooled(pool, Buffer.from('beta')));
    writer.end(a.file, true);
    const b = writer.begin(join(root, 'b'));
    writer.write(b.file, Buffer.from('plain'));
    writer.end(b.file, true);
    await writer.durable();
    expect(readFileSync(join(root, 'ab', 'a'), 'utf8')).toBe('alpha beta');
    expect(readFileSync(join(root, 'b'), 'utf8')).toBe('plain');
    expect(lstatSync(join(root, 'b')).mode & 0o777).toBe(0o600);
    expect(events).toEqual(['stored', 'stored']);
    expect(syncs).toEqual([root]);
    // Every byte is back: the next reads reuse the first slab.
    const before = pool.allocated;
    for (let i = 0; i < 200; i++) pooled(pool, Buffer.alloc(1000));
    expect(pool.allocated).toBe(before + 3);
    await writer.abandon();
  });

  it('removes a dropped file, never writes through a planted symlink, and creates the same path twice in order', async () => {
    const outside = join(root, 'outside');
    writeFileSync(outside, 'untouched');
    symlinkSync(outside, join(root, 'planted'));
    const writer = writerFor();
    for (const [name, text, keep] of [
      ['planted', 'new', true],
      ['dropped', 'half', false],
      ['twice', 'first', true],
      ['twice', 'second', true],
    ] as const) {
      const { file } = writer.begin(join(root, name));
      writer.write(file, Buffer.from(text));
      writer.end(file, keep);
    }
    await writer.durable();
    expect(readFileSync(outside, 'utf8')).toBe('untouched');
    expect(lstatSync(join(root, 'planted')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(root, 'planted'), 'utf8')).toBe('new');
    expect(existsSync(join(root, 'dropped'))).toBe(false);
    expect(readFileSync(join(root, 'twice'), 'utf8')).toBe('second');
    await writer.abandon();
  });

  it('after a local failure writes nothing more, and durable() rejects with it', async () => {
    const events: string[] = [];
    const writer = writerFor(events);
    const stored = writer.begin(join(root, 'stored'));
    writer.end(stored.file, true);
    await writer.settle();
    // A folder where the file should be: creating it fails (EEXIST, then unlinking a folder fails).
    const blocked = join(root, 'blocked');
    mkdirSync(blocked);
    const first = writer.begin(blocked);
    writer.write(first.file, Buffer.from('cannot'));
    writer.end(first.file, true);
    const later = writer.begin(join(root, 'later'));
    writer.write(later.file, Buffer.from('skipped'));
    writer.end(later.file, true);
    await expect(writer.durable()).rejects.toMatchObject({ code: expect.stringMatching(/^E/) });
    expect(events[0]).toBe('stored');
    expect(events.filter((event) => event.startsWith('failed'))).toHaveLength(1);
    expect(existsSync(join(root, 'later'))).toBe(false);
    expect(syncs).toEqual([]);
    await writer.abandon();
  });

  it('asks the caller to wait once maxHeldBytes are unwritten, and begins a sync every kickBytes', async () => {
    const writer = writerFor([], { maxHeldBytes: 1000, kickBytes: 3000 });
    const { file } = writer.begin(join(root, 'big'));
    const waits: (Promise<void> | undefined)[] = [];
    for (let i = 0; i < 8; i++) {
      const wait = writer.write(file, Buffer.alloc(600, i));
      waits.push(wait);
      await wait;
    }
    writer.end(file, true);
    await writer.durable();
    expect(waits.some((wait) => wait instanceof Promise)).toBe(true);
    expect(readFileSync(join(root, 'big')).length).toBe(4800);
    expect(syncs.length).toBeGreaterThanOrEqual(2);
    await writer.abandon();
  });

  it('a failed last sync rejects durable()', async () => {
    const writer = writerFor([], { failSync: true });
    const { file } = writer.begin(join(root, 'f'));
    writer.write(file, Buffer.from('data'));
    writer.end(file, true);
    await expect(writer.durable()).rejects.toMatchObject({ code: 'EIO' });
    await writer.abandon();
  });

  it('abandon() closes what is open and leaves the worker stopped', async () => {
    const writer = writerFor();
    const { file } = writer.begin(join(root, 'open'));
    writer.write(file, Buffer.from('partial'));
    // The worker has the file open once its batch is answered.
    await writer.settle();
    const before = readdirSync('/dev/fd').length;
    await writer.abandon();
    expect(readdirSync('/dev/fd').length).toBeLessThan(before);
    expect(writer.write(file, Buffer.from('more'))).toBeUndefined();
  });
});
