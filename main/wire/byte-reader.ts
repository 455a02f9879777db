import type { Readable } from 'node:stream';
import { isPooledReadBuffer, recycleReadBuffer } from './read-buffer-pool';

/** The other side went away (unplugged cable, closed socket): an expected event, not a crash. */
export class StreamClosedError extends Error {
  constructor(message = 'The connection was closed') {
    super(message);
    this.name = 'StreamClosedError';
  }
}

export class WireTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`No answer within ${timeoutMs} ms`);
    this.name = 'WireTimeoutError';
  }
}

export class WireAbortedError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'AbortError';
  }
}

export type ReadOptions = { timeoutMs?: number; signal?: AbortSignal };

type Waiter = {
  wanted: number;
  /** Takes the wanted bytes and settles the read if they are buffered; false when not yet. */
  attempt: () => boolean;
  reject: (error: Error) => void;
  cleanup: () => void;
};

const DEFAULT_MAX_BUFFERED = 4 * 1024 * 1024;

/**
 * Pulls exact byte counts out of a stream. Pauses the stream while more than `maxBuffered`
 * bytes wait unread, so a fast peer cannot make us hold unbounded data.
 */
export class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiter: Waiter | null = null;
  private failure: Error | null = null;
  private released = false;
  private readonly maxBuffered: number;
  private readonly onData = (chunk: Buffer | string): void => this.push(chunk);
  private readonly onEnd = (): void => this.fail(new StreamClosedError());
  private readonly onError = (error: Error): void => this.fail(new StreamClosedError(error.message));

  constructor(
    private readonly stream: Readable,
    options: { maxBuffered?: number } = {},
  ) {
    this.maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
  }

  get closed(): boolean {
    return this.failure !== null;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Exactly `n` bytes. */
  read(n: number, options: ReadOptions = {}): Promise<Buffer> {
    if (!Number.isInteger(n) || n < 0) return Promise.reject(new RangeError(`Invalid read length ${n}`));
    if (n === 0) return Promise.resolve(Buffer.alloc(0));
    return this.wait(n, () => this.take(n, true), options);
  }

  /** Whatever is available now or next, at most `max` bytes (at least one). */
  readUpTo(max: number, options: ReadOptions = {}): Promise<Buffer> {
    if (!Number.isInteger(max) || max < 1) return Promise.reject(new RangeError(`Invalid read length ${max}`));
    return this.wait(max, () => this.take(max, false), options);
  }

  /**
   * Exactly `n` bytes as the pieces they arrived in (views of the received chunks, no copy), in order.
   * For bulk payloads that go straight to a writev: a block straddling two socket chunks costs no copy.
   * Pieces from a ReadBufferPool belong to the caller: hand them back with recycleReadBuffer() once written.
   * Every other read returns bytes of its own (copied out of pooled chunks).
   */
  readPieces(n: number, options: ReadOptions = {}): Promise<Buffer[]> {
    if (!Number.isInteger(n) || n < 0) return Promise.reject(new RangeError(`Invalid read length ${n}`));
    if (n === 0) return Promise.resolve([]);
    return this.wait(n, () => this.takePieces(n), options);
  }

  /**
   * Exactly `n` bytes if they are buffered right now, else null (nothing consumed). Synchronous, so a parser
   * can walk through buffered data without a promise per field; fall back to read() on null.
   */
  tryRead(n: number): Buffer | null {
    if (!this.canTryRead(n)) return null;
    return n === 0 ? Buffer.alloc(0) : this.take(n, true);
  }

  /** readPieces() when the `n` bytes are buffered right now, else null (nothing consumed). */
  tryReadPieces(n: number): Buffer[] | null {
    if (!this.canTryRead(n)) return null;
    return n === 0 ? [] : this.takePieces(n);
  }

  private canTryRead(n: number): boolean {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Invalid read length ${n}`);
    return this.waiter === null && !this.released && this.buffered >= n;
  }

  /** Stops listening and hands back unread bytes (unshift them before wrapping the socket in TLS). */
  release(): Buffer {
    this.released = true;
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    const rest = Buffer.concat(this.chunks, this.buffered);
    for (const chunk of this.chunks) recycleReadBuffer(chunk);
    this.chunks = [];
    this.buffered = 0;
    this.waiter?.reject(new StreamClosedError('Reader released'));
    this.waiter = null;
    return rest;
  }

  private wait<T>(wanted: number, take: () => T | null, options: ReadOptions): Promise<T> {
    if (this.waiter) return Promise.reject(new Error('ByteReader: concurrent reads are not supported'));
    if (this.released) return Promise.reject(new StreamClosedError('Reader released'));
    const ready = take();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    if (options.signal?.aborted) return Promise.reject(new WireAbortedError());

    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => settle(new WireAbortedError());
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const settle = (error: Error): void => {
        if (this.waiter !== waiter) return;
        this.waiter = null;
        cleanup();
        reject(error);
      };
      const attempt = (): boolean => {
        const bytes = take();
        if (!bytes) return false;
        this.waiter = null;
        cleanup();
        resolve(bytes);
        return true;
      };
      const waiter: Waiter = { wanted, attempt, reject, cleanup };
      if (options.timeoutMs !== undefined) {
        const ms = options.timeoutMs;
        timer = setTimeout(() => settle(new WireTimeoutError(ms)), ms);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = waiter;
      this.stream.resume();
    });
  }

  private push(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    this.serve();
    if (this.buffered > Math.max(this.maxBuffered, this.waiter?.wanted ?? 0)) this.stream.pause();
  }

  private serve(): void {
    this.waiter?.attempt();
  }

  private take(wanted: number, exact: boolean): Buffer | null {
    if (this.buffered === 0 || (exact && this.buffered < wanted)) return null;
    const count = Math.min(wanted, this.buffered);
    let out: Buffer;
    const first = this.chunks[0]!;
    if (first.length >= count) {
      out = first.subarray(0, count);
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
      if (isPooledReadBuffer(out)) {
        const view = out;
        out = Buffer.from(view);
        recycleReadBuffer(view);
      }
    } else {
      out = Buffer.allocUnsafe(count);
      let filled = 0;
      while (filled < count) {
        const chunk = this.chunks[0]!;
        const n = Math.min(chunk.length, count - filled);
        chunk.copy(out, filled, 0, n);
        filled += n;
        if (n === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(n);
        recycleReadBuffer(n === chunk.length ? chunk : chunk.subarray(0, n));
      }
    }
    this.consumed(count);
    return out;
  }

  private takePieces(wanted: number): Buffer[] | null {
    if (this.buffered < wanted) return null;
    const out: Buffer[] = [];
    let left = wanted;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      if (chunk.length <= left) {
        out.push(chunk);
        this.chunks.shift();
        left -= chunk.length;
      } else {
        out.push(chunk.subarray(0, left));
        this.chunks[0] = chunk.subarray(left);
        left = 0;
      }
    }
    this.consumed(wanted);
    return out;
  }

  private consumed(count: number): void {
    this.buffered -= count;
    if (this.buffered <= this.maxBuffered && this.stream.isPaused()) this.stream.resume();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.serve();
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = null;
    waiter.cleanup();
    waiter.reject(error);
  }
}
