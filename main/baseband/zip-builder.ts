/**
 * A ZIP assembled in memory (docs/protocols/baseband.md#personalising-the-bbfw): entries are added as bytes to
 * deflate or store, or as already-compressed bytes copied from another archive with their CRC and sizes. Stops with
 * a BasebandError before the archive outgrows `maxBytes`. No ZIP64: a modem firmware is tens of megabytes.
 */
import { crc32, deflateRawSync } from 'node:zlib';
import { BasebandError } from './baseband-error';

export type RawZipEntry = { name: string; method: 0 | 8; crc: number; compressedSize: number; uncompressedSize: number; chunks: Buffer[] };

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const MAX_ENTRIES = 0xfffe;
const DOS_DATE_1980 = 0x21;

export class ZipBuilder {
  private readonly parts: Buffer[] = [];
  private readonly central: Buffer[] = [];
  private readonly names = new Set<string>();
  private offset = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.offset;
  }

  /** Adds bytes, deflated unless `store`. */
  addFile(name: string, data: Uint8Array, options: { store?: boolean } = {}): void {
    const compressed = options.store ? Buffer.from(data) : deflateRawSync(data);
    this.addRaw({
      name,
      method: options.store ? 0 : 8,
      crc: crc32(data) >>> 0,
      compressedSize: compressed.length,
      uncompressedSize: data.byteLength,
      chunks: [compressed],
    });
  }

  addRaw(entry: RawZipEntry): void {
    if (this.names.has(entry.name)) throw new BasebandError(`The archive would hold ${entry.name} twice`, 'bbfw-unreadable');
    if (this.names.size >= MAX_ENTRIES) throw new BasebandError('The archive would hold too many files', 'too-large');
    const name = Buffer.from(entry.name, 'utf8');
    const headerBytes = 30 + name.length + 46 + name.length + 22;
    if (this.offset + headerBytes + entry.compressedSize > Math.min(this.maxBytes, 0xfffffffe)) {
      throw new BasebandError(`The personalised baseband firmware would exceed ${this.maxBytes} bytes`, 'too-large');
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    writeEntryFields(local, 4, entry, name.length);
    const headerOffset = this.offset;
    this.push(local, name);
    let written = 0;
    for (const chunk of entry.chunks) {
      written += chunk.length;
      this.push(chunk);
    }
    if (written !== entry.compressedSize)
      throw new BasebandError(`${entry.name}: ${written} bytes where ${entry.compressedSize} were announced`, 'bbfw-unreadable');
    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(20, 4);
    writeEntryFields(header, 6, entry, name.length);
    header.writeUInt32LE(headerOffset, 42);
    this.central.push(header, name);
    this.names.add(entry.name);
  }

  /** The finished archive, in one buffer. */
  finish(): Buffer {
    const centralOffset = this.offset;
    const centralBytes = Buffer.concat(this.central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END_OF_CENTRAL, 0);
    end.writeUInt16LE(this.names.size, 8);
    end.writeUInt16LE(this.names.size, 10);
    end.writeUInt32LE(centralBytes.length, 12);
    end.writeUInt32LE(centralOffset, 16);
    return Buffer.concat([...this.parts, centralBytes, end]);
  }

  private push(...chunks: Buffer[]): void {
    for (const chunk of chunks) {
      this.parts.push(chunk);
      this.offset += chunk.length;
    }
  }
}

/** The fields a local header and its central-directory record share, from "version needed" to the name length (24 bytes). */
function writeEntryFields(header: Buffer, at: number, entry: RawZipEntry, nameLength: number): void {
  header.writeUInt16LE(20, at);
  header.writeUInt16LE(0x0800, at + 2);
  header.writeUInt16LE(entry.method, at + 4);
  header.writeUInt16LE(0, at + 6);
  header.writeUInt16LE(DOS_DATE_1980, at + 8);
  header.writeUInt32LE(entry.crc >>> 0, at + 10);
  header.writeUInt32LE(entry.compressedSize, at + 14);
  header.writeUInt32LE(entry.uncompressedSize, at + 18);
  header.writeUInt16LE(nameLength, at + 22);
}
