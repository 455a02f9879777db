import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { personalFiles, type PersonalDataCounts } from './personal-data';

/**
 * The phone's backup-visible files: generated deterministically from a seed (names, sizes,
 * contents), with an overlay for files the phone wrote later (test edits, a restore). Contents are
 * never held in memory: generated files are cut from one AES-128-CTR keystream pool per seed (random
 * access, no allocation per chunk) and written files live in a temp directory.
 */

export const BACKUP_DOMAINS = [
  'HomeDomain',
  'CameraRollDomain',
  'MediaDomain',
  'KeychainDomain',
  'WirelessDomain',
  'SystemPreferencesDomain',
  'HealthDomain',
  'RootDomain',
  'ManagedPreferencesDomain',
  'DatabaseDomain',
  'MobileDeviceDomain',
  'HomeKitDomain',
  'KeyboardDomain',
] as const;

export const DEFAULT_CHUNK_BYTES = 256 * 1024;

/** docs/protocols/mobilebackup2.md#manifest-database: fileID = lowercase hex SHA-1 of "<domain>-<relativePath>". */
export function fileIdFor(domain: string, relativePath: string): string {
  return createHash('sha1').update(`${domain}-${relativePath}`, 'utf8').digest('hex');
}

export type VirtualFile = {
  readonly domain: string;
  readonly relativePath: string;
  readonly fileID: string;
  readonly size: number;
  /** POSIX mode incl. S_IFREG. */
  readonly mode: number;
  readonly mtime: Date;
};

type Content = { kind: 'generated'; key: string } | { kind: 'stored'; path: string } | { kind: 'bytes'; bytes: Buffer };

type Entry = VirtualFile & { content: Content };

export type VirtualFsOptions = {
  seed: string;
  fileCount: number;
  totalBytes: number;
  /** Photos, videos, messages, contacts and notes at their real places (main/sim/personal-data.ts), besides the generated files. */
  personal?: PersonalDataCounts;
};

/** Seeded xorshift128+ for names and sizes (contents use AES-CTR). */
class SeededRandom {
  private s0: bigint;
  private s1: bigint;
  constructor(seed: string) {
    const digest = createHash('sha256').update(seed).digest();
    this.s0 = digest.readBigUInt64LE(0) | 1n;
    this.s1 = digest.readBigUInt64LE(8) | 2n;
  }
  /** Uniform in [0, 1). */
  next(): number {
    const mask = (1n << 64n) - 1n;
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= (x << 23n) & mask;
    x ^= x >> 17n;
    x ^= y ^ (y >> 26n);
    this.s1 = x;
    return Number(((x + y) & mask) >> 11n) / 2 ** 53;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

type Template = { domain: string; weight: number; sizeWeight: number; path: (r: SeededRandom, i: number) => string };

const APPS = ['com.example.notes', 'net.whatsapp.WhatsApp', 'com.spotify.client', 'org.wikipedia', 'com.example.game'];
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

const TEMPLATES: readonly Template[] = [
  {
    domain: 'CameraRollDomain',
    weight: 30,
    sizeWeight: 40,
    // The Photos library's own files (thumbnails); the camera roll itself (Media/DCIM) comes from personal-data.ts.
    path: (r, i) =>
      `Media/PhotoData/Thumbnails/V2/${100 + Math.floor(i / 1000)}APPLE/IMG_${pad(i % 10000, 4)}.${r.pick(['HEIC', 'JPG', 'MOV', 'PNG'])}/5005.JPG`,
  },
  {
    domain: 'MediaDomain',
    weight: 15,
    sizeWeight: 12,
    path: (r, i) => `Library/SMS/Attachments/${pad(r.int(100), 2)}/${pad(i, 2)}/IMG_${pad(i, 4)}.jpeg`,
  },
  {
    domain: 'MediaDomain',
    weight: 4,
    sizeWeight: 8,
    path: (_r, i) => `Media/Recordings/2023${pad(i % 10000, 4)} 0900${pad(i % 100, 2)}.m4a`,
  },
  {
    domain: 'HomeDomain',
    weight: 12,
    sizeWeight: 1,
    path: (r, i) => `Library/Preferences/com.apple.${r.pick(['springboard', 'mobilesafari', 'Maps', 'weather', 'stocks'])}.${i}.plist`,
  },
  {
    domain: 'HomeDomain',
    weight: 3,
    sizeWeight: 6,
    path: (r, i) =>
      `Library/${r.pick(['SMS/sms.db', 'AddressBook/AddressBook.sqlitedb', 'CallHistoryDB/CallHistory.storedata', 'Safari/Bookmarks.db', 'Notes/notes.sqlite'])}.${i}`,
  },
  {
    domain: 'AppDomain',
    weight: 20,
    sizeWeight: 10,
    path: (r, i) => `Documents/${r.pick(['data', 'cache', 'media', 'db'])}/item-${pad(i, 5)}.${r.pick(['json', 'sqlite', 'bin', 'jpg'])}`,
  },
  {
    domain: 'KeychainDomain',
    weight: 1,
    sizeWeight: 1,
    path: (_r, i) => (i === 0 ? 'keychain-backup.plist' : `keychain-backup-${i}.plist`),
  },
  { domain: 'HealthDomain', weight: 2, sizeWeight: 3, path: (_r, i) => `Health/healthdb_secure.${i}.sqlite` },
  { domain: 'WirelessDomain', weight: 1, sizeWeight: 1, path: (_r, i) => `Library/Preferences/com.apple.commcenter.${i}.plist` },
  { domain: 'SystemPreferencesDomain', weight: 2, sizeWeight: 1, path: (_r, i) => `SystemConfiguration/preferences.${i}.plist` },
  { domain: 'RootDomain', weight: 1, sizeWeight: 1, path: (_r, i) => `Library/Caches/locationd/clients.${i}.plist` },
  { domain: 'ManagedPreferencesDomain', weight: 1, sizeWeight: 1, path: (_r, i) => `mobile/com.apple.webcontentfilter.${i}.plist` },
  { domain: 'DatabaseDomain', weight: 1, sizeWeight: 2, path: (_r, i) => `timezone/localtime.${i}` },
  { domain: 'MobileDeviceDomain', weight: 1, sizeWeight: 1, path: (_r, i) => `ProvisioningProfiles/profile-${i}.mobileprovision` },
  { domain: 'HomeKitDomain', weight: 1, sizeWeight: 1, path: (_r, i) => `Library/homed/datastore.${i}.sqlite` },
  { domain: 'KeyboardDomain', weight: 1, sizeWeight: 1, path: (_r, i) => `Library/Keyboard/dynamic-text.${i}.dat` },
];

/** Names and sizes for `fileCount` files whose sizes sum exactly to `totalBytes`. */
export function generateFileList(options: VirtualFsOptions): VirtualFile[] {
  const { seed, fileCount, totalBytes } = options;
  if (!Number.isSafeInteger(fileCount) || fileCount < 0) throw new RangeError('fileCount must be a non-negative integer');
  if (!Number.isSafeInteger(totalBytes) || totalBytes < 0) throw new RangeError('totalBytes must be a non-negative integer');
  const random = new SeededRandom(`files:${seed}`);
  const totalWeight = TEMPLATES.reduce((sum, t) => sum + t.weight, 0);
  const perTemplate = new Map<Template, number>();
  const seen = new Set<string>();
  const drafts: { domain: string; relativePath: string; weight: number }[] = [];
  for (let i = 0; i < fileCount; i++) {
    let roll = random.next() * totalWeight;
    let template = TEMPLATES[0]!;
    for (const t of TEMPLATES) {
      roll -= t.weight;
      if (roll < 0) {
        template = t;
        break;
      }
    }
    const index = perTemplate.get(template) ?? 0;
    perTemplate.set(template, index + 1);
    const domain = template.domain === 'AppDomain' ? `AppDomain-${random.pick(APPS)}` : template.domain;
    let relativePath = template.path(random, index);
    for (let n = 2; seen.has(`${domain}-${relativePath}`); n++) relativePath = `${template.path(random, index)}.${n}`;
    seen.add(`${domain}-${relativePath}`);
    // Log-uniform spread over ~3 decades: a few large files, many small ones.
    drafts.push({ domain, relativePath, weight: template.sizeWeight * 10 ** (random.next() * 3) });
  }
  const weightSum = drafts.reduce((sum, d) => sum + d.weight, 0);
  const sizes = drafts.map((d) => Math.floor((totalBytes * d.weight) / weightSum));
  let remainder = totalBytes - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; remainder !== 0 && sizes.length > 0; i = (i + 1) % sizes.length) {
    const step = remainder > 0 ? 1 : -1;
    if (step < 0 && sizes[i]! === 0) continue;
    sizes[i] = sizes[i]! + step;
    remainder -= step;
  }
  const epoch = Date.UTC(2023, 0, 1) / 1000;
  return drafts.map((d, i) => ({
    domain: d.domain,
    relativePath: d.relativePath,
    fileID: fileIdFor(d.domain, d.relativePath),
    size: sizes[i]!,
    mode: 0o100644,
    mtime: new Date((epoch + random.int(365 * 24 * 3600)) * 1000),
  }));
}

/**
 * Keystream every generated file of one seed is cut from. A file is this pool read from its own starting point,
 * wrapping at the end, so its chunks are views into one buffer: a phone streaming gigabytes allocates nothing per
 * chunk, and the garbage collector never chases gigabytes of short-lived buffers (which, once a slow reader let
 * them age, cost the phone more CPU than the transfer itself). Two files rarely start at the same place; when they
 * do, one is a prefix of the other, as duplicate photos are.
 */
const POOL_BYTES = 4 * 1024 * 1024;
/** Pools kept (the seeds of the phones alive in one process). */
const MAX_POOLS = 16;
const pools = new Map<string, Buffer>();

function keystreamPool(seed: string): Buffer {
  let pool = pools.get(seed);
  if (pool) {
    // Most recently used last.
    pools.delete(seed);
    pools.set(seed, pool);
    return pool;
  }
  const key = createHash('sha256').update(`content-pool:${seed}`).digest().subarray(0, 16);
  pool = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(POOL_BYTES));
  pools.set(seed, pool);
  if (pools.size > MAX_POOLS) pools.delete(pools.keys().next().value!);
  return pool;
}

/** The deterministic bytes of a generated file: the seed's keystream pool from a point keyed by the content key. */
export class GeneratedContent {
  private readonly pool: Buffer;
  private readonly start: number;

  constructor(
    seed: string,
    contentKey: string,
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    this.pool = keystreamPool(seed);
    this.start = createHash('sha256').update(`content:${seed}\0${contentKey}`).digest().readUInt32BE(0) % POOL_BYTES;
  }

  /** Bytes [offset, offset + length). A view of shared memory: never write into it. */
  slice(offset: number, length: number): Buffer {
    const pieces = [...this.pieces(offset, length, Number.MAX_SAFE_INTEGER)];
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length);
  }

  /** Streams [0, size) in chunks of at most chunkBytes; views of shared memory: never write into them. */
  chunks(size: number): Generator<Buffer> {
    return this.pieces(0, size, this.chunkBytes);
  }

  private *pieces(offset: number, length: number, most: number): Generator<Buffer> {
    let at = (this.start + (offset % POOL_BYTES)) % POOL_BYTES;
    for (let left = length; left > 0;) {
      const n = Math.min(left, most, POOL_BYTES - at);
      yield this.pool.subarray(at, at + n);
      left -= n;
      at = (at + n) % POOL_BYTES;
    }
  }
}

export type VirtualFsEdit = { domain: string; relativePath: string };

export class VirtualFilesystem {
  private entries = new Map<string, Entry>();
  /** fileID → names of every file this phone ever held (to read a backup laid out by fileID). */
  private readonly knownNames = new Map<string, { domain: string; relativePath: string }>();
  private tempDir: Promise<string> | undefined;
  private storedCounter = 0;
  readonly seed: string;

  constructor(options: VirtualFsOptions) {
    this.seed = options.seed;
    for (const file of generateFileList(options)) {
      this.entries.set(file.fileID, { ...file, content: { kind: 'generated', key: file.fileID } });
      this.knownNames.set(file.fileID, { domain: file.domain, relativePath: file.relativePath });
    }
    const epoch = new Date(Date.UTC(2024, 0, 1));
    for (const personal of options.personal ? personalFiles(options.personal) : []) {
      const fileID = fileIdFor(personal.domain, personal.relativePath);
      const content: Content = 'bytes' in personal ? { kind: 'bytes', bytes: personal.bytes } : { kind: 'generated', key: fileID };
      const size = 'bytes' in personal ? personal.bytes.length : personal.size;
      this.entries.set(fileID, {
        domain: personal.domain,
        relativePath: personal.relativePath,
        fileID,
        size,
        mode: 0o100644,
        mtime: epoch,
        content,
      });
      this.knownNames.set(fileID, { domain: personal.domain, relativePath: personal.relativePath });
    }
  }

  /** All files, sorted by domain then path (stable across runs). */
  files(): VirtualFile[] {
    return [...this.entries.values()]
      .map(({ content: _content, ...file }) => file)
      .sort((a, b) => (a.domain === b.domain ? compare(a.relativePath, b.relativePath) : compare(a.domain, b.domain)));
  }

  get fileCount(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    let sum = 0;
    for (const e of this.entries.values()) sum += e.size;
    return sum;
  }

  get(fileID: string): VirtualFile | undefined {
    const entry = this.entries.get(fileID);
    if (!entry) return undefined;
    const { content: _content, ...file } = entry;
    return file;
  }

  /** Names for a fileID this phone has held, for reading a backup that is laid out by fileID. */
  namesFor(fileID: string): { domain: string; relativePath: string } | undefined {
    return this.knownNames.get(fileID);
  }

  /** The file's bytes as a stream of chunks (backpressure-friendly; never the whole file in memory). */
  async *read(fileID: string, chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<Buffer> {
    const entry = this.entries.get(fileID);
    if (!entry) throw Object.assign(new Error(`No such file ${fileID}`), { code: 'ENOENT' });
    if (entry.content.kind === 'generated') {
      yield* new GeneratedContent(this.seed, entry.content.key, chunkBytes).chunks(entry.size);
      return;
    }
    if (entry.content.kind === 'bytes') {
      for (let offset = 0; offset < entry.content.bytes.length; offset += chunkBytes)
        yield entry.content.bytes.subarray(offset, offset + chunkBytes);
      return;
    }
    yield* createReadStream(entry.content.path, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>;
  }

  readStream(fileID: string, chunkBytes = DEFAULT_CHUNK_BYTES): Readable {
    return Readable.from(this.read(fileID, chunkBytes), { objectMode: false });
  }

  /** Lowercase hex SHA-1 of a file's current contents. */
  async contentHash(fileID: string): Promise<string> {
    return hashChunks(this.read(fileID));
  }

  /** SHA-256 over (domain, path, size, content SHA-1) of every file, in files() order. */
  async digest(): Promise<string> {
    const hash = createHash('sha256');
    for (const file of this.files()) {
      hash.update(`${file.domain}\0${file.relativePath}\0${file.size}\0${await this.contentHash(file.fileID)}\n`);
    }
    return hash.digest('hex');
  }

  /** Overwrites or creates a file (the phone's own writes; tests use it to change the phone). */
  async writeFile(domain: string, relativePath: string, bytes: Buffer | AsyncIterable<Buffer>): Promise<VirtualFile> {
    const writer = await this.createWriter(domain, relativePath, undefined);
    if (Buffer.isBuffer(bytes)) await writer.write(bytes);
    else for await (const chunk of bytes) await writer.write(chunk);
    const { entry } = await writer.finish();
    this.entries.set(entry.fileID, entry);
    const { content: _content, ...file } = entry;
    return file;
  }

  /** An erase: no files at all (names seen before are still known, so old backups stay readable). */
  eraseAll(): void {
    this.entries = new Map();
  }

  removeFile(domain: string, relativePath: string): boolean {
    return this.entries.delete(fileIdFor(domain, relativePath));
  }

  /**
   * A restore replaces the whole set at commit (docs/protocols/mobilebackup2.md#restoring-a-backup). Incoming bytes are compared
   * with what the seed would generate for that path; only files that differ reach the disk.
   */
  beginReplace(options: ReplaceOptions = {}): VirtualFsReplacement {
    return new VirtualFsReplacement(this, options);
  }

  /**
   * How the last restore onto this phone ended: 'incomplete' when it stopped part-way (a real phone then says
   * "Restore incomplete"), undefined before any.
   */
  lastRestore: 'complete' | 'incomplete' | undefined;

  /** @internal used by VirtualFsReplacement. */
  async createWriter(domain: string, relativePath: string, mtime: Date | undefined): Promise<VirtualFileWriter> {
    const fileID = fileIdFor(domain, relativePath);
    this.knownNames.set(fileID, { domain, relativePath });
    return new VirtualFileWriter(this, { domain, relativePath, fileID, mtime: mtime ?? new Date() });
  }

  /** @internal */
  async newStoredPath(): Promise<string> {
    this.tempDir ??= mkdtemp(join(tmpdir(), 'lifeline-vfs-'));
    return join(await this.tempDir, `f${++this.storedCounter}`);
  }

  /** @internal */
  commitEntries(entries: Map<string, Entry>): void {
    this.entries = entries;
  }

  /** @internal the live side of a restore that writes as it goes. */
  setEntry(entry: Entry): void {
    this.entries.set(entry.fileID, entry);
  }

  /** @internal entries a replacement keeps, as they are now. */
  entriesWhere(keep: (file: VirtualFile) => boolean): Map<string, Entry> {
    return new Map([...this.entries].filter(([, entry]) => keep(entry)));
  }

  /** Removes the temp directory holding written files. */
  async dispose(): Promise<void> {
    if (this.tempDir) await rm(await this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
  }
}

/** Receives one file's bytes; keeps them virtual while they equal the seed's content for that path. */
export class VirtualFileWriter {
  private offset = 0;
  private generated: GeneratedContent | undefined;
  private out: WriteStream | undefined;
  private path: string | undefined;

  constructor(
    private readonly fs: VirtualFilesystem,
    private readonly meta: { domain: string; relativePath: string; fileID: string; mtime: Date },
  ) {
    this.generated = new GeneratedContent(fs.seed, meta.fileID);
  }

  get bytesWritten(): number {
    return this.offset;
  }

  async write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    if (this.generated && this.generated.slice(this.offset, chunk.length).equals(chunk)) {
      this.offset += chunk.length;
      return;
    }
    if (!this.out) await this.spill();
    await writeChunk(this.out!, chunk);
    this.offset += chunk.length;
  }

  async finish(): Promise<{ entry: Entry }> {
    const base = { domain: this.meta.domain, relativePath: this.meta.relativePath, fileID: this.meta.fileID };
    const file = { ...base, size: this.offset, mode: 0o100644, mtime: this.meta.mtime };
    if (!this.out) return { entry: { ...file, content: { kind: 'generated', key: this.meta.fileID } } };
    const out = this.out;
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const written = await stat(this.path!);
    if (written.size !== this.offset) throw new Error(`Stored ${written.size} of ${this.offset} bytes`);
    return { entry: { ...file, content: { kind: 'stored', path: this.path! } } };
  }

  async abort(): Promise<void> {
    this.out?.destroy();
    if (this.path) await rm(this.path, { force: true });
  }

  /** Content diverged from the seed: copy the matching prefix to disk and continue there. */
  private async spill(): Promise<void> {
    this.path = await this.fs.newStoredPath();
    this.out = createWriteStream(this.path);
    const generated = this.generated!;
    this.generated = undefined;
    for (const chunk of generated.chunks(this.offset)) await writeChunk(this.out, chunk);
  }
}

export type ReplaceOptions = {
  /** Files of the phone's that stay as they are (the rest is replaced by what the restore brings). Default none. */
  keep?: (file: VirtualFile) => boolean;
  /** Write each file onto the phone as it arrives (a stop part-way leaves a mix); default: all at commit. */
  live?: boolean;
};

export class VirtualFsReplacement {
  private readonly entries: Map<string, Entry>;
  private readonly live: boolean;

  constructor(
    private readonly fs: VirtualFilesystem,
    options: ReplaceOptions = {},
  ) {
    const keep = options.keep ?? (() => false);
    this.entries = fs.entriesWhere(keep);
    this.live = options.live === true;
    // A phone restoring in place drops the data being replaced before the first file arrives.
    if (this.live) fs.commitEntries(new Map(this.entries));
  }

  async addFile(domain: string, relativePath: string, mtime?: Date): Promise<VirtualFileWriter & { commit(): Promise<void> }> {
    const writer = await this.fs.createWriter(domain, relativePath, mtime);
    const commit = async (): Promise<void> => {
      const { entry } = await writer.finish();
      this.entries.set(entry.fileID, entry);
      if (this.live) this.fs.setEntry(entry);
    };
    return Object.assign(writer, { commit });
  }

  get fileCount(): number {
    return this.entries.size;
  }

  commit(): void {
    this.fs.commitEntries(new Map(this.entries));
  }
}

function writeChunk(out: WriteStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = out.write(chunk, (error) => {
      if (error) reject(error);
      else if (ok) resolve();
    });
    if (!ok) out.once('drain', resolve);
  });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Lowercase hex SHA-1 of a chunk stream. */
export async function hashChunks(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** Lowercase hex SHA-1 of a file on disk, streamed. */
export function hashFile(path: string): Promise<string> {
  return hashChunks(createReadStream(path, { highWaterMark: DEFAULT_CHUNK_BYTES }) as AsyncIterable<Buffer>);
}
