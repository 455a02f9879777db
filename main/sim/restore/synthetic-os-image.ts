import { createHash } from 'node:crypto';
import type { AsrImageSource } from '../../asr/asr-image-source';
import { fillerBlock } from '../zip-writer';

const BLOCK_BYTES = 1024 * 1024;
const PAGE_BYTES = 4096;

/**
 * A deterministic OS image of any size, generated on the fly (tests, benches, practice): seeded filler whose every
 * 4 KiB page starts with its own page number, so no two pages are alike and a read from the wrong offset shows.
 */
export type SyntheticOsImage = AsrImageSource & {
  /** The image in fresh ≤ 1 MiB buffers from `start` to `end` (end exclusive). */
  chunks(start?: number, end?: number): Generator<Buffer>;
  sha256(): string;
};

export function syntheticOsImage(size: number, seed = 1): SyntheticOsImage {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`Invalid image size ${size}`);
  const filler = fillerBlock(seed);
  const block = (index: number): Buffer => {
    const out = Buffer.allocUnsafe(BLOCK_BYTES);
    filler.copy(out);
    const firstPage = (index * BLOCK_BYTES) / PAGE_BYTES;
    for (let page = 0; page < BLOCK_BYTES / PAGE_BYTES; page++) out.writeDoubleLE(firstPage + page, page * PAGE_BYTES);
    return out;
  };
  function* chunks(start = 0, end = size): Generator<Buffer> {
    if (start < 0 || end > size || start > end) throw new RangeError(`Range ${start}-${end} outside a ${size}-byte image`);
    for (let at = start; at < end;) {
      const index = Math.floor(at / BLOCK_BYTES);
      const within = at - index * BLOCK_BYTES;
      const n = Math.min(BLOCK_BYTES - within, end - at);
      yield block(index).subarray(within, within + n);
      at += n;
    }
  }
  return {
    size,
    chunks,
    readRange: (offset, length) => Promise.resolve(Buffer.concat([...chunks(offset, offset + length)], length)),
    stream: (signal) =>
      (async function* () {
        for (const chunk of chunks()) {
          if (signal?.aborted) return;
          yield chunk;
        }
      })(),
    sha256: () => {
      const hash = createHash('sha256');
      for (const chunk of chunks()) hash.update(chunk);
      return hash.digest('hex');
    },
  };
}
