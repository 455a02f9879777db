import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { AFC_HEADER_BYTES, AFC_MAGIC, AfcError, encodeAfcPacket, readAfcPacket } from '../../../main/afc/afc-packet';
import { AfcSyncLock } from '../../../main/backup/afc-sync-lock';
import { StreamClosedError } from '../../../main/wire/byte-reader';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, hostileU64, readerOf, type ParserUnderFuzz } from './fuzz-harness';

const MAX_BYTES = 64 * 1024;

const packets: ParserUnderFuzz = {
  name: 'readAfcPacket',
  parse: async (input) => {
    const reader = readerOf(input, 37);
    const out = [];
    for (;;) out.push(await readAfcPacket(reader, { maxBytes: MAX_BYTES }));
  },
  typedErrors: [AfcError, StreamClosedError],
};

function phoneSending(bytes: Uint8Array): Duplex {
  const stream = new Duplex({ read: () => undefined, write: (_chunk, _encoding, done) => done() });
  stream.push(Buffer.from(bytes));
  stream.push(null);
  return stream;
}

const syncLock: ParserUnderFuzz = {
  name: 'AfcSyncLock',
  parse: async (input) => {
    const lock = new AfcSyncLock(phoneSending(input));
    try {
      await lock.acquire({ attempts: 3, retryMs: 0, timeoutMs: 5_000 });
      return true;
    } finally {
      await lock.release();
    }
  },
  typedErrors: [AfcError, StreamClosedError],
};

/** A header whose lengths, packet number and operation may all lie. */
const hostileHeader = fc
  .record({
    magic: fc.oneof(fc.constant(AFC_MAGIC), fc.uint8Array({ minLength: 8, maxLength: 8 })),
    entire: hostileU64,
    thisLength: hostileU64,
    packet: hostileU64,
    op: hostileU64,
  })
  .map(({ magic, entire, thisLength, packet, op }) => {
    const header = Buffer.alloc(AFC_HEADER_BYTES);
    Buffer.from(magic).copy(header, 0);
    header.writeBigUInt64LE(entire, 8);
    header.writeBigUInt64LE(thisLength, 16);
    header.writeBigUInt64LE(packet, 24);
    header.writeBigUInt64LE(op, 32);
    return header;
  });

/** Honest packets in the order the sync lock expects them (open result, status), with any values. */
const honestPacket = fc
  .record({
    op: fc.constantFrom(0x01, 0x0e, 0x02, 0x7f),
    packet: fc.bigInt({ min: 0n, max: 3n }),
    headerData: fc.uint8Array({ maxLength: 24 }),
    payload: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ op, packet, headerData, payload }) =>
    encodeAfcPacket({ op, packet, headerData: Buffer.from(headerData), payload: Buffer.from(payload) }),
  );

const streams = fc
  .array(fc.oneof(honestPacket, hostileHeader, fc.uint8Array({ maxLength: 64 })), { maxLength: 6 })
  .map((parts) => Buffer.concat(parts));

describe('AFC packets under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes, with and without the magic', async () => {
    await fuzzRandomBytes(packets, { numRuns: 200 });
    await fuzzRandomBytes(packets, { numRuns: 200, prefix: AFC_MAGIC });
    await fuzzRandomBytes(syncLock, { numRuns: 150, prefix: AFC_MAGIC });
  });

  it('headers with lying lengths, packet numbers and operations, mixed with honest packets', async () => {
    await fuzzParser(packets, streams, { numRuns: 200 });
    await fuzzParser(syncLock, streams, { numRuns: 200 });
  });
});
