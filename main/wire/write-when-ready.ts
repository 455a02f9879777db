import type { Writable } from 'node:stream';
import { StreamClosedError, WireAbortedError } from './byte-reader';

/** The reader on the other side stopped taking bytes for longer than allowed. */
export class WireStalledError extends Error {
  constructor(readonly stallMs: number) {
    super(`The other side took nothing for ${stallMs} ms`);
    this.name = 'WireStalledError';
  }
}

export type DrainOptions = { stallTimeoutMs?: number; signal?: AbortSignal };

/**
 * Waits until a stream that refused more bytes (`write()` returned false) wants them again. Rejects with
 * StreamClosedError when it closes, WireStalledError after `stallTimeoutMs` without a drain, WireAbortedError on abort.
 * Hot loops call it only when `write()` returns false, so the common case costs no promise.
 */
export function waitForDrain(stream: Writable, options: DrainOptions = {}): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.reject(new StreamClosedError());
  if (options.signal?.aborted) return Promise.reject(new WireAbortedError());
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const { stallTimeoutMs, signal } = options;
    const timer = stallTimeoutMs === undefined ? undefined : setTimeout(() => done(new WireStalledError(stallTimeoutMs)), stallTimeoutMs);
    const done = (error?: Error): void => {
      clearTimeout(timer);
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new StreamClosedError());
    const onAbort = (): void => done(new WireAbortedError());
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('error', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Queues `bytes` and resolves once the stream is below its high-water mark again (see waitForDrain). */
export function writeWhenReady(stream: Writable, bytes: Uint8Array, options: DrainOptions = {}): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.reject(new StreamClosedError());
  return stream.write(bytes) ? Promise.resolve() : waitForDrain(stream, options);
}
