import { Duplex } from 'node:stream';

/**
 * Two in-memory streams wired back to back: what one side writes, the other reads. Keeps backpressure
 * (a write completes only when the peer's reader wants more). Destroying one side closes the other.
 */
class PairedEnd extends Duplex {
  peer: PairedEnd | null = null;
  private pendingWrite: ((error?: Error | null) => void) | null = null;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (!peer || peer.destroyed || peer.readableEnded) {
      callback(new Error('The other end is closed'));
      return;
    }
    if (peer.push(chunk)) callback();
    else this.pendingWrite = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer && !peer.destroyed) peer.push(null);
    callback();
  }

  override _read(): void {
    const peer = this.peer;
    const pending = peer?.pendingWrite;
    if (peer && pending) {
      peer.pendingWrite = null;
      pending();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const pending = this.pendingWrite;
    this.pendingWrite = null;
    pending?.(error ?? new Error('Stream destroyed'));
    const peer = this.peer;
    this.peer = null;
    if (peer && !peer.destroyed) {
      peer.peer = null;
      // Surface as a normal end of data on the other side, like a closed TCP connection.
      if (!peer.readableEnded) peer.push(null);
      peer.destroy();
    }
    callback(error);
  }
}

export function createDuplexPair(): [Duplex, Duplex] {
  const a = new PairedEnd({ allowHalfOpen: true });
  const b = new PairedEnd({ allowHalfOpen: true });
  a.peer = b;
  b.peer = a;
  return [a, b];
}
