import { PassThrough } from 'node:stream';
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
