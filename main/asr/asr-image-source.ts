import type { Readable } from 'node:stream';
import type { IpswArchive } from '../ipsw/ipsw-reader';
import { AsrError } from './asr-error';

/**
 * The OS image as ASR needs it (docs/protocols/asr.md#sequence): its size, short reads at any offset for the phone's
 * out-of-band requests, and one front-to-back stream for the payload. Nothing here holds the whole image.
 */
export type AsrImageSource = {
  readonly size: number;
  /** Exactly `length` bytes from `offset` (the caller has checked the range against `size`). */
  readRange(offset: number, length: number, signal?: AbortSignal): Promise<Buffer>;
  /** The whole image from offset 0, in pieces of any size; stops early when `signal` aborts. */
  stream(signal?: AbortSignal): AsyncIterable<Uint8Array>;
};

async function collect(stream: Readable, length: number, signal: AbortSignal | undefined): Promise<Buffer> {
  const out = Buffer.allocUnsafe(length);
  let filled = 0;
  const onAbort = (): void => {
    stream.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      const n = Math.min(piece.length, length - filled);
      piece.copy(out, filled, 0, n);
      filled += n;
      if (filled === length) break;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stream.destroy();
  }
  if (filled !== length) throw new AsrError('source', `The image ended after ${filled} of ${length} bytes`);
  return out;
}

async function* piecesOf(open: () => Promise<Readable>, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  const stream = await open();
  const onAbort = (): void => {
    stream.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      if (signal?.aborted) return;
      yield piece;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stream.destroy();
  }
}

/**
 * An entry of an IPSW, read in place: out-of-band ranges come straight from the archive, so the entry must be stored
 * (uncompressed), as IPSWs ship their OS images (docs/protocols/asr.md#the-image).
 */
export function ipswEntryImageSource(archive: Pick<IpswArchive, 'entry' | 'openStream'>, entryName: string): AsrImageSource {
  const entry = archive.entry(entryName);
  if (!entry) throw new AsrError('source', `The firmware file has no ${entryName}`);
  if (entry.method !== 0)
    throw new AsrError('source', `${entryName} is compressed in the firmware file, so it cannot be read at an offset`);
  return {
    size: entry.size,
    readRange: async (offset, length, signal) =>
      length === 0
        ? Buffer.alloc(0)
        : collect(await archive.openStream(entryName, { start: offset, end: offset + length }), length, signal),
    stream: (signal) => piecesOf(() => archive.openStream(entryName), signal),
  };
}

/** An image already in memory (small images and tests). */
export function memoryImageSource(bytes: Uint8Array): AsrImageSource {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    size: buffer.length,
    readRange: (offset, length) => Promise.resolve(buffer.subarray(offset, offset + length)),
    stream: async function* () {
      for (let at = 0; at < buffer.length; at += 1024 * 1024) yield buffer.subarray(at, at + 1024 * 1024);
    },
  };
}
