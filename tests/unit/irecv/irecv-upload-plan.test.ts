import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DFU_SUFFIX_FIXED, dfuSuffixFor } from '../../../main/irecv/dfu-suffix';
import { dfuUploadPlan, recoveryUploadPlan } from '../../../main/irecv/upload-plan';

/** Bit-by-bit reflected CRC-32, initial 0xFFFFFFFF, no final XOR — written out independently of zlib. */
function referenceCrc(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return crc >>> 0;
}

describe('DFU suffix', () => {
  it('is the 12 fixed bytes then libirecovery’s CRC over payload and those bytes', () => {
    const payload = Buffer.from('Lifeline DFU payload');
    const suffix = dfuSuffixFor(payload);
    expect(suffix.length).toBe(16);
    expect(suffix.subarray(0, 12).equals(Buffer.from('ffffffffac05000155464410', 'hex'))).toBe(true);
    expect(suffix.readUInt32LE(12)).toBe(referenceCrc(Buffer.concat([payload, DFU_SUFFIX_FIXED])));
  });

  it('differs from a zlib CRC (no final XOR)', () => {
    const payload = Buffer.from([1, 2, 3]);
    expect(dfuSuffixFor(payload).readUInt32LE(12)).not.toBe(crc32(Buffer.concat([payload, DFU_SUFFIX_FIXED])));
  });
});

describe('DFU upload plan', () => {
  it('appends the suffix to a last block with room for it', () => {
    expect(dfuUploadPlan(5000)).toEqual([
      { kind: 'data', value: 0, start: 0, end: 2048, suffix: false },
      { kind: 'data', value: 1, start: 2048, end: 4096, suffix: false },
      { kind: 'data', value: 2, start: 4096, end: 5000, suffix: true },
      { kind: 'finish', value: 3 },
    ]);
  });

  it.each([4096, 2033, 2048 + 2040])(
    'sends the suffix separately with the same wValue when the last block of %i bytes is too full',
    (size) => {
      const plan = dfuUploadPlan(size);
      const blocks = Math.ceil(size / 2048);
      expect(plan.at(-3)).toMatchObject({ kind: 'data', value: blocks - 1, suffix: false, end: size });
      expect(plan.at(-2)).toEqual({ kind: 'suffix', value: blocks - 1 });
      expect(plan.at(-1)).toEqual({ kind: 'finish', value: blocks });
    },
  );

  it('keeps the suffix on the block when exactly 16 bytes are free (2032)', () => {
    expect(dfuUploadPlan(2032)).toEqual([
      { kind: 'data', value: 0, start: 0, end: 2032, suffix: true },
      { kind: 'finish', value: 1 },
    ]);
  });

  it('covers every byte once, in order, in blocks of at most 0x800', () => {
    for (const size of [1, 2047, 2048, 2049, 100_000, 1_048_576]) {
      const data = dfuUploadPlan(size).filter((s) => s.kind === 'data');
      let next = 0;
      for (const block of data) {
        expect(block.start).toBe(next);
        expect(block.end - block.start).toBeGreaterThan(0);
        expect(block.end - block.start + (block.suffix ? 16 : 0)).toBeLessThanOrEqual(0x800);
        next = block.end;
      }
      expect(next).toBe(size);
    }
  });

  it('refuses an empty image', () => {
    expect(() => dfuUploadPlan(0)).toThrow(RangeError);
  });
});

describe('recovery upload plan', () => {
  it('cuts 0x8000-byte chunks and adds a zero-length packet only on a 512-byte boundary', () => {
    expect(recoveryUploadPlan(0x8000 * 2 + 100)).toEqual({
      chunks: [
        { start: 0, end: 0x8000 },
        { start: 0x8000, end: 0x10000 },
        { start: 0x10000, end: 0x10064 },
      ],
      zeroLengthPacket: false,
    });
    expect(recoveryUploadPlan(0x8000).zeroLengthPacket).toBe(true);
    expect(recoveryUploadPlan(512 * 3).zeroLengthPacket).toBe(true);
    expect(recoveryUploadPlan(512 * 3 + 1).zeroLengthPacket).toBe(false);
    expect(recoveryUploadPlan(511)).toEqual({ chunks: [{ start: 0, end: 511 }], zeroLengthPacket: false });
  });
});
