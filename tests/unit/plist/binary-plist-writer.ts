/**
 * A tiny binary plist assembler for hostile inputs our encoder never writes: shared references,
 * cycles, overlapping offsets, lying trailers. Objects are given already encoded; refs are indexes.
 */

export type RefSize = 1 | 2 | 4 | 8;

function lengthHeader(kind: number, length: number): Buffer {
  if (length < 0x0f) return Buffer.from([(kind << 4) | length]);
  const out = Buffer.alloc(6);
  out[0] = (kind << 4) | 0x0f;
  out[1] = 0x12;
  out.writeUInt32BE(length, 2);
  return out;
}

function refs(indexes: readonly number[], refSize: RefSize): Buffer {
  const out = Buffer.alloc(indexes.length * refSize);
  indexes.forEach((index, i) => {
    if (refSize === 8) out.writeBigUInt64BE(BigInt(index), i * refSize);
    else out.writeUIntBE(index, i * refSize, refSize);
  });
  return out;
}

export function dataObject(bytes: Uint8Array): Buffer {
  return Buffer.concat([lengthHeader(0x4, bytes.length), bytes]);
}

export function asciiObject(text: string): Buffer {
  return Buffer.concat([lengthHeader(0x5, text.length), Buffer.from(text, 'latin1')]);
}

export function arrayObject(items: readonly number[], refSize: RefSize): Buffer {
  return Buffer.concat([lengthHeader(0xa, items.length), refs(items, refSize)]);
}

export function dictObject(keys: readonly number[], values: readonly number[], refSize: RefSize): Buffer {
  return Buffer.concat([lengthHeader(0xd, keys.length), refs(keys, refSize), refs(values, refSize)]);
}

export type Trailer = { offsetSize: RefSize; refSize: RefSize; objectCount: bigint; topObject: bigint; tableOffset: bigint };

/** Lays out `objects` after the magic, then the offset table (or `offsets`, to make them lie) and the trailer. */
export function assembleBinaryPlist(
  objects: readonly Buffer[],
  options: { refSize: RefSize; top?: number; offsets?: readonly number[]; trailer?: Partial<Trailer> },
): Buffer {
  const parts: Buffer[] = [Buffer.from('bplist00', 'latin1')];
  const offsets: number[] = [];
  let position = 8;
  for (const object of objects) {
    offsets.push(position);
    parts.push(object);
    position += object.length;
  }
  const table = options.offsets ?? offsets;
  const offsetSize: RefSize = position < 0x100 ? 1 : position < 0x10000 ? 2 : 4;
  const trailer: Trailer = {
    offsetSize,
    refSize: options.refSize,
    objectCount: BigInt(table.length),
    topObject: BigInt(options.top ?? 0),
    tableOffset: BigInt(position),
    ...options.trailer,
  };
  const tableBytes = Buffer.alloc(table.length * offsetSize);
  table.forEach((offset, i) => tableBytes.writeUIntBE(offset, i * offsetSize, offsetSize));
  const tail = Buffer.alloc(32);
  tail.writeUInt8(trailer.offsetSize, 6);
  tail.writeUInt8(trailer.refSize, 7);
  tail.writeBigUInt64BE(trailer.objectCount, 8);
  tail.writeBigUInt64BE(trailer.topObject, 16);
  tail.writeBigUInt64BE(trailer.tableOffset, 24);
  return Buffer.concat([...parts, tableBytes, tail]);
}

/**
 * The expansion attack: a DeviceLink-shaped array whose first item is a message name and whose other
 * `references` items all point at one `dataBytes`-byte data object. Three objects, so refs are one byte:
 * the defaults give a ≈1.5 MB plist that would decode, copy by copy, to ≈500 GB.
 */
export function expansionBomb(options: { dataBytes?: number; references?: number; messageName?: string } = {}): Buffer {
  const dataBytes = options.dataBytes ?? 1024 * 1024;
  const references = options.references ?? 500_000;
  const items = [1, ...Array.from({ length: references }, () => 2)];
  return assembleBinaryPlist(
    [arrayObject(items, 1), asciiObject(options.messageName ?? 'DLMessageProcessMessage'), dataObject(Buffer.alloc(dataBytes, 0x41))],
    { refSize: 1 },
  );
}
