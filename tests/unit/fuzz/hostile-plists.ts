/**
 * Plists a hostile peer would send, for every fuzz test whose protocol carries plists: binary plists assembled
 * object by object (shared references, cycles, lying lengths, trailers and offset tables) and XML plists built to
 * nest deep, repeat, or never close.
 */
import fc from 'fast-check';
import { encodeBinaryPlist, encodeXmlPlist } from '../../../main/plist/plist-codec';
import type { PlistValue } from '../../../main/plist/plist-value';
import { hostileU64, mutated } from './fuzz-harness';

const MAGIC = Buffer.from('bplist00', 'latin1');

function uintBytes(value: bigint, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = size - 1, rest = value; i >= 0; i--, rest >>= 8n) out[i] = Number(rest & 0xffn);
  return out;
}

/** A marker nibble plus its length: inline when small, else `0x1s` + a big-endian integer of 2^s bytes. */
function withLength(kind: number, length: bigint, forceLong = false): Buffer {
  if (length < 15n && !forceLong) return Buffer.from([(kind << 4) | Number(length)]);
  const size = length < 0x100n ? 0 : length < 0x10000n ? 1 : length < 0x1_0000_0000n ? 2 : 3;
  return Buffer.concat([Buffer.from([(kind << 4) | 0x0f, 0x10 | size]), uintBytes(length, 1 << size)]);
}

export type BinaryObject =
  | { kind: 'array'; refs: number[]; claimed?: bigint }
  | { kind: 'dict'; keys: number[]; values: number[]; claimed?: bigint }
  | { kind: 'ascii'; text: string; claimed?: bigint }
  | { kind: 'utf16'; units: number; claimed?: bigint }
  | { kind: 'data'; bytes: number; claimed?: bigint }
  | { kind: 'int'; sizeLog2: number }
  | { kind: 'raw'; bytes: Uint8Array };

export type BinaryPlistShape = {
  objects: BinaryObject[];
  refSize: 1 | 2 | 4 | 8;
  offsetSize: 1 | 2 | 4 | 8;
  top?: bigint;
  /** Lies told by the trailer or the offset table; absent = the truth. */
  objectCount?: bigint;
  tableOffset?: bigint;
  offsets?: Array<bigint | undefined>;
  /** Raw trailer size bytes (offset / ref size), to send widths the format does not have. */
  rawSizes?: [number, number];
};

function encodeObject(object: BinaryObject, refSize: number): Buffer {
  const refs = (list: number[]): Buffer[] => list.map((ref) => uintBytes(BigInt(ref), refSize));
  switch (object.kind) {
    case 'array':
      return Buffer.concat([withLength(0xa, object.claimed ?? BigInt(object.refs.length)), ...refs(object.refs)]);
    case 'dict':
      return Buffer.concat([withLength(0xd, object.claimed ?? BigInt(object.keys.length)), ...refs(object.keys), ...refs(object.values)]);
    case 'ascii':
      return Buffer.concat([withLength(0x5, object.claimed ?? BigInt(object.text.length)), Buffer.from(object.text, 'latin1')]);
    case 'utf16':
      return Buffer.concat([withLength(0x6, object.claimed ?? BigInt(object.units)), Buffer.alloc(object.units * 2, 0x41)]);
    case 'data':
      return Buffer.concat([withLength(0x4, object.claimed ?? BigInt(object.bytes)), Buffer.alloc(object.bytes, 0xa5)]);
    case 'int':
      return Buffer.concat([Buffer.from([0x10 | object.sizeLog2]), Buffer.alloc(1 << Math.min(object.sizeLog2, 4), 0x7f)]);
    case 'raw':
      return Buffer.from(object.bytes);
  }
}

export function assembleBinaryPlist(shape: BinaryPlistShape): Buffer {
  const parts: Buffer[] = [MAGIC];
  const offsets: bigint[] = [];
  let position = MAGIC.length;
  for (const object of shape.objects) {
    const encoded = encodeObject(object, shape.refSize);
    offsets.push(BigInt(position));
    parts.push(encoded);
    position += encoded.length;
  }
  const table = Buffer.concat(offsets.map((offset, i) => uintBytes(shape.offsets?.[i] ?? offset, shape.offsetSize)));
  const trailer = Buffer.alloc(32);
  trailer[6] = shape.rawSizes?.[0] ?? shape.offsetSize;
  trailer[7] = shape.rawSizes?.[1] ?? shape.refSize;
  trailer.writeBigUInt64BE(shape.objectCount ?? BigInt(shape.objects.length), 8);
  trailer.writeBigUInt64BE(shape.top ?? 0n, 16);
  trailer.writeBigUInt64BE(shape.tableOffset ?? BigInt(position), 24);
  return Buffer.concat([...parts, table, trailer]);
}

/**
 * The expansion attack: `depth` arrays, each referencing the next `fanout` times, ending in `leaf`. Honest
 * decoding builds fanout^depth values out of a few hundred bytes.
 */
export function sharedReferenceBomb(fanout: number, depth: number, leaf: BinaryObject): Buffer {
  const objects: BinaryObject[] = [];
  for (let level = 0; level < depth; level++) objects.push({ kind: 'array', refs: Array.from({ length: fanout }, () => level + 1) });
  objects.push(leaf);
  return assembleBinaryPlist({ objects, refSize: fanout > 255 || depth > 250 ? 2 : 1, offsetSize: 4 });
}

const leafObject: fc.Arbitrary<BinaryObject> = fc.oneof(
  fc.constant<BinaryObject>({ kind: 'array', refs: [] }),
  fc.constant<BinaryObject>({ kind: 'dict', keys: [], values: [] }),
  fc.integer({ min: 0, max: 4096 }).map<BinaryObject>((bytes) => ({ kind: 'data', bytes })),
  fc.integer({ min: 0, max: 4096 }).map<BinaryObject>((length) => ({ kind: 'ascii', text: 'x'.repeat(length) })),
  fc.integer({ min: 0, max: 2048 }).map<BinaryObject>((units) => ({ kind: 'utf16', units })),
);

export const sharedReferenceBombs: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.integer({ min: 2, max: 1200 }), fc.integer({ min: 1, max: 6 }), leafObject)
  .map(([fanout, depth, leaf]) => sharedReferenceBomb(fanout, depth, leaf));

/** Objects that reference each other at random (self-references and cycles included), with lying lengths. */
function objectsOf(count: number): fc.Arbitrary<BinaryObject[]> {
  const ref = fc.integer({ min: 0, max: count + 1 });
  const claimed = fc.option(hostileU64, { nil: undefined, freq: 3 });
  const object: fc.Arbitrary<BinaryObject> = fc.oneof(
    fc.record({ kind: fc.constant('array' as const), refs: fc.array(ref, { maxLength: 40 }), claimed }).map((o) => stripped(o)),
    fc
      .tuple(fc.array(fc.tuple(ref, ref), { maxLength: 20 }), claimed)
      .map(([pairs, lie]) =>
        stripped({ kind: 'dict' as const, keys: pairs.map(([k]) => k), values: pairs.map(([, v]) => v), claimed: lie }),
      ),
    fc
      .record({
        kind: fc.constant('ascii' as const),
        text: fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'k')),
        claimed,
      })
      .map((o) => stripped(o)),
    fc.record({ kind: fc.constant('utf16' as const), units: fc.nat(40), claimed }).map((o) => stripped(o)),
    fc.record({ kind: fc.constant('data' as const), bytes: fc.nat(256), claimed }).map((o) => stripped(o)),
    fc.record({ kind: fc.constant('int' as const), sizeLog2: fc.nat(15) }),
    fc.record({ kind: fc.constant('raw' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  );
  return fc.array(object, { minLength: count, maxLength: count });
}

function stripped<T extends { claimed?: bigint | undefined }>(object: T): T {
  if (object.claimed === undefined) delete object.claimed;
  return object;
}

const width = fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8);
const maybeLie = fc.option(hostileU64, { nil: undefined, freq: 4 });

/** Random object graphs with random widths, and trailers or offset tables that lie some of the time. */
export const hostileBinaryPlists: fc.Arbitrary<Uint8Array> = fc
  .integer({ min: 1, max: 24 })
  .chain((count) =>
    fc.record({
      objects: objectsOf(count),
      refSize: width,
      offsetSize: width,
      top: fc.option(fc.bigInt({ min: 0n, max: BigInt(count + 1) }), { nil: undefined }),
      objectCount: maybeLie,
      tableOffset: maybeLie,
      offsets: fc.array(fc.option(hostileU64, { nil: undefined, freq: 5 }), { maxLength: count }),
      rawSizes: fc.option(fc.tuple(fc.nat(255), fc.nat(255)), { nil: undefined, freq: 8 }),
    }),
  )
  .map((shape) => {
    const clean: BinaryPlistShape = {
      objects: shape.objects,
      refSize: shape.refSize,
      offsetSize: shape.offsetSize,
      offsets: shape.offsets,
    };
    if (shape.top !== undefined) clean.top = shape.top;
    if (shape.objectCount !== undefined) clean.objectCount = shape.objectCount;
    if (shape.tableOffset !== undefined) clean.tableOffset = shape.tableOffset;
    if (shape.rawSizes !== undefined) clean.rawSizes = shape.rawSizes;
    return assembleBinaryPlist(clean);
  });

/** Honest plist values, to be encoded and then damaged. */
export const plistValues: fc.Arbitrary<PlistValue> = fc.letrec<{ value: PlistValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 30 }),
    fc.integer(),
    fc.boolean(),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie('value'), { maxKeys: 6 }),
  ),
})).value;

export const damagedBinaryPlists: fc.Arbitrary<Uint8Array> = mutated(plistValues.map((value) => encodeBinaryPlist(value)));
export const damagedXmlPlists: fc.Arbitrary<Uint8Array> = mutated(plistValues.map((value) => encodeXmlPlist(value)));

const XML_PIECES = [
  '<array>',
  '</array>',
  '<array/>',
  '<dict>',
  '</dict>',
  '<dict/>',
  '<key>',
  '</key>',
  '<key/>',
  '<string>',
  '</string>',
  '<integer>',
  '</integer>',
  '<real>',
  '</real>',
  '<data>',
  '</data>',
  '<date>',
  '</date>',
  '<true/>',
  '<false/>',
  '<true>',
  '</true>',
  '<plist>',
  '</plist>',
  '<!--',
  '-->',
  '<?xml version="1.0"?>',
  '<!DOCTYPE plist>',
  '&amp;',
  '&#x10FFFF;',
  '&#99999999999;',
  '&lt;',
  'AAAA',
  '====',
  '0x',
  '99999999999999999999999',
  '-',
  'nan',
  '<',
  '>',
  '/',
  ' ',
  '\u0001',
  'é',
];

/** Tag soup from the plist vocabulary: unbalanced, unterminated, repeated. */
export const xmlTagSoup: fc.Arbitrary<Uint8Array> = fc
  .array(fc.constantFrom(...XML_PIECES), { maxLength: 200 })
  .map((pieces) => Buffer.from(pieces.join(''), 'utf8'));

/** Structures that are valid XML but nest or repeat to the limits. */
export const xmlExtremes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.integer({ min: 1, max: 5000 }).map((depth) => Buffer.from(`<plist>${'<array>'.repeat(depth)}${'</array>'.repeat(depth)}</plist>`)),
  fc.integer({ min: 1, max: 20000 }).map((count) => Buffer.from(`<plist><array>${'<dict/>'.repeat(count)}</array></plist>`)),
  fc.integer({ min: 1, max: 20000 }).map((count) => Buffer.from(`<plist><dict>${'<key>k</key><array/>'.repeat(count)}</dict></plist>`)),
  fc.integer({ min: 1, max: 100_000 }).map((length) => Buffer.from(`<plist><integer>${'9'.repeat(length)}</integer></plist>`)),
  fc.integer({ min: 1, max: 20000 }).map((count) => Buffer.from(`<plist>${'<string>'.repeat(count)}`)),
  fc.integer({ min: 1, max: 20000 }).map((count) => Buffer.from(`${'<!--'.repeat(count)}`)),
  fc.integer({ min: 1, max: 200_000 }).map((length) => Buffer.from(`<plist><data>${'A'.repeat(length)}</data></plist>`)),
);
