import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, StreamClosedError, WireTimeoutError } from '../../../main/wire/byte-reader';
import { FrameTooLargeError, PlistChannel, encodePlistFrame, readPlistFrame } from '../../../main/plist/framing';

describe('ByteReader', () => {
  it('assembles exact reads across chunk boundaries', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    stream.write(Buffer.from([1, 2]));
    stream.write(Buffer.from([3, 4, 5]));
    expect([...(await reader.read(4))]).toEqual([1, 2, 3, 4]);
    stream.write(Buffer.from([6]));
    expect([...(await reader.read(2))]).toEqual([5, 6]);
  });

  it('rejects with StreamClosedError when the peer goes away mid-read', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    stream.write(Buffer.from([1]));
    const pending = reader.read(4);
    stream.end();
    await expect(pending).rejects.toBeInstanceOf(StreamClosedError);
  });

  it('times out a stalled peer', async () => {
    const reader = new ByteReader(new PassThrough());
    await expect(reader.read(1, { timeoutMs: 20 })).rejects.toBeInstanceOf(WireTimeoutError);
  });

  it('can be cancelled with an AbortSignal', async () => {
    const reader = new ByteReader(new PassThrough());
    const controller = new AbortController();
    const pending = reader.read(1, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('pauses a fast peer once its buffer limit is reached and resumes as bytes are consumed', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream, { maxBuffered: 10 });
    stream.write(Buffer.alloc(16));
    await new Promise((r) => setImmediate(r));
    expect(stream.isPaused()).toBe(true);
    await reader.read(12);
    expect(stream.isPaused()).toBe(false);
  });

  it('still serves a single read larger than its buffer limit', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream, { maxBuffered: 10 });
    const pending = reader.read(100);
    for (let i = 0; i < 10; i++) stream.write(Buffer.alloc(10, i));
    expect((await pending).length).toBe(100);
  });

  it('hands back unread bytes on release', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    stream.write(Buffer.from('abcdef'));
    expect((await reader.read(2)).toString()).toBe('ab');
    expect(reader.release().toString()).toBe('cdef');
  });
});

describe('ByteReader synchronous and zero-copy reads', () => {
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('tryRead returns exactly the bytes when they are buffered, and null without consuming anything when not', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    expect(reader.tryRead(1)).toBeNull();
    stream.write(Buffer.from([1, 2, 3]));
    await tick();
    expect(reader.tryRead(4)).toBeNull();
    expect(reader.bufferedBytes).toBe(3);
    expect([...reader.tryRead(2)!]).toEqual([1, 2]);
    stream.write(Buffer.from([4, 5]));
    await tick();
    expect([...reader.tryRead(3)!]).toEqual([3, 4, 5]);
    expect(reader.tryRead(0)!.length).toBe(0);
    expect(() => reader.tryRead(-1)).toThrow(RangeError);
  });

  it('tryReadPieces hands out views of the received chunks, split at the requested length', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    // Buffer.alloc never takes from the shared pool, so each chunk has its own memory to compare against.
    const first = Buffer.alloc(6, 'abcdef');
    const second = Buffer.alloc(4, 'ghij');
    stream.write(first);
    stream.write(second);
    await tick();
    const pieces = reader.tryReadPieces(8)!;
    expect(Buffer.concat(pieces).toString()).toBe('abcdefgh');
    expect(pieces.map((piece) => piece.length)).toEqual([6, 2]);
    // No copy: the pieces share memory with what the stream delivered.
    expect(pieces[0]!.buffer).toBe(first.buffer);
    expect(pieces[1]!.buffer).toBe(second.buffer);
    expect(reader.tryReadPieces(3)).toBeNull();
    expect((await reader.read(2)).toString()).toBe('ij');
  });

  it('readPieces waits until all bytes have arrived, and rejects when the peer goes away first', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    const pending = reader.readPieces(5);
    stream.write(Buffer.from('ab'));
    stream.write(Buffer.from('cdef'));
    expect(Buffer.concat(await pending).toString()).toBe('abcde');
    const short = reader.readPieces(4);
    stream.end();
    await expect(short).rejects.toBeInstanceOf(StreamClosedError);
  });

  it('tryRead never jumps ahead of a pending read', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    const pending = reader.read(4);
    stream.write(Buffer.from([1, 2]));
    await tick();
    expect(reader.tryRead(1)).toBeNull();
    stream.write(Buffer.from([3, 4, 5]));
    expect([...(await pending)]).toEqual([1, 2, 3, 4]);
    expect([...reader.tryRead(1)!]).toEqual([5]);
  });

  it('resumes a paused peer once synchronous reads drain the buffer', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream, { maxBuffered: 10 });
    stream.write(Buffer.alloc(16));
    await tick();
    expect(stream.isPaused()).toBe(true);
    expect(reader.tryReadPieces(12)).not.toBeNull();
    expect(stream.isPaused()).toBe(false);
  });

  it('any mix of read, tryRead, readPieces and tryReadPieces reproduces the stream in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 20 }),
        fc.array(
          fc.record({ kind: fc.constantFrom('read', 'tryRead', 'readPieces', 'tryReadPieces'), n: fc.integer({ min: 0, max: 50 }) }),
          { maxLength: 40 },
        ),
        async (chunks, reads) => {
          const stream = new PassThrough();
          const reader = new ByteReader(stream);
          const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
          for (const chunk of chunks) stream.write(Buffer.from(chunk));
          stream.end();
          await tick();
          const got: Buffer[] = [];
          let offset = 0;
          for (const { kind, n } of reads) {
            const size = Math.min(n, all.length - offset);
            if (kind === 'read') got.push(await reader.read(size));
            else if (kind === 'readPieces') got.push(...(await reader.readPieces(size)));
            else if (kind === 'tryRead') got.push(reader.tryRead(size)!);
            else got.push(...reader.tryReadPieces(size)!);
            offset += size;
          }
          expect(Buffer.concat(got).equals(all.subarray(0, offset))).toBe(true);
          expect(reader.bufferedBytes).toBe(all.length - offset);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('plist framing', () => {
  it('reads back what it writes, in both encodings, on one stream', async () => {
    const stream = new PassThrough();
    const channel = new PlistChannel(stream);
    await channel.send({ Request: 'QueryType' });
    await channel.send({ Type: 'com.apple.mobile.lockdown' }, 'binary');
    expect(await channel.receive()).toEqual({ Request: 'QueryType' });
    expect(await channel.receive()).toEqual({ Type: 'com.apple.mobile.lockdown' });
  });

  it('refuses an absurd length without waiting for its bytes', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffffffff);
    stream.write(header);
    await expect(readPlistFrame(reader, { timeoutMs: 1000 })).rejects.toBeInstanceOf(FrameTooLargeError);
  });

  it('prefixes the body with its big-endian length', () => {
    const frame = encodePlistFrame({ a: 1 }, 'xml');
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
  });
});
