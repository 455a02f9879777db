import {
  existsSync,
  fsync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  linkSync,
  readlinkSync,
  realpathSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UploadWriter } from '../../../main/backup/upload-writer';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lifeline-upload-writer-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function writerFor(events: string[] = []): UploadWriter {
  return new UploadWriter({
    createdDirs: new Set(),
    onStored: () => events.push('stored'),
    onFailure: (error) => events.push(`failed ${error.code}`),
    writeBytes: 8,
  });
}

describe('UploadWriter', () => {
  it('stores each file, creating missing folders, whatever the pieces the bytes arrive in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 12 }), async (pieces) => {
        const events: string[] = [];
        const writer = writerFor(events);
        const target = join(root, 'UDID', 'ab', `file-${pieces.length}-${events.length}`);
        rmSync(target, { force: true });
        const { file } = writer.begin(target);
        for (const piece of pieces) writer.write(file, Buffer.from(piece));
        writer.end(file, true);
        await writer.settle();
        expect(readFileSync(target).equals(Buffer.concat(pieces.map((p) => Buffer.from(p))))).toBe(true);
        expect(events).toEqual(['stored']);
      }),
      { numRuns: 100 },
    );
  });

  it('writes a fresh inode, leaving a hard-linked copy from the previous backup untouched', async () => {
    const previous = join(root, 'previous');
    writeFileSync(previous, 'old contents');
    mkdirSync(join(root, 'UDID'));
    const target = join(root, 'UDID', 'ab01');
    linkSync(previous, target);
    const writer = writerFor();
    const { file } = writer.begin(target);
    writer.write(file, Buffer.from('new contents'));
    writer.end(file, true);
    await writer.settle();
    expect(readFileSync(target, 'utf8')).toBe('new contents');
    expect(readFileSync(previous, 'utf8')).toBe('old contents');
  });

  it('never writes through a symlink planted at the target name', async () => {
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'keep me');
    mkdirSync(join(root, 'UDID'));
    const target = join(root, 'UDID', 'planted');
    symlinkSync(outside, target);
    const writer = writerFor();
    const { file } = writer.begin(target);
    writer.write(file, Buffer.from('device bytes'));
    writer.end(file, true);
    await writer.settle();
    expect(readFileSync(outside, 'utf8')).toBe('keep me');
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
  });

  it('removes a file the device could not finish reading', async () => {
    const events: string[] = [];
    const writer = writerFor(events);
    const target = join(root, 'UDID', 'half');
    const { file } = writer.begin(target);
    writer.write(file, Buffer.alloc(20, 1));
    writer.end(file, false);
    await writer.settle();
    expect(existsSync(target)).toBe(false);
    expect(events).toEqual([]);
  });

  it('records the first local failure, leaves nothing half-written and skips later files', async () => {
    const events: string[] = [];
    const writer = writerFor(events);
    writeFileSync(join(root, 'not-a-folder'), 'x');
    const { file: broken } = writer.begin(join(root, 'not-a-folder', 'child'));
    writer.write(broken, Buffer.from('data'));
    writer.end(broken, true);
    await writer.settle();
    expect(writer.error?.code).toMatch(/ENOTDIR|EEXIST/);
    const later = join(root, 'later');
    const { file: next } = writer.begin(later);
    writer.write(next, Buffer.from('data'));
    writer.end(next, true);
    await writer.settle();
    expect(existsSync(later)).toBe(false);
    expect(events.filter((e) => e === 'stored')).toEqual([]);
    expect(events[0]).toMatch(/^failed /);
  });

  // Only Linux says which file a descriptor refers to (/proc/self/fd).
  it.runIf(process.platform === 'linux')('closes the file a broken-off transfer left open, once its creation finished', async () => {
    const writer = writerFor();
    const { file } = writer.begin(join(root, 'open-file'));
    writer.write(file, Buffer.from('partial'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fd = file.fd!;
    expect(fd).toBeTypeOf('number');
    // Which file a descriptor refers to (the number itself may be reused by anything else in this process once closed).
    const target = (): string | null => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return null;
      }
    };
    const ours = realpathSync(join(root, 'open-file'));
    expect(target()).toBe(ours);
    await writer.abandon();
    expect(target()).not.toBe(ours);
    await writer.abandon();
  });

  it('writes files naming the same path one after the other: the later one wins', async () => {
    const writer = writerFor();
    const target = join(root, 'UDID', 'Status.plist');
    for (const text of ['first', 'second', 'third']) {
      const { file } = writer.begin(target);
      writer.write(file, Buffer.from(text));
      writer.end(file, true);
    }
    await writer.settle();
    expect(readFileSync(target, 'utf8')).toBe('third');
  });

  it('asks the reader to wait while too many bytes wait for their file, and lets it go once the file exists', async () => {
    const writer = new UploadWriter({ createdDirs: new Set(), writeBytes: 8, maxHeldBytes: 16 });
    const { file } = writer.begin(join(root, 'slow'));
    expect(writer.write(file, Buffer.alloc(10, 1))).toBeUndefined();
    const wait = writer.write(file, Buffer.alloc(10, 2));
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    writer.end(file, true);
    await writer.settle();
    expect(readFileSync(join(root, 'slow')).equals(Buffer.concat([Buffer.alloc(10, 1), Buffer.alloc(10, 2)]))).toBe(true);
  });

  // Only Linux says which file a descriptor refers to (/proc/self/fd).
  it.runIf(process.platform === 'linux')(
    'fsyncs every kept file (never a dropped one) and durable() waits for the last fsync',
    async () => {
      const synced: string[] = [];
      const pending: (() => void)[] = [];
      const writer = new UploadWriter({
        createdDirs: new Set(),
        maxSyncing: 1,
        syncFile: (fd, done) => {
          synced.push(readlinkSync(`/proc/self/fd/${fd}`));
          pending.push(() => fsync(fd, done));
        },
      });
      for (const [name, keep] of [
        ['a', true],
        ['b', false],
        ['c', true],
      ] as const) {
        const { file } = writer.begin(join(root, name));
        writer.write(file, Buffer.from(name));
        writer.end(file, keep);
      }
      await writer.settle();
      let durable = false;
      const waiting = writer.durable().then(() => (durable = true));
      while (synced.length < 2 || pending.length > 0) {
        await new Promise((resolve) => setImmediate(resolve));
        expect(durable).toBe(false);
        pending.shift()?.();
      }
      await waiting;
      expect(synced.sort()).toEqual([realpathSync(join(root, 'a')), realpathSync(join(root, 'c'))]);
      expect(existsSync(join(root, 'b'))).toBe(false);
    },
  );

  it('reports a failed fsync as a local failure and durable() rejects with it', async () => {
    const events: string[] = [];
    const writer = new UploadWriter({
      createdDirs: new Set(),
      onFailure: (error) => events.push(`failed ${error.code}`),
      syncFile: (_fd, done) => done(Object.assign(new Error('Input/output error'), { code: 'EIO', syscall: 'fsync' })),
    });
    const { file } = writer.begin(join(root, 'lost'));
    writer.write(file, Buffer.from('data'));
    writer.end(file, true);
    await writer.settle();
    await expect(writer.durable()).rejects.toMatchObject({ code: 'EIO' });
    expect(events).toEqual(['failed EIO']);
  });
});
