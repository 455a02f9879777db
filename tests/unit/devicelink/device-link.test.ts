import { PassThrough, Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DeviceLinkError,
  EMPTY_PARAMETER_STRING,
  FileBatchWriter,
  FileBlockCode,
  deviceLinkStatusForErrno,
  encodeBlockHeader,
  encodeFileName,
  parseDeviceLinkMessage,
  parseStatusResponse,
  readFileBatch,
  readFileBlock,
  statusResponseMessage,
  versionExchangeMessage,
  writeWithBackpressure,
  type FileBatchSink,
} from '../../../main/devicelink/device-link';
import { ByteReader, StreamClosedError } from '../../../main/wire/byte-reader';
import { nothingOr, rejectionOf } from '../../thrown';

function readerOf(bytes: Buffer): ByteReader {
  const stream = new PassThrough();
  const reader = new ByteReader(stream);
  stream.end(bytes);
  return reader;
}

type Received = { path: string; source: string | undefined; bytes: Buffer; outcome: string };

function collectingSink(out: Received[]): FileBatchSink {
  let current: Received | undefined;
  return {
    beginFile: (file) => {
      current = { path: file.path, source: file.sourceName, bytes: Buffer.alloc(0), outcome: '' };
    },
    data: (bytes) => {
      current!.bytes = Buffer.concat([current!.bytes, bytes]);
    },
    endFile: (outcome) => {
      current!.outcome = outcome.ok ? 'ok' : `error ${outcome.code}: ${outcome.message}`;
      out.push(current!);
    },
  };
}

describe('DeviceLink messages', () => {
  it('accepts DL arrays and rejects short or foreign names', () => {
    expect(parseDeviceLinkMessage(versionExchangeMessage())).toEqual({ name: 'DLMessageVersionExchange', args: [300, 0] });
    expect(() => parseDeviceLinkMessage(['DLMsg'])).toThrow(DeviceLinkError);
    expect(() => parseDeviceLinkMessage(['XLMessagePing', 'x'])).toThrow(DeviceLinkError);
    expect(() => parseDeviceLinkMessage({ a: 1 })).toThrow(DeviceLinkError);
    expect(() => parseDeviceLinkMessage([])).toThrow(DeviceLinkError);
  });

  it('sends absent status strings as the empty-parameter marker and reads them back as undefined', () => {
    const message = statusResponseMessage(-13, undefined, {});
    expect(message[2]).toBe(EMPTY_PARAMETER_STRING);
    expect(parseStatusResponse(parseDeviceLinkMessage(message))).toEqual({ code: -13, description: undefined, extra: {} });
  });

  it('maps errno names to DeviceLink codes', () => {
    expect(deviceLinkStatusForErrno('ENOENT')).toBe(-6);
    expect(deviceLinkStatusForErrno('ENOSPC')).toBe(-15);
    expect(deviceLinkStatusForErrno('EWEIRD')).toBe(-1);
    expect(deviceLinkStatusForErrno(undefined)).toBe(-1);
  });
});

describe('writeWithBackpressure', () => {
  const neverDrains = (): Writable => new Writable({ highWaterMark: 1, write: () => undefined });

  it('destroys a stream whose reader stops taking bytes and rejects as closed', async () => {
    const stream = neverDrains();
    await expect(writeWithBackpressure(stream, Buffer.alloc(8), 10)).rejects.toBeInstanceOf(StreamClosedError);
    expect(stream.destroyed).toBe(true);
  });

  it('refuses a stream already closed, and rejects as closed when it closes while waiting', async () => {
    const ended = neverDrains();
    ended.destroy();
    await expect(writeWithBackpressure(ended, Buffer.alloc(1))).rejects.toBeInstanceOf(StreamClosedError);
    const stream = neverDrains();
    const waiting = writeWithBackpressure(stream, Buffer.alloc(8));
    stream.destroy();
    await expect(waiting).rejects.toBeInstanceOf(StreamClosedError);
  });
});

describe('DeviceLink raw file transfer', () => {
  it('round-trips an upload batch written with FileBatchWriter', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    const writer = new FileBatchWriter(stream, { blockBytes: 1000 });
    const big = Buffer.alloc(5555, 7);
    const done = (async () => {
      await writer.beginFile({ sourceName: 'HomeDomain/a', path: 'UDID/ab/ab01' });
      await writer.data(big);
      await writer.endFile();
      await writer.beginFile({ sourceName: 'HomeDomain/empty', path: 'UDID/cd/cd02' });
      await writer.endFile();
      await writer.beginFile({ sourceName: 'x', path: 'UDID/ef/ef03' });
      await writer.endFile({ ok: false, code: FileBlockCode.RemoteError, message: 'unreadable' });
      await writer.endBatch();
    })();
    const got: Received[] = [];
    expect(await readFileBatch(reader, collectingSink(got), { namesPerFile: 2 })).toBe(3);
    await done;
    expect(got.map((r) => [r.source, r.path, r.bytes.length, r.outcome])).toEqual([
      ['HomeDomain/a', 'UDID/ab/ab01', 5555, 'ok'],
      ['HomeDomain/empty', 'UDID/cd/cd02', 0, 'ok'],
      ['x', 'UDID/ef/ef03', 0, 'error 11: unreadable'],
    ]);
    expect(got[0]!.bytes.equals(big)).toBe(true);
  });

  it('reads a host download with a local error for a missing file', async () => {
    const bytes = Buffer.concat([
      encodeFileName('U/Status.plist'),
      encodeBlockHeader(FileBlockCode.LocalError, 25),
      Buffer.from('No such file or directory'),
      Buffer.alloc(4),
    ]);
    const got: Received[] = [];
    expect(await readFileBatch(readerOf(bytes), collectingSink(got), { namesPerFile: 1 })).toBe(1);
    expect(got[0]!.outcome).toBe('error 6: No such file or directory');
  });

  it('treats a remote-error block right after data as the end of the file', async () => {
    const bytes = Buffer.concat([
      encodeFileName('src'),
      encodeFileName('dst'),
      encodeBlockHeader(FileBlockCode.FileData, 3),
      Buffer.from('abc'),
      encodeBlockHeader(FileBlockCode.RemoteError, 0),
      Buffer.alloc(4),
    ]);
    const got: Received[] = [];
    await readFileBatch(readerOf(bytes), collectingSink(got), { namesPerFile: 2 });
    expect(got[0]!.outcome).toBe('ok');
    expect(got[0]!.bytes.toString()).toBe('abc');
  });

  it('refuses oversized blocks and names before reading their bodies', async () => {
    const huge = Buffer.alloc(5);
    huge.writeUInt32BE(0xffffffff, 0);
    await expect(readFileBlock(readerOf(huge), { maxBlockBytes: 1024 })).rejects.toThrow(/exceeds/);
    await expect(readFileBatch(readerOf(huge), collectingSink([]), { namesPerFile: 1 })).rejects.toThrow(/exceeds/);
  });

  it('never hangs, crashes or over-allocates on arbitrary bytes (fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.constantFrom<1 | 2>(1, 2), async (bytes, namesPerFile) => {
        const received: Received[] = [];
        const thrown = await rejectionOf(() =>
          readFileBatch(readerOf(Buffer.from(bytes)), collectingSink(received), {
            namesPerFile,
            maxBlockBytes: 256,
            maxNameBytes: 64,
            maxFiles: 8,
          }),
        );
        expect(thrown).toSatisfy(nothingOr(DeviceLinkError, StreamClosedError));
        expect(received.length).toBeLessThanOrEqual(8);
        for (const file of received) expect(file.bytes.length).toBeLessThanOrEqual(512);
      }),
      { numRuns: 500 },
    );
  });

  it('reads back any sequence of files it wrote (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            path: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\0')),
            data: fc.uint8Array({ maxLength: 3000 }),
          }),
          { maxLength: 6 },
        ),
        fc.integer({ min: 1, max: 2048 }),
        async (files, blockBytes) => {
          const stream = new PassThrough();
          const reader = new ByteReader(stream);
          const writer = new FileBatchWriter(stream, { blockBytes });
          const writing = (async () => {
            for (const f of files) {
              await writer.beginFile({ sourceName: undefined, path: f.path });
              await writer.data(Buffer.from(f.data));
              await writer.endFile();
            }
            await writer.endBatch();
          })();
          const got: Received[] = [];
          await readFileBatch(reader, collectingSink(got), { namesPerFile: 1 });
          await writing;
          expect(got.map((g) => [g.path, Buffer.from(g.bytes).toString('hex')])).toEqual(
            files.map((f) => [f.path, Buffer.from(f.data).toString('hex')]),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hands a data block that straddles two received chunks to the sink as views of those chunks, not a copy', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    const payload = Buffer.alloc(100, 9);
    // Buffer.alloc never takes from the shared pool, so each chunk has its own memory to compare against.
    const own = (parts: Buffer[]): Buffer => {
      const joined = Buffer.concat(parts);
      const out = Buffer.alloc(joined.length);
      joined.copy(out);
      return out;
    };
    const head = own([
      encodeFileName('HomeDomain/a'),
      encodeFileName('UDID/ab/ab01'),
      encodeBlockHeader(FileBlockCode.FileData, 100),
      payload.subarray(0, 40),
    ]);
    const tail = own([
      payload.subarray(40),
      encodeBlockHeader(FileBlockCode.FileData, 0),
      encodeBlockHeader(FileBlockCode.Success, 0),
      Buffer.alloc(4),
    ]);
    stream.write(head);
    stream.write(tail);
    const pieces: Buffer[] = [];
    let ended = '';
    const count = await readFileBatch(
      reader,
      {
        beginFile: () => undefined,
        data: (bytes) => void pieces.push(bytes),
        endFile: (outcome) => void (ended = outcome.ok ? 'ok' : 'error'),
      },
      { namesPerFile: 2 },
    );
    expect(count).toBe(1);
    expect(ended).toBe('ok');
    expect(Buffer.concat(pieces).equals(payload)).toBe(true);
    expect(pieces[0]!.buffer).toBe(head.buffer);
    expect(pieces[1]!.buffer).toBe(tail.buffer);
    // The empty data block still reaches the sink, as an empty piece.
    expect(pieces.map((piece) => piece.length)).toEqual([40, 60, 0]);
  });
});
