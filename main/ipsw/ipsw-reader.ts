import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { ProblemError } from '../../common/api';

/** One file inside an IPSW (docs/protocols/firmware.md#ipsw-container). */
export type IpswEntry = {
  name: string;
  size: number;
  compressedSize: number;
  /** 0 = stored (readable at random offsets), 8 = deflated. */
  method: number;
};

const MAX_ENTRIES = 100_000;

/** `why` is for the log (the error's cause); people read the catalog's words. */
function notAnIpsw(path: string, why: string): ProblemError {
  return new ProblemError('ipsw-unreadable', { file: path }, { cause: new Error(`${path}: ${why}`) });
}

/**
 * Random access to an IPSW (a ZIP, usually ZIP64) through yauzl: the central directory is read once; each entry
 * is streamed on demand (optionally a byte range of a stored entry). Never loads the archive or a big entry.
 */
export class IpswArchive {
  private constructor(
    readonly path: string,
    private readonly zip: yauzl.ZipFile,
    private readonly byName: Map<string, { entry: yauzl.Entry; info: IpswEntry }>,
  ) {}

  static async open(path: string): Promise<IpswArchive> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true }, (error, file) =>
        error ? reject(notAnIpsw(path, error.message)) : resolve(file),
      );
    });
    const byName = new Map<string, { entry: yauzl.Entry; info: IpswEntry }>();
    try {
      await new Promise<void>((resolve, reject) => {
        zip.on('error', (error: Error) => reject(notAnIpsw(path, error.message)));
        zip.on('end', () => resolve());
        zip.on('entry', (entry: yauzl.Entry) => {
          if (byName.size >= MAX_ENTRIES) {
            reject(notAnIpsw(path, `more than ${MAX_ENTRIES} entries`));
            return;
          }
          byName.set(entry.fileName, {
            entry,
            info: {
              name: entry.fileName,
              size: entry.uncompressedSize,
              compressedSize: entry.compressedSize,
              method: entry.compressionMethod,
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
    return new IpswArchive(path, zip, byName);
  }

  entries(): IpswEntry[] {
    return [...this.byName.values()].map(({ info }) => info);
  }

  entry(name: string): IpswEntry | undefined {
    return this.byName.get(name)?.info;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Streams an entry; `range` (end exclusive) only for stored entries — the OS image ASR reads at offsets. */
  openStream(name: string, range?: { start: number; end: number }): Promise<Readable> {
    const found = this.byName.get(name);
    if (!found) return Promise.reject(notAnIpsw(this.path, `it has no ${name}`));
    if (range && found.info.method !== 0)
      return Promise.reject(notAnIpsw(this.path, `${name} is compressed, so it cannot be read at an offset`));
    if (range && (range.start < 0 || range.end > found.info.size || range.start > range.end)) {
      return Promise.reject(new RangeError(`range ${range.start}-${range.end} outside ${name} (${found.info.size} bytes)`));
    }
    return new Promise((resolve, reject) => {
      const done = (error: Error | null, stream: Readable): void => {
        if (error) reject(notAnIpsw(this.path, error.message));
        else resolve(stream);
      };
      if (range) this.zip.openReadStream(found.entry, { decompress: null, decrypt: null, start: range.start, end: range.end }, done);
      else this.zip.openReadStream(found.entry, done);
    });
  }

  /** Reads a small entry whole (BuildManifest.plist, Restore.plist), refusing anything over `maxBytes`. */
  async readSmall(name: string, maxBytes: number): Promise<Buffer> {
    const info = this.entry(name);
    if (!info) throw notAnIpsw(this.path, `it has no ${name}`);
    if (info.size > maxBytes) throw notAnIpsw(this.path, `${name} is ${info.size} bytes, more than the ${maxBytes} allowed`);
    const stream = await this.openStream(name);
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > maxBytes) throw notAnIpsw(this.path, `${name} is larger than it claims`);
        chunks.push(chunk);
      }
    } catch (error) {
      stream.destroy();
      throw error instanceof ProblemError
        ? error
        : notAnIpsw(this.path, `${name} could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
    return Buffer.concat(chunks);
  }

  close(): void {
    this.zip.close();
  }
}
