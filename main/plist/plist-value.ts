/** Forces a number to be written as <real> (2.0 would otherwise become <integer>). */
export class PlistReal {
  constructor(readonly value: number) {}
}

/** A CoreFoundation keyed-archiver UID (binary plists only). */
export class PlistUid {
  constructor(readonly value: number) {}
}

export type PlistValue = string | number | bigint | boolean | Date | Uint8Array | PlistReal | PlistUid | PlistValue[] | PlistDict;

export type PlistDict = { [key: string]: PlistValue };

export function isPlistDict(value: unknown): value is PlistDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof PlistReal) &&
    !(value instanceof PlistUid)
  );
}

export class PlistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlistError';
  }
}

/** A decode stopped because the input or its expansion passed one of its limits. */
export class PlistLimitError extends PlistError {
  constructor(
    readonly limit: keyof PlistLimits,
    message: string,
  ) {
    super(message);
    this.name = 'PlistLimitError';
  }
}

/**
 * Bounds on one decode (binary or XML). `maxBytes` bounds the input; `maxDepth` the nesting;
 * `maxObjects` the values built (every reference counts, so it bounds the work); `maxOutputBytes`
 * the estimated heap of the decoded value. A binary plist may reference one object from many places:
 * the decoder builds a fresh copy per reference (callers own, and may mutate, what they get) and
 * charges each copy to `maxOutputBytes` before building it, so memory and work stay proportional to
 * the input. Unset, `maxOutputBytes` is `defaultMaxOutputBytes(input length)`.
 */
export type PlistLimits = { maxBytes?: number; maxObjects?: number; maxDepth?: number; maxOutputBytes?: number };

export const DEFAULT_PLIST_LIMITS: Required<Omit<PlistLimits, 'maxOutputBytes'>> = {
  maxBytes: 4 * 1024 * 1024,
  maxObjects: 1_000_000,
  maxDepth: 64,
};

export const OUTPUT_BYTES_PER_INPUT_BYTE = 16;
export const OUTPUT_BYTES_ALLOWANCE = 1024 * 1024;

/**
 * Honest plists decode to a few times their size (more where a writer shares repeated strings); the
 * allowance covers small ones that are mostly references and empty containers.
 */
export function defaultMaxOutputBytes(inputBytes: number): number {
  return OUTPUT_BYTES_PER_INPUT_BYTE * inputBytes + OUTPUT_BYTES_ALLOWANCE;
}

export function resolvePlistLimits(inputBytes: number, limits: PlistLimits = {}): Required<PlistLimits> {
  return { ...DEFAULT_PLIST_LIMITS, maxOutputBytes: defaultMaxOutputBytes(inputBytes), ...stripUndefined(limits) };
}

function stripUndefined(limits: PlistLimits): PlistLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined)) as PlistLimits;
}

/** Estimated heap bytes per decoded value, beyond the 8-byte slot that holds it (payload bytes are added). */
export const PLIST_VALUE_COST = {
  slot: 8,
  string: 16,
  data: 64,
  boxed: 32,
  array: 32,
  dict: 32,
} as const;

/** One decode's running totals: call `charge` before building each value. */
export class PlistDecodeBudget {
  private objects = 0;
  private outputBytes = 0;

  constructor(
    private readonly limits: Required<PlistLimits>,
    private readonly format: 'Binary' | 'XML',
  ) {}

  charge(extraBytes: number): void {
    if (++this.objects > this.limits.maxObjects) {
      throw new PlistLimitError('maxObjects', `${this.format} plist expands beyond ${this.limits.maxObjects} objects`);
    }
    this.outputBytes += PLIST_VALUE_COST.slot + extraBytes;
    if (this.outputBytes > this.limits.maxOutputBytes) {
      throw new PlistLimitError('maxOutputBytes', `${this.format} plist expands beyond ${this.limits.maxOutputBytes} bytes when decoded`);
    }
  }
}

/** Normalises 64-bit integers: safe ones become numbers, the rest stay bigint (signed cast per docs/protocols/plist.md#integers). */
export function normaliseInteger(value: bigint): number | bigint {
  const signed = value >= 2n ** 63n && value < 2n ** 64n ? value - 2n ** 64n : value;
  return signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(signed) : signed;
}
