/**
 * What the simulated phone received in one upload (DFU DNLOAD blocks or a recovery bulk upload), kept so tests can
 * assert on the exact bytes — the host tools' exit codes are not evidence (docs/protocols/irecv.md#observed-from-the-debian-tools item 2).
 */
import { crc32 } from 'node:zlib';

/** The 12 fixed DFU-suffix bytes that precede the CRC (docs/protocols/irecv.md#dfu-suffix). */
export const DFU_SUFFIX_FIXED = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xac, 0x05, 0x00, 0x01, 0x55, 0x46, 0x44, 0x10]);
export const DFU_SUFFIX_SIZE = 16;

export type DfuSuffixCheck = 'valid' | 'bad-crc' | 'missing';

export type SimUploadDfuFacts = {
  /** DNLOAD requests with data. */
  blocks: number;
  /** The suffix arrived as its own 16-byte DNLOAD with the data block's wValue (docs/protocols/irecv.md#observed-from-the-debian-tools item 1). */
  separateSuffix: boolean;
  suffix: DfuSuffixCheck;
  /** wValue of the zero-length finishing DNLOAD. */
  finishValue: number;
};

export class SimUpload {
  readonly mode: 'dfu' | 'recovery';
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #complete = false;
  #dfu: SimUploadDfuFacts | undefined;

  constructor(mode: 'dfu' | 'recovery') {
    this.mode = mode;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** DFU: the zero-length DNLOAD arrived. Recovery uploads have no end marker and stay incomplete. */
  get complete(): boolean {
    return this.#complete;
  }

  get dfu(): SimUploadDfuFacts | undefined {
    return this.#dfu;
  }

  append(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
  }

  /** Everything received, suffix included. */
  raw(): Buffer {
    if (this.#chunks.length > 1) {
      const joined = Buffer.concat(this.#chunks, this.#bytes);
      this.#chunks.length = 0;
      this.#chunks.push(joined);
    }
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  /** The image: for a DFU upload with a recognised suffix, the bytes before it. */
  payload(): Buffer {
    const raw = this.raw();
    return this.#dfu && this.#dfu.suffix !== 'missing' ? raw.subarray(0, raw.length - DFU_SUFFIX_SIZE) : raw;
  }

  finishDfu(facts: Omit<SimUploadDfuFacts, 'suffix'>): void {
    this.#complete = true;
    this.#dfu = { ...facts, suffix: checkDfuSuffix(this.raw()) };
  }
}

/** libirecovery's CRC: reflected CRC-32 over payload ‖ 12 fixed bytes, initial 0xFFFFFFFF, no final XOR. */
export function checkDfuSuffix(raw: Buffer): DfuSuffixCheck {
  if (raw.length < DFU_SUFFIX_SIZE) return 'missing';
  const fixedAt = raw.length - DFU_SUFFIX_SIZE;
  if (!raw.subarray(fixedAt, fixedAt + DFU_SUFFIX_FIXED.length).equals(DFU_SUFFIX_FIXED)) return 'missing';
  const expected = ~crc32(raw.subarray(0, raw.length - 4)) >>> 0;
  return raw.readUInt32LE(raw.length - 4) === expected ? 'valid' : 'bad-crc';
}
