import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../../main/wire/byte-reader';
import { ReadBufferPool, isPooledReadBuffer, recycleReadBuffer } from '../../../main/wire/read-buffer-pool';

/** Deterministic bytes (a counter hashed block by block), so any overwrite shows. */
function streamBytes(length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let at = 0, block = 0; at < length; block++) {
    const digest = createHash('sha256').update(String(block)).digest();
    at += digest.copy(out, at);
  }
  return out;
}

async function pooledConnection(pool: ReadBufferPool, bytes: Buffer): Promise<{ socket: Socket; close: () => void }> {
  const server = createServer((peer) => {
    // Uneven writes, so reads straddle every boundary.
    let at = 0;
    let size = 1;
    while (at < bytes.length) {
      peer.write(bytes.subarray(at, at + size));
      at += size;
      size = ((size * 7 + 13) % 9000) + 1;
    }
    peer.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const socket: Socket = connect({ host: '127.0.0.1', port, onread: pool.onread(() => socket) });
  return { socket, close: () => server.close() };
}

describe('ReadBufferPool', () => {
  it('never hands out a region that holds bytes not yet handed back, and reuses a slab once they are', () => {
    const pool = new ReadBufferPool({ slabBytes: 100, minReadBytes: 40 });
    const first = pool.filled(pool.nextRegion(), 70);
    expect(isPooledReadBuffer(first)).toBe(true);
    const second = pool.filled(pool.nextRegion(), 50);
    // 30 bytes left in the first slab: below the minimum, so a second slab.
    expect(pool.allocated).toBe(2);
    expect(second.buffer).not.toBe(first.buffer);
    pool.filled(pool.nextRegion(), 50);
    // The second slab is full and the first still holds bytes: a third.
    pool.nextRegion();
    expect(pool.allocated).toBe(3);
    recycleReadBuffer(first);
    recycleReadBuffer(second);
    // The third slab fills; the next region comes from a slab that was handed back.
    const third = pool.filled(pool.nextRegion(), 100);
    const reused = pool.nextRegion();
    expect(pool.allocated).toBe(3);
    expect(reused.length).toBe(100);
    expect([first.buffer, second.buffer]).toContain(reused.buffer);
    expect(third.buffer).not.toBe(reused.buffer);
  });

  it('ignores buffers that are not its own', () => {
    const pool = new ReadBufferPool({ slabBytes: 64, minReadBytes: 16 });
    const plain = Buffer.alloc(8);
    expect(isPooledReadBuffer(plain)).toBe(false);
    expect(() => recycleReadBuffer(plain)).not.toThrow();
    expect(pool.filled(plain, 4)).toEqual(Buffer.alloc(4));
  });

  it('through a real socket and a ByteReader: reads, kept pieces and recycled pieces all keep their bytes', async () => {
    const bytes = streamBytes(3 * 1024 * 1024);
    const pool = new ReadBufferPool({ slabBytes: 32 * 1024, minReadBytes: 4 * 1024 });
    const { socket, close } = await pooledConnection(pool, bytes);
    const reader = new ByteReader(socket);
    const kept: Buffer[][] = [];
    const keptExpected: Buffer[] = [];
    const hash = createHash('sha256');
    const expected = createHash('sha256');
    let at = 0;
    let turn = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, [1, 4, 5, 700, 20_000, 70_000][turn % 6]!);
      // Pieces are kept only in the first third, so later slabs are free to be reused under the kept reads.
      const kind = turn % 3 === 2 && at > bytes.length / 3 ? 1 : turn % 3;
      if (kind !== 1) keptExpected.push(bytes.subarray(at, at + n));
      if (kind === 0) {
        // Own bytes: checked only at the end, after many slabs were reused.
        kept.push([await reader.read(n)]);
      } else if (kind === 1) {
        // Pieces written (hashed) and handed back at once, like the backup's file writer.
        for (const piece of await reader.readPieces(n)) {
          hash.update(piece);
          recycleReadBuffer(piece);
        }
        expected.update(bytes.subarray(at, at + n));
      } else {
        // Pieces kept and never handed back: their slab must never be reused.
        kept.push(await reader.readPieces(n));
      }
      at += n;
      turn++;
    }
    close();
    socket.destroy();
    // Every kept read must still hold exactly its bytes, after many slabs were reused.
    const mismatched = kept.findIndex((pieces, i) => !Buffer.concat(pieces).equals(keptExpected[i]!));
    expect(mismatched).toBe(-1);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
  });

  it('reuses its slabs when every piece is handed back once written, as the backup writer does', async () => {
    const bytes = streamBytes(4 * 1024 * 1024);
    const slabBytes = 32 * 1024;
    const pool = new ReadBufferPool({ slabBytes, minReadBytes: 4 * 1024 });
    const { socket, close } = await pooledConnection(pool, bytes);
    const reader = new ByteReader(socket);
    const hash = createHash('sha256');
    for (let at = 0; at < bytes.length;) {
      const header = await reader.read(Math.min(5, bytes.length - at));
      hash.update(header);
      at += header.length;
      const n = Math.min(32 * 1024, bytes.length - at);
      for (const piece of await reader.readPieces(n)) {
        hash.update(piece);
        recycleReadBuffer(piece);
      }
      at += n;
    }
    close();
    socket.destroy();
    expect(hash.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    // Without reuse this would take bytes / slabBytes = 128 slabs.
    expect(pool.allocated).toBeLessThan(bytes.length / slabBytes / 4);
  });
});
