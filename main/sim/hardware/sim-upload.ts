/**
 * What the simulated phone received in one upload (DFU DNLOAD blocks or a recovery bulk upload), kept so tests can
 * assert on the exact bytes — the host tools' exit codes are not evidence (docs/protocols/irecv.md#observed-from-the-debian-tools item 2).
 */
import { DFU_SUFFIX_FIXED, DFU_SUFFIX_SIZE, dfuSuffixFor } from '../../irecv/dfu-suffix';

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

/** The suffix is recognised by its 12 fixed bytes; its CRC must be the one the host side computes (docs/protocols/irecv.md#dfu-suffix). */
export function checkDfuSuffix(raw: Buffer): DfuSuffixCheck {
  if (raw.length < DFU_SUFFIX_SIZE) return 'missing';
  const suffixAt = raw.length - DFU_SUFFIX_SIZE;
  if (!raw.subarray(suffixAt, suffixAt + DFU_SUFFIX_FIXED.length).equals(DFU_SUFFIX_FIXED)) return 'missing';
  return raw.subarray(suffixAt).equals(dfuSuffixFor(raw.subarray(0, suffixAt))) ? 'valid' : 'bad-crc';
}
