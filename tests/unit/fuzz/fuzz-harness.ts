/**
 * One budget for every parser of outside bytes: for any input it returns a value or throws one of its own typed
 * errors (never a RangeError/TypeError crash), it settles, and the memory it holds on to — and the memory it touched
 * on the way — stays below a fixed multiple of the input plus a constant.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { ByteReader } from '../../../main/wire/byte-reader';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => Error;

export type ParserUnderFuzz = {
  name: string;
  /** Parses one input, synchronously or not. Whatever it resolves to is kept alive while memory is measured. */
  parse: (input: Uint8Array) => unknown;
  /** The errors the parser documents; anything else thrown is a crash. */
  typedErrors: readonly ErrorClass[];
};

export type MemoryBound = { perInputByte: number; constantBytes: number };

/**
 * Generous enough for a loaded machine and for the object overhead of a parsed tree (an empty JS array costs ~16×
 * the 2 bytes of its binary plist encoding), tight enough that shared references expanding n² objects fail it.
 */
export const DEFAULT_MEMORY_BOUND: MemoryBound = { perInputByte: 64, constantBytes: 4 * 1024 * 1024 };
/** Right after a parse, garbage not yet collected is still counted: allow about one young generation of it. */
const TRANSIENT_SLACK_BYTES = 64 * 1024 * 1024;
/** Per fuzz test: each runs in a second or two; the margin is for a loaded 2-core machine, not for slow parsers. */
export const FUZZ_TEST_TIMEOUT_MS = 60_000;
/** A parser that has not settled this long after its input ended is hung (a hang detector, not a speed check). */
export const SETTLE_LIMIT_MS = 10_000;

export type FuzzOutcome = { kind: 'value'; value: unknown } | { kind: 'typed-error'; error: Error };

type Gc = (options?: { type: 'major' | 'minor' }) => void;

/**
 * A young-generation collection: what a parse built and still holds survives it, its garbage does not. Cheap enough
 * (well under a millisecond) to run around every input; a full collection costs ~100× more. Garbage promoted to the
 * old generation during a parse is still counted, which only errs towards failing.
 */
function collector(): () => void {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (typeof gc !== 'function') throw new Error('The fuzz suite needs node --expose-gc (vitest.config.ts sets it for the unit project)');
  return () => gc({ type: 'minor' });
}

function footprint(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

class ParserBudgetError extends Error {
  constructor(parser: string, why: string, input: Uint8Array) {
    super(
      `${parser}: ${why} (input of ${input.length} bytes: ${Buffer.from(input.subarray(0, 48)).toString('hex')}${input.length > 48 ? '…' : ''})`,
    );
    this.name = 'ParserBudgetError';
  }
}

function settleWithin<T>(value: T | Promise<T>, ms: number): Promise<T> {
  if (!(value instanceof Promise)) return Promise.resolve(value);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HungParserSignal()), ms);
  });
  return Promise.race([value, hung]).finally(() => clearTimeout(timer));
}

class HungParserSignal extends Error {}

export type CheckOptions = { measureMemory?: boolean; memory?: MemoryBound; settleMs?: number };

/**
 * Runs one input through the parser and throws a ParserBudgetError when it crashes, hangs or holds more memory than
 * the bound allows. Returns what happened, for properties that want to say more.
 */
export async function checkParser(parser: ParserUnderFuzz, input: Uint8Array, options: CheckOptions = {}): Promise<FuzzOutcome> {
  const bound = options.memory ?? DEFAULT_MEMORY_BOUND;
  const measure = options.measureMemory ?? true;
  const gc = measure ? collector() : undefined;
  gc?.();
  const before = measure ? footprint() : 0;
  const kept: { outcome?: FuzzOutcome } = {};
  try {
    kept.outcome = { kind: 'value', value: await settleWithin(parser.parse(input), options.settleMs ?? SETTLE_LIMIT_MS) };
  } catch (error) {
    if (error instanceof HungParserSignal)
      throw new ParserBudgetError(parser.name, `did not settle within ${options.settleMs ?? SETTLE_LIMIT_MS} ms`, input);
    if (!(error instanceof Error) || !parser.typedErrors.some((type) => error instanceof type)) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new ParserBudgetError(parser.name, `threw an untyped error (${what.slice(0, 300)})`, input);
    }
    kept.outcome = { kind: 'typed-error', error };
  }
  if (gc) {
    const allowed = bound.perInputByte * input.length + bound.constantBytes;
    const transient = footprint() - before;
    gc();
    const retained = footprint() - before;
    if (transient > allowed + TRANSIENT_SLACK_BYTES) {
      throw new ParserBudgetError(
        parser.name,
        `touched ${mib(transient)} while parsing, more than the ${mib(allowed + TRANSIENT_SLACK_BYTES)} allowed`,
        input,
      );
    }
    if (retained > allowed)
      throw new ParserBudgetError(parser.name, `holds ${mib(retained)} after parsing, more than the ${mib(allowed)} allowed`, input);
  }
  return kept.outcome;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

export type FuzzRunOptions = CheckOptions & { numRuns?: number; seed?: number };

/** fast-check over `inputs`, memory measured on every run. */
export async function fuzzParser(parser: ParserUnderFuzz, inputs: fc.Arbitrary<Uint8Array>, options: FuzzRunOptions = {}): Promise<void> {
  await fc.assert(
    fc.asyncProperty(inputs, async (input) => {
      await checkParser(parser, input, options);
    }),
    { numRuns: options.numRuns ?? 100, ...(options.seed !== undefined ? { seed: options.seed } : {}) },
  );
}

/** Random bytes (after an optional fixed prefix such as a magic number), memory measured on one run in `memoryEvery`. */
export async function fuzzRandomBytes(
  parser: ParserUnderFuzz,
  options: { numRuns?: number; maxLength?: number; memoryEvery?: number; prefix?: Uint8Array } = {},
): Promise<void> {
  const every = options.memoryEvery ?? 10;
  let run = 0;
  const prefix = options.prefix ?? new Uint8Array(0);
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: options.maxLength ?? 512 }), async (bytes) => {
      const input = prefix.length === 0 ? bytes : Buffer.concat([prefix, bytes]);
      await checkParser(parser, input, { measureMemory: run++ % every === 0 });
    }),
    { numRuns: options.numRuns ?? 300 },
  );
}

/** A valid encoding damaged the ways a hostile or broken peer would: bytes overwritten, cut short, or grown. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.uint8Array({ maxLength: 16 }),
    )
    .map(([bytes, flips, cutAt, tail]) => {
      const out = Buffer.from(bytes);
      if (out.length > 0) for (const [at, value] of flips) out[at % out.length] = value;
      const cut = cutAt === undefined ? out : out.subarray(0, cutAt % (out.length + 1));
      return Buffer.concat([cut, tail]);
    });
}

/** Big-endian / little-endian integers a lying header would carry: edges, powers of two, and the maximum. */
export const hostileU32 = fc.oneof(
  fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff),
  fc.nat({ max: 0xffffffff }),
);
export const hostileU64 = fc.oneof(
  fc.constantFrom(0n, 1n, 0x7fffffffn, 0xffffffffn, 0x1_0000_0000n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

/** A ByteReader over a stream that delivers `input` in pieces of `chunk` bytes, then ends. */
export function readerOf(input: Uint8Array, chunk = 1 << 16): ByteReader {
  const stream = new PassThrough();
  const reader = new ByteReader(stream);
  for (let at = 0; at < input.length; at += chunk) stream.write(Buffer.from(input.subarray(at, at + chunk)));
  stream.end();
  return reader;
}
