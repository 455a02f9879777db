import { decodePlist, encodeBinaryPlist } from '../plist/plist-codec';
import { PlistUid, isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';

/**
 * Manifest.db (docs/protocols/mobilebackup2.md#manifest-database) written as a real SQLite 3 file without a SQLite library:
 * the schema iOS 10+ uses, tables and indexes laid out as balanced b-trees bottom-up.
 * Built in memory (a few hundred bytes per file). No overflow pages: a row that would need one
 * is rejected (our paths and MBFile blobs are far below the ~1 KB index / ~4 KB table limits).
 */

export type ManifestRecord = {
  fileID: string;
  domain: string;
  relativePath: string;
  /** 1 file, 2 directory, 4 symlink. */
  flags: 1 | 2 | 4;
  size: number;
  mode: number;
  mtime: Date;
  /** Encrypted backups: the file's data-protection class and its wrapped key (docs/protocols/backup-encryption.md#file-records). */
  protectionClass?: number;
  encryptionKey?: Buffer;
};

const PAGE_SIZE = 4096;
const SCHEMA: readonly { type: 'table' | 'index'; name: string; table: string; sql: string | null }[] = [
  { type: 'table', name: 'Files', table: 'Files', sql: 'CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB)' },
  { type: 'index', name: 'sqlite_autoindex_Files_1', table: 'Files', sql: null },
  { type: 'index', name: 'FilesDomainIdx', table: 'Files', sql: 'CREATE INDEX FilesDomainIdx ON Files(domain)' },
  { type: 'index', name: 'FilesRelativePathIdx', table: 'Files', sql: 'CREATE INDEX FilesRelativePathIdx ON Files(relativePath)' },
  { type: 'index', name: 'FilesFlagsIdx', table: 'Files', sql: 'CREATE INDEX FilesFlagsIdx ON Files(flags)' },
  { type: 'table', name: 'Properties', table: 'Properties', sql: 'CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB)' },
  { type: 'index', name: 'sqlite_autoindex_Properties_1', table: 'Properties', sql: null },
];

type Value = string | number | Buffer | null;

/** The NSKeyedArchiver MBFile blob stored in Files.file. */
export function mbFileArchive(record: ManifestRecord): Buffer {
  const seconds = Math.floor(record.mtime.getTime() / 1000);
  const objects: PlistValue[] = ['$null'];
  const mbFile: PlistDict = {
    $class: new PlistUid(0),
    Birth: seconds,
    Flags: 0,
    GroupID: 501,
    InodeNumber: Number.parseInt(record.fileID.slice(0, 8), 16),
    LastModified: seconds,
    LastStatusChange: seconds,
    Mode: record.mode,
    ProtectionClass: record.protectionClass ?? (record.flags === 1 ? 3 : 0),
    RelativePath: new PlistUid(2),
    Size: record.flags === 1 ? record.size : 0,
    UserID: 501,
  };
  objects.push(mbFile, record.relativePath);
  if (record.encryptionKey) {
    mbFile.EncryptionKey = new PlistUid(objects.length);
    objects.push({ 'NS.data': record.encryptionKey, $class: new PlistUid(objects.length + 1) });
    objects.push({ $classes: ['NSMutableData', 'NSData', 'NSObject'], $classname: 'NSMutableData' });
  }
  mbFile.$class = new PlistUid(objects.length);
  objects.push({ $classes: ['MBFile', 'NSObject'], $classname: 'MBFile' });
  return encodeBinaryPlist({
    $archiver: 'NSKeyedArchiver',
    $objects: objects,
    $top: { root: new PlistUid(1) },
    $version: 100000,
  });
}

export function buildManifestDb(records: readonly ManifestRecord[]): Buffer {
  const pages: Buffer[] = [Buffer.alloc(PAGE_SIZE)]; // page 1: header + sqlite_schema root
  const allocate = (): number => {
    pages.push(Buffer.alloc(PAGE_SIZE));
    return pages.length;
  };
  const rows = records.map((r, i) => ({ rowid: i + 1, values: [r.fileID, r.domain, r.relativePath, r.flags, mbFileArchive(r)] as Value[] }));
  const roots = new Map<string, number>();
  roots.set('Files', writeTable(rows, pages, allocate));
  const indexOn = (column: number): number =>
    writeIndex(
      rows.map((r) => [r.values[column]!, r.rowid]),
      pages,
      allocate,
    );
  roots.set('sqlite_autoindex_Files_1', indexOn(0));
  roots.set('FilesDomainIdx', indexOn(1));
  roots.set('FilesRelativePathIdx', indexOn(2));
  roots.set('FilesFlagsIdx', indexOn(3));
  roots.set('Properties', writeTable([], pages, allocate));
  roots.set('sqlite_autoindex_Properties_1', writeIndex([], pages, allocate));

  const schemaCells = SCHEMA.map((entry, i) =>
    tableLeafCell(i + 1, encodeRecord([entry.type, entry.name, entry.table, roots.get(entry.name)!, entry.sql])),
  );
  writePage(pages[0]!, 100, 0x0d, schemaCells, undefined);

  const file = Buffer.concat(pages);
  writeHeader(file, pages.length);
  return file;
}

function writeHeader(file: Buffer, pageCount: number): void {
  file.write('SQLite format 3\0', 0, 'latin1');
  file.writeUInt16BE(PAGE_SIZE, 16);
  file[18] = 1; // legacy write/read versions (rollback journal)
  file[19] = 1;
  file[20] = 0;
  file[21] = 64; // payload fractions, fixed by the format
  file[22] = 32;
  file[23] = 32;
  file.writeUInt32BE(1, 24); // change counter
  file.writeUInt32BE(pageCount, 28);
  file.writeUInt32BE(1, 40); // schema cookie
  file.writeUInt32BE(4, 44); // schema format
  file.writeUInt32BE(1, 56); // UTF-8
  file.writeUInt32BE(1, 92); // version-valid-for = change counter
  file.writeUInt32BE(3_040_001, 96);
}

// ---------------------------------------------------------------- records and cells

function varint(value: number | bigint): Buffer {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;
  if (v > 0x00ffffffffffffffn) {
    const out = Buffer.alloc(9);
    out[8] = Number(v & 0xffn);
    v >>= 8n;
    for (let i = 7; i >= 0; i--) {
      out[i] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    return out;
  }
  const bytes: number[] = [Number(v & 0x7fn)];
  v >>= 7n;
  while (v > 0n) {
    bytes.unshift(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  return Buffer.from(bytes);
}

function encodeRecord(values: readonly Value[]): Buffer {
  const types: Buffer[] = [];
  const bodies: Buffer[] = [];
  for (const value of values) {
    if (value === null) types.push(varint(0));
    else if (typeof value === 'number') {
      if (value === 0 || value === 1) types.push(varint(value === 0 ? 8 : 9));
      else if (value >= -128 && value < 128) {
        types.push(varint(1));
        bodies.push(Buffer.from([value & 0xff]));
      } else if (value >= -(2 ** 31) && value < 2 ** 31) {
        types.push(varint(4));
        const b = Buffer.alloc(4);
        b.writeInt32BE(value);
        bodies.push(b);
      } else {
        types.push(varint(6));
        const b = Buffer.alloc(8);
        b.writeBigInt64BE(BigInt(value));
        bodies.push(b);
      }
    } else if (typeof value === 'string') {
      const b = Buffer.from(value, 'utf8');
      types.push(varint(13 + 2 * b.length));
      bodies.push(b);
    } else {
      types.push(varint(12 + 2 * value.length));
      bodies.push(value);
    }
  }
  const typeBytes = Buffer.concat(types);
  let headerSize = typeBytes.length + 1;
  if (varint(headerSize).length > 1) headerSize = typeBytes.length + varint(typeBytes.length + 2).length;
  return Buffer.concat([varint(headerSize), typeBytes, ...bodies]);
}

const TABLE_LEAF_MAX_LOCAL = PAGE_SIZE - 35;
const INDEX_MAX_LOCAL = Math.floor(((PAGE_SIZE - 12) * 64) / 255) - 23;

function tableLeafCell(rowid: number, payload: Buffer): Buffer {
  if (payload.length > TABLE_LEAF_MAX_LOCAL) throw new RangeError('Manifest.db row too large for one page');
  return Buffer.concat([varint(payload.length), varint(rowid), payload]);
}

function indexPayloadCell(payload: Buffer): Buffer {
  if (payload.length > INDEX_MAX_LOCAL) throw new RangeError('Manifest.db index key too large for one page');
  return Buffer.concat([varint(payload.length), payload]);
}

function childPointer(page: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(page);
  return b;
}

// ---------------------------------------------------------------- pages and b-trees

function writePage(page: Buffer, headerOffset: number, type: number, cells: readonly Buffer[], rightChild: number | undefined): void {
  const interior = type === 0x05 || type === 0x02;
  const headerBytes = interior ? 12 : 8;
  let contentStart = PAGE_SIZE;
  const pointers = headerOffset + headerBytes;
  if (pointers + 2 * cells.length > PAGE_SIZE - cells.reduce((s, c) => s + c.length, 0)) throw new RangeError('Page overflow');
  cells.forEach((cell, i) => {
    contentStart -= cell.length;
    cell.copy(page, contentStart);
    page.writeUInt16BE(contentStart, pointers + 2 * i);
  });
  page[headerOffset] = type;
  page.writeUInt16BE(0, headerOffset + 1);
  page.writeUInt16BE(cells.length, headerOffset + 3);
  page.writeUInt16BE(contentStart, headerOffset + 5);
  page[headerOffset + 7] = 0;
  if (interior) page.writeUInt32BE(rightChild ?? 0, headerOffset + 8);
}

/** How many cells of at most `maxCell` bytes fit on a non-first page. */
function capacity(maxCell: number, interior: boolean): number {
  return Math.max(1, Math.floor((PAGE_SIZE - (interior ? 12 : 8)) / (maxCell + 2)));
}

/**
 * Splits `count` ordered keys into `groups` runs separated by single keys that move one level up,
 * each run holding at most `cap` keys and at least one.
 */
function splitWithSeparators(count: number, cap: number): { runs: [number, number][]; separators: number[] } {
  const groups = Math.max(1, Math.ceil((count + 1) / (cap + 1)));
  const inRuns = count - (groups - 1);
  const runs: [number, number][] = [];
  const separators: number[] = [];
  let next = 0;
  for (let g = 0; g < groups; g++) {
    const size = Math.floor(inRuns / groups) + (g < inRuns % groups ? 1 : 0);
    runs.push([next, next + size]);
    next += size;
    if (g < groups - 1) separators.push(next++);
  }
  return { runs, separators };
}

type Row = { rowid: number; values: Value[] };

function writeTable(rows: readonly Row[], pages: Buffer[], allocate: () => number): number {
  const cells = rows.map((r) => tableLeafCell(r.rowid, encodeRecord(r.values)));
  const perLeaf = capacity(Math.max(1, ...cells.map((c) => c.length)), false);
  let level: { page: number; maxRowid: number }[] = [];
  for (let i = 0; i < cells.length || level.length === 0; i += perLeaf) {
    const page = allocate();
    const slice = cells.slice(i, i + perLeaf);
    writePage(pages[page - 1]!, 0, 0x0d, slice, undefined);
    level.push({ page, maxRowid: rows[Math.min(rows.length, i + perLeaf) - 1]?.rowid ?? 0 });
  }
  const perInterior = capacity(4 + 9, true) + 1; // children per interior page
  while (level.length > 1) {
    const up: typeof level = [];
    for (let i = 0; i < level.length; i += perInterior) {
      const children = level.slice(i, i + perInterior);
      const page = allocate();
      const last = children[children.length - 1]!;
      const interiorCells = children.slice(0, -1).map((c) => Buffer.concat([childPointer(c.page), varint(c.maxRowid)]));
      writePage(pages[page - 1]!, 0, 0x05, interiorCells, last.page);
      up.push({ page, maxRowid: last.maxRowid });
    }
    level = up;
  }
  return level[0]!.page;
}

function compareValues(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
}

function writeIndex(keys: readonly [Value, number][], pages: Buffer[], allocate: () => number): number {
  const sorted = [...keys].sort((x, y) => compareValues(x[0], y[0]) || x[1] - y[1]);
  const payloads = sorted.map(([value, rowid]) => encodeRecord([value, rowid]));
  const maxCell = Math.max(1, ...payloads.map((p) => indexPayloadCell(p).length));
  // Leaves: runs of keys; separators between them move up as interior cells (with a child pointer).
  let { runs, separators } = splitWithSeparators(payloads.length, capacity(maxCell, false));
  let children = runs.map(([from, to]) => {
    const page = allocate();
    writePage(pages[page - 1]!, 0, 0x0a, payloads.slice(from, to).map(indexPayloadCell), undefined);
    return page;
  });
  let keysUp = separators.map((i) => payloads[i]!);
  const interiorCap = capacity(maxCell + 4, true);
  while (children.length > 1) {
    ({ runs, separators } = splitWithSeparators(keysUp.length, interiorCap));
    const next: number[] = [];
    for (const [from, to] of runs) {
      const page = allocate();
      const cells = [];
      for (let k = from; k < to; k++) cells.push(Buffer.concat([childPointer(children[k]!), indexPayloadCell(keysUp[k]!)]));
      // Children of this page are children[from..to]; children[to] is the right-most pointer and
      // keysUp[to] (the run's separator) moves one level up.
      writePage(pages[page - 1]!, 0, 0x02, cells, children[to]!);
      next.push(page);
    }
    keysUp = separators.map((i) => keysUp[i]!);
    children = next;
  }
  return children[0]!;
}

// ---------------------------------------------------------------- reading (hostile input)

export class ManifestDbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestDbError';
  }
}

export type ManifestEntry = { fileID: string; domain: string; relativePath: string; flags: number; file: Buffer | undefined };

const MAX_TREE_DEPTH = 32;

/** Reads the Files table of a Manifest.db (any SQLite 3 file with that table), bounded and cycle-safe. */
export function readManifestDb(db: Buffer, options: { maxRows?: number } = {}): ManifestEntry[] {
  const maxRows = options.maxRows ?? 10_000_000;
  if (db.length < 100 || db.toString('latin1', 0, 16) !== 'SQLite format 3\0') throw new ManifestDbError('Not an SQLite 3 database');
  const rawSize = db.readUInt16BE(16);
  const pageSize = rawSize === 1 ? 65536 : rawSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw new ManifestDbError('Bad page size');
  const usable = pageSize - db[20]!;
  const pageCount = Math.floor(db.length / pageSize);
  const visited = new Set<number>();

  const page = (n: number): Buffer => {
    if (!Number.isInteger(n) || n < 1 || n > pageCount) throw new ManifestDbError(`Page ${n} out of range`);
    if (visited.has(n)) throw new ManifestDbError(`Page ${n} is referenced twice`);
    visited.add(n);
    return db.subarray((n - 1) * pageSize, n * pageSize);
  };

  const readVarint = (buf: Buffer, offset: number): [bigint, number] => {
    let value = 0n;
    for (let i = 0; i < 9; i++) {
      const byte = buf[offset + i];
      if (byte === undefined) throw new ManifestDbError('Truncated varint');
      if (i === 8) return [(value << 8n) | BigInt(byte), offset + 9];
      value = (value << 7n) | BigInt(byte & 0x7f);
      if ((byte & 0x80) === 0) return [value, offset + i + 1];
    }
    throw new ManifestDbError('Bad varint');
  };

  const payloadOf = (buf: Buffer, offset: number, size: number): Buffer => {
    if (size > 64 * 1024 * 1024) throw new ManifestDbError('Row too large');
    const maxLocal = usable - 35;
    const minLocal = Math.floor(((usable - 12) * 32) / 255) - 23;
    let local = size;
    if (size > maxLocal) {
      const k = minLocal + ((size - minLocal) % (usable - 4));
      local = k <= maxLocal ? k : minLocal;
    }
    if (offset + local > buf.length) throw new ManifestDbError('Cell runs past its page');
    const parts = [buf.subarray(offset, offset + local)];
    let remaining = size - local;
    let next = remaining > 0 ? buf.readUInt32BE(offset + local) : 0;
    while (remaining > 0) {
      const overflow = page(next);
      const take = Math.min(remaining, usable - 4);
      parts.push(overflow.subarray(4, 4 + take));
      remaining -= take;
      next = overflow.readUInt32BE(0);
    }
    return Buffer.concat(parts);
  };

  const decodeRecord = (record: Buffer): (string | number | bigint | Buffer | null)[] => {
    const [headerSize, afterSize] = readVarint(record, 0);
    if (headerSize > BigInt(record.length)) throw new ManifestDbError('Record header too long');
    const types: bigint[] = [];
    for (let o = afterSize; o < Number(headerSize); ) {
      const [type, next] = readVarint(record, o);
      types.push(type);
      o = next;
    }
    let body = Number(headerSize);
    return types.map((t) => {
      const type = Number(t);
      const intSizes = [0, 1, 2, 3, 4, 6, 8];
      if (type === 0) return null;
      if (type >= 1 && type <= 6) {
        const n = intSizes[type]!;
        if (body + n > record.length) throw new ManifestDbError('Record body truncated');
        const value = n === 8 ? record.readBigInt64BE(body) : BigInt(record.readIntBE(body, n));
        body += n;
        return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      }
      if (type === 7) {
        body += 8;
        return record.readDoubleBE(body - 8);
      }
      if (type === 8 || type === 9) return type - 8;
      if (type >= 12) {
        const n = Math.floor((type - 12) / 2);
        if (body + n > record.length) throw new ManifestDbError('Record body truncated');
        const bytes = record.subarray(body, body + n);
        body += n;
        return type % 2 === 0 ? Buffer.from(bytes) : bytes.toString('utf8');
      }
      throw new ManifestDbError(`Bad serial type ${type}`);
    });
  };

  const walkTable = (root: number, visit: (values: ReturnType<typeof decodeRecord>) => void): void => {
    const walk = (n: number, depth: number): void => {
      if (depth > MAX_TREE_DEPTH) throw new ManifestDbError('B-tree too deep');
      const buf = page(n);
      const header = n === 1 ? 100 : 0;
      const type = buf[header];
      const cells = buf.readUInt16BE(header + 3);
      const interior = type === 0x05;
      if (!interior && type !== 0x0d) throw new ManifestDbError(`Page ${n} is not a table page`);
      const pointers = header + (interior ? 12 : 8);
      if (pointers + 2 * cells > buf.length) throw new ManifestDbError('Cell pointers past the page');
      for (let i = 0; i < cells; i++) {
        const offset = buf.readUInt16BE(pointers + 2 * i);
        if (offset >= buf.length) throw new ManifestDbError('Cell offset past the page');
        if (interior) walk(buf.readUInt32BE(offset), depth + 1);
        else {
          const [size, afterSize] = readVarint(buf, offset);
          const [, afterRowid] = readVarint(buf, afterSize);
          visit(decodeRecord(payloadOf(buf, afterRowid, Number(size))));
        }
      }
      if (interior) walk(buf.readUInt32BE(header + 8), depth + 1);
    };
    walk(root, 0);
  };

  let filesRoot: number | undefined;
  walkTable(1, ([type, name, , rootpage]) => {
    if (type === 'table' && name === 'Files' && typeof rootpage === 'number') filesRoot = rootpage;
  });
  if (filesRoot === undefined) throw new ManifestDbError('No Files table');
  const entries: ManifestEntry[] = [];
  walkTable(filesRoot, ([fileID, domain, relativePath, flags, file]) => {
    if (typeof fileID !== 'string' || typeof domain !== 'string' || typeof relativePath !== 'string') return;
    if (entries.length >= maxRows) throw new ManifestDbError('Too many rows');
    entries.push({ fileID, domain, relativePath, flags: typeof flags === 'number' ? flags : 0, file: Buffer.isBuffer(file) ? file : undefined });
  });
  return entries;
}

/** What an MBFile archive says about one file: its plaintext size and, in encrypted backups, its class and wrapped key. */
export type MbFileFacts = { size: number | undefined; protectionClass: number | undefined; encryptionKey: Buffer | undefined };

/** Reads an MBFile archive blob (hostile: bounded, every field checked); undefined when it is not one. */
export function readMbFile(blob: Buffer | undefined): MbFileFacts | undefined {
  if (!blob) return undefined;
  try {
    const archive = decodePlist(blob, { maxBytes: 64 * 1024, maxObjects: 1000 });
    if (!isPlistDict(archive) || !Array.isArray(archive.$objects) || !isPlistDict(archive.$top)) return undefined;
    const objects = archive.$objects;
    const deref = (value: PlistValue | undefined): PlistValue | undefined => (value instanceof PlistUid ? objects[value.value] : value);
    const object = deref(archive.$top.root);
    if (!isPlistDict(object)) return undefined;
    const size = typeof object.Size === 'number' && Number.isSafeInteger(object.Size) && object.Size >= 0 ? object.Size : undefined;
    const protectionClass = typeof object.ProtectionClass === 'number' && Number.isSafeInteger(object.ProtectionClass) ? object.ProtectionClass : undefined;
    const keyObject = deref(object.EncryptionKey);
    const keyData = isPlistDict(keyObject) ? keyObject['NS.data'] : keyObject;
    const encryptionKey = keyData instanceof Uint8Array ? Buffer.from(keyData) : undefined;
    return { size, protectionClass, encryptionKey };
  } catch {
    return undefined;
  }
}

/** Size recorded in an MBFile archive blob, if readable. */
export function mbFileSize(blob: Buffer | undefined): number | undefined {
  return readMbFile(blob)?.size;
}
