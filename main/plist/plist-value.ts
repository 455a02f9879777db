/** Forces a number to be written as <real> (2.0 would otherwise become <integer>). */
export class PlistReal {
  constructor(readonly value: number) {}
}

/** A CoreFoundation keyed-archiver UID (binary plists only). */
export class PlistUid {
  constructor(readonly value: number) {}
}

export type PlistValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | PlistReal
  | PlistUid
  | PlistValue[]
  | PlistDict;

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

export type PlistLimits = { maxBytes?: number; maxObjects?: number; maxDepth?: number };

export const DEFAULT_PLIST_LIMITS: Required<PlistLimits> = {
  maxBytes: 4 * 1024 * 1024,
  maxObjects: 1_000_000,
  maxDepth: 64,
};

/** Normalises 64-bit integers: safe ones become numbers, the rest stay bigint (signed cast per backup-stack §3). */
export function normaliseInteger(value: bigint): number | bigint {
  const signed = value >= 2n ** 63n && value < 2n ** 64n ? value - 2n ** 64n : value;
  return signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(signed) : signed;
}
