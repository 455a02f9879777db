/**
 * A .bbfw (a ZIP of modem images, docs/protocols/baseband.md#the-bbfw) opened for reading, from a file or from bytes:
 * the central directory read once and bounded (entry count, names), each entry read whole under a size cap or copied
 * as its raw compressed bytes. Never holds more than the entry being read.
 */
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { BasebandError } from './baseband-error';

export const MAX_BBFW_ENTRIES = 512;
const MAX_NAME_LENGTH = 255;

export type BbfwEntry = { name: string; method: number; crc: number; compressedSize: number; uncompressedSize: number };

function unreadable(why: string): BasebandError {
  return new BasebandError(`The baseband firmware archive is not usable: ${why}`, 'bbfw-unreadable');
}

function safeName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_NAME_LENGTH &&
    !name.startsWith('/') &&
    !name.includes('\\') &&
    !name.includes('\0') &&
    !name.split('/').includes('..')
  );
}

export class BbfwArchive {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly byName: Map<string, { entry: yauzl.Entry; info: BbfwEntry }>,
  ) {}

  static async open(source: { path: string } | { bytes: Buffer }): Promise<BbfwArchive> {
    const options: yauzl.Options = { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true };
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      const done = (error: Error | null, file: yauzl.ZipFile): void => (error ? reject(unreadable(error.message)) : resolve(file));
      if ('path' in source) yauzl.open(source.path, options, done);
      else yauzl.fromBuffer(source.bytes, options, done);
    });
    const byName = new Map<string, { entry: yauzl.Entry; info: BbfwEntry }>();
    try {
      if (zip.entryCount > MAX_BBFW_ENTRIES) throw unreadable(`${zip.entryCount} files, more than ${MAX_BBFW_ENTRIES}`);
      await new Promise<void>((resolve, reject) => {
        zip.on('error', (error: Error) => reject(error instanceof BasebandError ? error : unreadable(error.message)));
        zip.on('end', () => resolve());
        zip.on('entry', (entry: yauzl.Entry) => {
          const name = entry.fileName;
          if (!safeName(name)) return reject(unreadable(`a file name is unsafe (${JSON.stringify(name.slice(0, 60))})`));
          if (byName.has(name)) return reject(unreadable(`${name} appears twice`));
          if (entry.isEncrypted()) return reject(unreadable(`${name} is encrypted`));
          if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
            return reject(unreadable(`${name} uses compression method ${entry.compressionMethod}`));
          byName.set(name, {
            entry,
            info: {
              name,
              method: entry.compressionMethod,
              crc: entry.crc32 >>> 0,
              compressedSize: entry.compressedSize,
              uncompressedSize: entry.uncompressedSize,
            },
          });
          zip.readEntry();
        });
        zip.readEntry();
      });
    } catch (error) {
      zip.close();
      throw error;
    }
    return new BbfwArchive(zip, byName);
  }

  entries(): BbfwEntry[] {
    return [...this.byName.values()].map(({ info }) => info);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The entry's bytes, refused when it claims (or turns out) to be larger than `maxBytes`. */
  async read(name: string, maxBytes: number): Promise<Buffer> {
    const found = this.byName.get(name);
    if (!found) throw new BasebandError(`The baseband firmware has no ${name}`, 'missing-file');
    if (found.info.uncompressedSize > maxBytes)
      throw new BasebandError(`${name} is ${found.info.uncompressedSize} bytes, more than the ${maxBytes} allowed`, 'too-large');
    return this.collect(await this.stream(found.entry, true), maxBytes, name);
  }

  /** The entry's bytes exactly as stored in the archive (still deflated when method 8). */
  async readRaw(name: string, maxBytes: number): Promise<Buffer> {
    const found = this.byName.get(name);
    if (!found) throw new BasebandError(`The baseband firmware has no ${name}`, 'missing-file');
    if (found.info.compressedSize > maxBytes)
      throw new BasebandError(`${name} is ${found.info.compressedSize} bytes, more than the ${maxBytes} allowed`, 'too-large');
    return this.collect(await this.stream(found.entry, false), maxBytes, name);
  }

  close(): void {
    this.zip.close();
  }

  private stream(entry: yauzl.Entry, decode: boolean): Promise<Readable> {
    return new Promise((resolve, reject) => {
      const options: yauzl.ZipFileOptions = { decompress: entry.isCompressed() ? decode : null, decrypt: null, start: null, end: null };
      this.zip.openReadStream(entry, options, (error, stream) => (error ? reject(unreadable(error.message)) : resolve(stream)));
    });
  }

  private async collect(stream: Readable, maxBytes: number, name: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > maxBytes) throw new BasebandError(`${name} is larger than it claims`, 'too-large');
        chunks.push(chunk);
      }
    } catch (error) {
      stream.destroy();
      throw error instanceof BasebandError ? error : unreadable(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return Buffer.concat(chunks);
  }
}
