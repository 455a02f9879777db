import {
  DEFAULT_PLIST_LIMITS,
  PLIST_VALUE_COST,
  PlistDecodeBudget,
  PlistError,
  PlistLimitError,
  PlistReal,
  PlistUid,
  isPlistDict,
  normaliseInteger,
  resolvePlistLimits,
  type PlistDict,
  type PlistLimits,
  type PlistValue,
} from './plist-value';

const MAGIC = Buffer.from('bplist00', 'latin1');
const TRAILER_BYTES = 32;
/** Seconds between the Unix epoch and Apple's reference date, 2001-01-01. */
const APPLE_EPOCH_SECONDS = 978_307_200;

export function isBinaryPlist(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC.length).equals(MAGIC);
}

function readUnsigned(buf: Buffer, offset: number, size: number): number {
  if (offset + size > buf.length) throw new PlistError('Binary plist: read past the end');
  switch (size) {
    case 1:
      return buf.readUInt8(offset);
    case 2:
      return buf.readUInt16BE(offset);
    case 4:
      return buf.readUInt32BE(offset);
    case 8: {
      const value = buf.readBigUInt64BE(offset);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new PlistError('Binary plist: offset out of range');
      return Number(value);
    }
    default:
      throw new PlistError(`Binary plist: bad integer size ${size}`);
  }
}

/**
 * Objects referenced from several places are decoded once per reference, each copy charged to the
 * budget (see PlistLimits), so a small plist that points at one big object many times fails instead
 * of filling the heap. A reference cycle can only nest, so maxDepth ends it.
 */
export function decodeBinaryPlist(bytes: Uint8Array, limits: PlistLimits = {}): PlistValue {
  const resolved = resolvePlistLimits(bytes.byteLength, limits);
  const { maxBytes, maxObjects, maxDepth } = resolved;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > maxBytes) throw new PlistLimitError('maxBytes', `Plist of ${buf.length} bytes exceeds the ${maxBytes}-byte limit`);
  if (!isBinaryPlist(buf) || buf.length < MAGIC.length + TRAILER_BYTES) throw new PlistError('Not a binary plist');

  const trailer = buf.length - TRAILER_BYTES;
  const offsetSize = buf.readUInt8(trailer + 6);
  const refSize = buf.readUInt8(trailer + 7);
  const objectCount = readUnsigned(buf, trailer + 8, 8);
  const topObject = readUnsigned(buf, trailer + 16, 8);
  const tableOffset = readUnsigned(buf, trailer + 24, 8);
  if (![1, 2, 4, 8].includes(offsetSize) || ![1, 2, 4, 8].includes(refSize)) {
    throw new PlistError('Binary plist: bad trailer sizes');
  }
  if (objectCount > maxObjects) throw new PlistLimitError('maxObjects', `Binary plist has ${objectCount} objects (limit ${maxObjects})`);
  if (topObject >= objectCount) throw new PlistError('Binary plist: top object out of range');
  if (tableOffset + objectCount * offsetSize > trailer) throw new PlistError('Binary plist: offset table out of range');

  const budget = new PlistDecodeBudget(resolved, 'Binary');
  const offsetOf = (ref: number): number => {
    if (ref >= objectCount) throw new PlistError('Binary plist: object reference out of range');
    const offset = readUnsigned(buf, tableOffset + ref * offsetSize, offsetSize);
    if (offset < MAGIC.length || offset >= tableOffset) throw new PlistError('Binary plist: object offset out of range');
    return offset;
  };

  const lengthAt = (marker: number, offset: number): { length: number; start: number } => {
    const nibble = marker & 0x0f;
    if (nibble !== 0x0f) return { length: nibble, start: offset + 1 };
    const intMarker = buf.readUInt8(offset + 1);
    if (intMarker >> 4 !== 0x1) throw new PlistError('Binary plist: bad length marker');
    const size = 1 << (intMarker & 0x0f);
    if (size > 8) throw new PlistError('Binary plist: length too large');
    return { length: readUnsigned(buf, offset + 2, size), start: offset + 2 + size };
  };

  const ensure = (start: number, length: number): void => {
    if (start + length > tableOffset) throw new PlistError('Binary plist: object runs past its data');
  };

  const parse = (ref: number, depth: number): PlistValue => {
    if (depth > maxDepth) throw new PlistLimitError('maxDepth', `Binary plist nests deeper than ${maxDepth}`);
    const offset = offsetOf(ref);
    const marker = buf.readUInt8(offset);
    const kind = marker >> 4;
    switch (kind) {
      case 0x0:
        budget.charge(0);
        if (marker === 0x08) return false;
        if (marker === 0x09) return true;
        throw new PlistError(`Binary plist: unsupported marker 0x${marker.toString(16)}`);
      case 0x1: {
        budget.charge(0);
        const size = 1 << (marker & 0x0f);
        ensure(offset + 1, size);
        if (size === 16) return normaliseInteger(buf.readBigUInt64BE(offset + 9));
        if (size === 8) return normaliseInteger(buf.readBigInt64BE(offset + 1));
        if (size > 8) throw new PlistError('Binary plist: integer too wide');
        return readUnsigned(buf, offset + 1, size);
      }
      case 0x2: {
        budget.charge(0);
        const size = 1 << (marker & 0x0f);
        ensure(offset + 1, size);
        if (size === 4) return buf.readFloatBE(offset + 1);
        if (size === 8) return buf.readDoubleBE(offset + 1);
        throw new PlistError('Binary plist: bad real size');
      }
      case 0x3: {
        budget.charge(PLIST_VALUE_COST.boxed);
        if (marker !== 0x33) throw new PlistError('Binary plist: bad date marker');
        ensure(offset + 1, 8);
        return new Date((buf.readDoubleBE(offset + 1) + APPLE_EPOCH_SECONDS) * 1000);
      }
      case 0x4: {
        const { length, start } = lengthAt(marker, offset);
        ensure(start, length);
        budget.charge(PLIST_VALUE_COST.data + length);
        return Buffer.from(buf.subarray(start, start + length));
      }
      case 0x5: {
        const { length, start } = lengthAt(marker, offset);
        ensure(start, length);
        budget.charge(PLIST_VALUE_COST.string + length);
        return buf.toString('latin1', start, start + length);
      }
      case 0x6: {
        const { length, start } = lengthAt(marker, offset);
        ensure(start, length * 2);
        budget.charge(PLIST_VALUE_COST.string + length * 2);
        const utf16 = Buffer.from(buf.subarray(start, start + length * 2));
        utf16.swap16();
        return utf16.toString('utf16le');
      }
      case 0x8: {
        budget.charge(PLIST_VALUE_COST.boxed);
        const size = (marker & 0x0f) + 1;
        ensure(offset + 1, size);
        if (size > 4) throw new PlistError('Binary plist: UID too wide');
        return new PlistUid(buf.readUIntBE(offset + 1, size));
      }
      case 0xa: {
        const { length, start } = lengthAt(marker, offset);
        ensure(start, length * refSize);
        budget.charge(PLIST_VALUE_COST.array);
        const out: PlistValue[] = [];
        for (let i = 0; i < length; i++) out.push(parse(readUnsigned(buf, start + i * refSize, refSize), depth + 1));
        return out;
      }
      case 0xd: {
        const { length, start } = lengthAt(marker, offset);
        ensure(start, length * refSize * 2);
        budget.charge(PLIST_VALUE_COST.dict);
        const out: PlistDict = {};
        for (let i = 0; i < length; i++) {
          const key = parse(readUnsigned(buf, start + i * refSize, refSize), depth + 1);
          if (typeof key !== 'string') throw new PlistError('Binary plist: dictionary key is not a string');
          const value = parse(readUnsigned(buf, start + (length + i) * refSize, refSize), depth + 1);
          Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      default:
        throw new PlistError(`Binary plist: unsupported marker 0x${marker.toString(16)}`);
    }
  };

  try {
    return parse(topObject, 0);
  } catch (error) {
    if (error instanceof PlistError) throw error;
    throw new PlistError(`Binary plist: ${(error as Error).message}`);
  }
}

function sizeFor(max: number): 1 | 2 | 4 | 8 {
  if (max < 0x100) return 1;
  if (max < 0x10000) return 2;
  if (max < 0x100000000) return 4;
  return 8;
}

function header(kind: number, length: number): Buffer {
  if (length < 0x0f) return Buffer.from([(kind << 4) | length]);
  return Buffer.concat([Buffer.from([(kind << 4) | 0x0f]), encodeInteger(BigInt(length))]);
}

function encodeInteger(value: bigint): Buffer {
  if (value >= 0n && value < 0x100n) return Buffer.from([0x10, Number(value)]);
  if (value >= 0n && value < 0x10000n) {
    const b = Buffer.alloc(3);
    b[0] = 0x11;
    b.writeUInt16BE(Number(value), 1);
    return b;
  }
  if (value >= 0n && value < 0x100000000n) {
    const b = Buffer.alloc(5);
    b[0] = 0x12;
    b.writeUInt32BE(Number(value), 1);
    return b;
  }
  if (value >= -(2n ** 63n) && value < 2n ** 63n) {
    const b = Buffer.alloc(9);
    b[0] = 0x13;
    b.writeBigInt64BE(value, 1);
    return b;
  }
  if (value >= 0n && value < 2n ** 64n) {
    // Unsigned values above INT64_MAX are written as 128-bit integers, as CoreFoundation does.
    const b = Buffer.alloc(17);
    b[0] = 0x14;
    b.writeBigUInt64BE(value, 9);
    return b;
  }
  throw new PlistError(`Integer ${value} does not fit in a plist`);
}

function encodeReal(value: number): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 0x23;
  b.writeDoubleBE(value, 1);
  return b;
}

function encodeString(value: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(value)) return Buffer.concat([header(0x5, value.length), Buffer.from(value, 'latin1')]);
  const utf16 = Buffer.from(value, 'utf16le');
  utf16.swap16();
  return Buffer.concat([header(0x6, utf16.length / 2), utf16]);
}

export function encodeBinaryPlist(root: PlistValue): Buffer {
  // Objects are flattened depth-first; containers are written after their refs are known.
  const objects: Array<{ value: PlistValue; refs?: number[] }> = [];
  const flatten = (value: PlistValue, depth: number): number => {
    if (depth > DEFAULT_PLIST_LIMITS.maxDepth) throw new PlistError('Plist nests too deep to encode');
    const index = objects.length;
    const entry: { value: PlistValue; refs?: number[] } = { value };
    objects.push(entry);
    if (Array.isArray(value)) {
      entry.refs = value.map((item) => flatten(item, depth + 1));
    } else if (isPlistDict(value)) {
      const keys = Object.keys(value).filter((k) => value[k] !== undefined);
      const keyRefs = keys.map((k) => flatten(k, depth + 1));
      const valueRefs = keys.map((k) => flatten(value[k]!, depth + 1));
      entry.refs = [...keyRefs, ...valueRefs];
    }
    return index;
  };
  flatten(root, 0);

  const refSize = sizeFor(objects.length);
  const writeRef = (ref: number): Buffer => {
    const b = Buffer.alloc(refSize);
    b.writeUIntBE(ref, 0, refSize);
    return b;
  };

  const parts: Buffer[] = [Buffer.from(MAGIC)];
  const offsets: number[] = [];
  let position = MAGIC.length;
  for (const { value, refs } of objects) {
    offsets.push(position);
    let encoded: Buffer;
    if (value === null || value === undefined) throw new PlistError('Plists cannot hold null');
    if (typeof value === 'boolean') encoded = Buffer.from([value ? 0x09 : 0x08]);
    else if (typeof value === 'bigint') encoded = encodeInteger(value);
    else if (typeof value === 'number') {
      encoded = Number.isInteger(value) ? encodeInteger(BigInt(value)) : encodeReal(value);
    } else if (value instanceof PlistReal) encoded = encodeReal(value.value);
    else if (value instanceof PlistUid) {
      const size = value.value < 0x100 ? 1 : value.value < 0x10000 ? 2 : 4;
      encoded = Buffer.alloc(1 + size);
      encoded[0] = 0x80 | (size - 1);
      encoded.writeUIntBE(value.value, 1, size);
    } else if (typeof value === 'string') encoded = encodeString(value);
    else if (value instanceof Date) {
      encoded = Buffer.alloc(9);
      encoded[0] = 0x33;
      encoded.writeDoubleBE(value.getTime() / 1000 - APPLE_EPOCH_SECONDS, 1);
    } else if (value instanceof Uint8Array) {
      encoded = Buffer.concat([header(0x4, value.length), Buffer.from(value.buffer, value.byteOffset, value.byteLength)]);
    } else if (Array.isArray(value)) {
      encoded = Buffer.concat([header(0xa, refs!.length), ...refs!.map(writeRef)]);
    } else {
      encoded = Buffer.concat([header(0xd, refs!.length / 2), ...refs!.map(writeRef)]);
    }
    parts.push(encoded);
    position += encoded.length;
  }

  const offsetSize = sizeFor(position);
  const table = Buffer.alloc(offsets.length * offsetSize);
  offsets.forEach((offset, i) => table.writeUIntBE(offset, i * offsetSize, offsetSize));
  const trailer = Buffer.alloc(TRAILER_BYTES);
  trailer.writeUInt8(offsetSize, 6);
  trailer.writeUInt8(refSize, 7);
  trailer.writeBigUInt64BE(BigInt(objects.length), 8);
  trailer.writeBigUInt64BE(0n, 16);
  trailer.writeBigUInt64BE(BigInt(position), 24);
  return Buffer.concat([...parts, table, trailer]);
}
