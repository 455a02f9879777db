import type { OnReadOpts } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * Recycled memory for a socket's reads (net.connect's `onread`), for bulk streams such as a backup's upload.
 *
 * By default every socket read lands in a new 64 KiB ArrayBuffer; at hundreds of MB/s the garbage collector then
 * runs a full mark-compact every few tens of MB (docs/performance.md#backup-where-the-time-goes). Here reads land in
 * a few large slabs, one after the other, and a slab is reused once every byte read into it has been handed back
 * with recycleReadBuffer().
 *
 * Ownership: a view of a slab belongs to whoever holds it. Code that copies bytes out, or has written them to a file,
 * hands the view back; code that keeps a view simply never hands it back: its slab is then not reused and is
 * collected like any buffer once unreferenced (a slab is only found through a WeakMap). Handing a view back while
 * still using it would let the next read overwrite it, so only the final owner of bytes may do it.
 */

type Slab = { readonly memory: Buffer; used: number; outstanding: number; readonly pool: ReadBufferPool };

const slabs = new WeakMap<ArrayBufferLike, Slab>();

const DEFAULT_SLAB_BYTES = 1024 * 1024;
const DEFAULT_MIN_READ_BYTES = 64 * 1024;
const MAX_IDLE_SLABS = 4;

export class ReadBufferPool {
  private readonly slabBytes: number;
  private readonly minReadBytes: number;
  private readonly shared: boolean;
  private current: Slab;
  private readonly idle: Slab[] = [];
  /** Slabs allocated so far (a measure for tests and benches). */
  allocated = 0;

  /** `shared`: slabs are SharedArrayBuffers, so a worker thread can write the bytes out without a copy (sharedSlabOf). */
  constructor(options: { slabBytes?: number; minReadBytes?: number; shared?: boolean } = {}) {
    this.slabBytes = options.slabBytes ?? DEFAULT_SLAB_BYTES;
    this.shared = options.shared ?? false;
    this.minReadBytes = Math.min(options.minReadBytes ?? DEFAULT_MIN_READ_BYTES, this.slabBytes);
    this.current = this.newSlab();
  }

  /** The region the next read may fill: the rest of the current slab, or a fresh or recycled one. */
  nextRegion(): Buffer {
    if (this.current.memory.length - this.current.used < this.minReadBytes) {
      const previous = this.current;
      this.current = this.idle.pop() ?? this.newSlab();
      this.current.used = 0;
      if (previous.outstanding === 0) this.makeIdle(previous);
    }
    return this.current.memory.subarray(this.current.used);
  }

  /** `count` bytes were read into `region` (from nextRegion()): returns them, owned by the caller. */
  filled(region: Buffer, count: number): Buffer {
    const slab = slabs.get(region.buffer);
    if (slab === undefined || slab.pool !== this) return Buffer.from(region.subarray(0, count));
    const start = region.byteOffset - slab.memory.byteOffset;
    slab.used = start + count;
    slab.outstanding += count;
    return region.subarray(0, count);
  }

  /** net.connect's `onread`: every read is pushed to `stream()` as a view of a slab. */
  onread(stream: () => Readable): OnReadOpts {
    return {
      buffer: () => this.nextRegion(),
      callback: (count: number, region: Uint8Array) => stream().push(this.filled(region as Buffer, count)),
    };
  }

  /** Called by recycleReadBuffer(). */
  returned(slab: Slab, count: number): void {
    slab.outstanding = Math.max(0, slab.outstanding - count);
    if (slab.outstanding === 0 && slab !== this.current) this.makeIdle(slab);
  }

  private makeIdle(slab: Slab): void {
    // A shared slab is also held by the worker that writes from it: dropping it would not free it, so every one is kept
    // for reuse (how many exist is bounded by the bytes the writer lets wait).
    if ((this.shared || this.idle.length < MAX_IDLE_SLABS) && !this.idle.includes(slab)) this.idle.push(slab);
  }

  private newSlab(): Slab {
    const memory = this.shared ? Buffer.from(new SharedArrayBuffer(this.slabBytes)) : Buffer.allocUnsafeSlow(this.slabBytes);
    const slab: Slab = { memory, used: 0, outstanding: 0, pool: this };
    slabs.set(slab.memory.buffer, slab);
    this.allocated++;
    return slab;
  }
}

/** True when `bytes` is a view of a pool's slab: keep it past the current call only as a copy, or hand it back. */
export function isPooledReadBuffer(bytes: Buffer): boolean {
  return slabs.has(bytes.buffer);
}

/** Where a view of a shared slab lies in its memory (to hand to a worker thread), or undefined for any other buffer. */
export function sharedSlabOf(bytes: Buffer): { memory: SharedArrayBuffer; offset: number } | undefined {
  const memory = bytes.buffer;
  if (!(memory instanceof SharedArrayBuffer) || !slabs.has(memory)) return undefined;
  return { memory, offset: bytes.byteOffset };
}

/** The holder of `bytes` (a view handed out by a pool) is done with them; any other buffer is ignored. */
export function recycleReadBuffer(bytes: Buffer): void {
  const slab = slabs.get(bytes.buffer);
  if (slab !== undefined) slab.pool.returned(slab, bytes.length);
}
