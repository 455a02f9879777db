import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamClosedError, WireAbortedError } from '../../../main/wire/byte-reader';
import { WireStalledError, waitForDrain, writeWhenReady } from '../../../main/wire/write-when-ready';
import { rejectionOf } from '../../thrown';

/** A sink that takes nothing until `release()` is called. */
function heldSink(): { sink: Writable; release: () => void } {
  let pending: (() => void) | null = null;
  const sink = new Writable({
    highWaterMark: 4,
    write: (_chunk, _encoding, callback) => {
      pending = callback;
    },
  });
  return { sink, release: () => pending?.() };
}

describe('writeWhenReady', () => {
  it('resolves at once while the stream wants more, and after the drain when it did not', async () => {
    const open = new Writable({ write: (_c, _e, callback) => callback() });
    await expect(writeWhenReady(open, Buffer.from('ab'))).resolves.toBeUndefined();
    const { sink, release } = heldSink();
    const waiting = writeWhenReady(sink, Buffer.alloc(10));
    release();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('fails as stalled when the stream takes nothing for the stall time', async () => {
    const { sink } = heldSink();
    const error = await rejectionOf(() => writeWhenReady(sink, Buffer.alloc(10), { stallTimeoutMs: 5 }));
    expect(error).toBeInstanceOf(WireStalledError);
  });

  it('fails as closed when the stream goes away while waiting, and as aborted on cancel', async () => {
    const held = heldSink();
    const closing = writeWhenReady(held.sink, Buffer.alloc(10));
    held.sink.destroy();
    expect(await rejectionOf(() => closing)).toBeInstanceOf(StreamClosedError);
    expect(await rejectionOf(() => writeWhenReady(held.sink, Buffer.alloc(1)))).toBeInstanceOf(StreamClosedError);

    const controller = new AbortController();
    const other = heldSink();
    const aborting = writeWhenReady(other.sink, Buffer.alloc(10), { signal: controller.signal });
    controller.abort();
    expect(await rejectionOf(() => aborting)).toBeInstanceOf(WireAbortedError);
    expect(await rejectionOf(() => waitForDrain(other.sink, { signal: controller.signal }))).toBeInstanceOf(WireAbortedError);
  });
});
