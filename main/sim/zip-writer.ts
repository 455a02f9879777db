import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { crc32 } from 'node:zlib';

/**
 * A minimal ZIP writer for synthetic IPSWs (tests and practice mode only): stored entries (method 0, like an
 * IPSW's OS image — docs/protocols/firmware.md#ipsw-container), optionally ZIP64 everywhere so small fixtures exercise the zip64 paths.
 * Entry bodies are Buffers, a byte count of deterministic filler, or generated chunks (each written in chunks, never
 * held whole; `chunks` is called twice: once for the CRC, once to write).
 */
export type ZipEntrySource =
  { name: string; data: Buffer } | { name: string; fillerBytes: number; seed?: number } | { name: string; chunks: () => Iterable<Buffer> };

export type ZipWriteOptions = { zip64?: boolean };

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const MAX32 = 0xffffffff;
const FILLER_CHUNK = 1024 * 1024;

/** Deterministic filler: a 1 MiB block derived from the seed, repeated. */
export function fillerBlock(seed: number): Buffer {
  const block = Buffer.alloc(FILLER_CHUNK);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < block.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  return block;
}

function* bodyChunks(source: ZipEntrySource): Generator<Buffer> {
  if ('data' in source) {
    yield source.data;
    return;
  }
  if ('chunks' in source) {
    yield* source.chunks();
    return;
  }
  const block = fillerBlock(source.seed ?? source.name.length);
  let left = source.fillerBytes;
  while (left > 0) {
    const n = Math.min(left, block.length);
    yield n === block.length ? block : block.subarray(0, n);
    left -= n;
  }
}

function zip64Extra(fields: bigint[]): Buffer {
  const extra = Buffer.alloc(4 + 8 * fields.length);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(8 * fields.length, 2);
  fields.forEach((value, i) => extra.writeBigUInt64LE(value, 4 + 8 * i));
  return extra;
}

export async function writeZip(path: string, entries: readonly ZipEntrySource[], options: ZipWriteOptions = {}): Promise<{ size: number }> {
  const zip64 = options.zip64 ?? false;
  const out = createWriteStream(path);
  let offset = 0;
  const write = async (chunk: Buffer): Promise<void> => {
    offset += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  const central: Buffer[] = [];
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    let crc = 0;
    let size = 0;
    for (const chunk of bodyChunks(entry)) {
      crc = crc32(chunk, crc);
      size += chunk.length;
    }
    const headerOffset = offset;
    const localExtra = zip64 ? zip64Extra([BigInt(size), BigInt(size)]) : Buffer.alloc(0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(zip64 ? 45 : 20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(zip64 ? MAX32 : size, 18);
    local.writeUInt32LE(zip64 ? MAX32 : size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(localExtra.length, 28);
    await write(Buffer.concat([local, name, localExtra]));
    for (const chunk of bodyChunks(entry)) await write(chunk);

    const centralExtra = zip64 ? zip64Extra([BigInt(size), BigInt(size), BigInt(headerOffset)]) : Buffer.alloc(0);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4);
    header.writeUInt16LE(zip64 ? 45 : 20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(0, 10);
    header.writeUInt16LE(0, 12);
    header.writeUInt16LE(0x21, 14);
    header.writeUInt32LE(crc >>> 0, 16);
    header.writeUInt32LE(zip64 ? MAX32 : size, 20);
    header.writeUInt32LE(zip64 ? MAX32 : size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt16LE(centralExtra.length, 30);
    header.writeUInt32LE(zip64 ? MAX32 : headerOffset, 42);
    central.push(Buffer.concat([header, name, centralExtra]));
  }
  const centralOffset = offset;
  const centralBytes = Buffer.concat(central);
  await write(centralBytes);
  if (zip64) {
    const zip64EndOffset = offset;
    const record = Buffer.alloc(56);
    record.writeUInt32LE(ZIP64_END, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(entries.length), 24);
    record.writeBigUInt64LE(BigInt(entries.length), 32);
    record.writeBigUInt64LE(BigInt(centralBytes.length), 40);
    record.writeBigUInt64LE(BigInt(centralOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(ZIP64_LOCATOR, 0);
    locator.writeBigUInt64LE(BigInt(zip64EndOffset), 8);
    locator.writeUInt32LE(1, 16);
    await write(Buffer.concat([record, locator]));
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL, 0);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 10);
  end.writeUInt32LE(zip64 ? MAX32 : centralBytes.length, 12);
  end.writeUInt32LE(zip64 ? MAX32 : centralOffset, 16);
  await write(end);
  out.end();
  await once(out, 'close');
  return { size: offset };
}
