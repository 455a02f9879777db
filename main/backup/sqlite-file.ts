/**
 * SQLite 3 files without a SQLite library (docs/protocols/mobilebackup2.md#reading-a-backups-contents): a writer for
 * small databases built in memory (tables and one-column indexes laid out as balanced b-trees bottom-up, no overflow
 * pages: a row that would need one is rejected), and a bounded, cycle-safe reader for hostile files (a backup's
 * Manifest.db, sms.db, AddressBook.sqlitedb…) that walks a table's rows or only counts them.
 */

export type SqliteValue = string | number | Buffer | null;

/** One table to write: its CREATE statement, its rows (rowid = position + 1) and its one-column indexes. */
export type SqliteTableSpec = {
  name: string;
  sql: string;
  rows: readonly (readonly SqliteValue[])[];
  /** `sql: null` for the automatic index of a PRIMARY KEY / UNIQUE column. */
  indexes?: readonly { name: string; sql: string | null; column: number }[];
};

const PAGE_SIZE = 4096;

export function buildSqliteFile(tables: readonly SqliteTableSpec[]): Buffer {
  const pages: Buffer[] = [Buffer.alloc(PAGE_SIZE)]; // page 1: header + sqlite_schema root
  const allocate = (): number => {
    pages.push(Buffer.alloc(PAGE_SIZE));
    return pages.length;
  };
  const schema: SqliteValue[][] = [];
  for (const table of tables) {
    const rows = table.rows.map((values, i) => ({ rowid: i + 1, values }));
    schema.push(['table', table.name, table.name, writeTable(rows, pages, allocate), table.sql]);
    for (const index of table.indexes ?? []) {
      const root = writeIndex(
        rows.map((r) => [r.values[index.column] ?? null, r.rowid]),
        pages,
        allocate,
      );
      schema.push(['index', index.name, table.name, root, index.sql]);
    }
  }
  writePage(
    pages[0]!,
    100,
    0x0d,
    schema.map((values, i) => tableLeafCell(i + 1, encodeRecord(values))),
    undefined,
  );
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

function encodeRecord(values: readonly SqliteValue[]): Buffer {
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
  if (payload.length > TABLE_LEAF_MAX_LOCAL) throw new RangeError('SQLite row too large for one page');
  return Buffer.concat([varint(payload.length), varint(rowid), payload]);
}

function indexPayloadCell(payload: Buffer): Buffer {
  if (payload.length > INDEX_MAX_LOCAL) throw new RangeError('SQLite index key too large for one page');
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

type Row = { rowid: number; values: readonly SqliteValue[] };

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

function compareValues(a: SqliteValue, b: SqliteValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
}

function writeIndex(keys: readonly [SqliteValue, number][], pages: Buffer[], allocate: () => number): number {
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

export class SqliteFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqliteFileError';
  }
}

export type SqliteCell = string | number | bigint | Buffer | null;

export type SqliteFile = {
  /** The names of the tables the schema lists. */
  tableNames(): string[];
  /** Calls `visit` with each row's values, in rowid order; throws once more than `maxRows` rows were seen. */
  rows(table: string, visit: (values: SqliteCell[]) => void, options?: { maxRows?: number }): void;
  /** How many rows a table holds, from its leaf pages' cell counts (no row is decoded). */
  countRows(table: string, options?: { maxRows?: number }): number;
};

const MAX_TREE_DEPTH = 32;
const MAX_ROW_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_ROWS = 10_000_000;

/** Opens an SQLite 3 file held in memory; every page, cell and record is checked before use. */
export function openSqliteFile(db: Buffer): SqliteFile {
  if (db.length < 100 || db.toString('latin1', 0, 16) !== 'SQLite format 3\0') throw new SqliteFileError('Not an SQLite 3 database');
  const rawSize = db.readUInt16BE(16);
  const pageSize = rawSize === 1 ? 65536 : rawSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw new SqliteFileError('Bad page size');
  const usable = pageSize - db[20]!;
  if (usable < 480) throw new SqliteFileError('Bad reserved space');
  const pageCount = Math.floor(db.length / pageSize);

  /** Pages seen in one walk: a page met twice means a cycle. */
  let visited = new Set<number>();
  const page = (n: number): Buffer => {
    if (!Number.isInteger(n) || n < 1 || n > pageCount) throw new SqliteFileError(`Page ${n} out of range`);
    if (visited.has(n)) throw new SqliteFileError(`Page ${n} is referenced twice`);
    visited.add(n);
    return db.subarray((n - 1) * pageSize, n * pageSize);
  };

  const readVarint = (buf: Buffer, offset: number): [bigint, number] => {
    let value = 0n;
    for (let i = 0; i < 9; i++) {
      const byte = buf[offset + i];
      if (byte === undefined) throw new SqliteFileError('Truncated varint');
      if (i === 8) return [(value << 8n) | BigInt(byte), offset + 9];
      value = (value << 7n) | BigInt(byte & 0x7f);
      if ((byte & 0x80) === 0) return [value, offset + i + 1];
    }
    throw new SqliteFileError('Bad varint');
  };

  const payloadOf = (buf: Buffer, offset: number, size: number): Buffer => {
    if (size > MAX_ROW_BYTES) throw new SqliteFileError('Row too large');
    const maxLocal = usable - 35;
    const minLocal = Math.floor(((usable - 12) * 32) / 255) - 23;
    let local = size;
    if (size > maxLocal) {
      const k = minLocal + ((size - minLocal) % (usable - 4));
      local = k <= maxLocal ? k : minLocal;
    }
    if (offset + local > buf.length) throw new SqliteFileError('Cell runs past its page');
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

  const decodeRecord = (record: Buffer): SqliteCell[] => {
    const [headerSize, afterSize] = readVarint(record, 0);
    if (headerSize > BigInt(record.length)) throw new SqliteFileError('Record header too long');
    const types: bigint[] = [];
    for (let o = afterSize; o < Number(headerSize);) {
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
        if (body + n > record.length) throw new SqliteFileError('Record body truncated');
        const value = n === 8 ? record.readBigInt64BE(body) : BigInt(record.readIntBE(body, n));
        body += n;
        return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      }
      if (type === 7) {
        if (body + 8 > record.length) throw new SqliteFileError('Record body truncated');
        body += 8;
        return record.readDoubleBE(body - 8);
      }
      if (type === 8 || type === 9) return type - 8;
      if (type >= 12) {
        const n = Math.floor((type - 12) / 2);
        if (body + n > record.length) throw new SqliteFileError('Record body truncated');
        const bytes = record.subarray(body, body + n);
        body += n;
        return type % 2 === 0 ? Buffer.from(bytes) : bytes.toString('utf8');
      }
      throw new SqliteFileError(`Bad serial type ${type}`);
    });
  };

  /** Walks a table b-tree; `leaf(buf, pointers, cells)` sees each leaf page. */
  const walkTable = (root: number, leaf: (buf: Buffer, pointers: number, cells: number) => void): void => {
    visited = new Set();
    const walk = (n: number, depth: number): void => {
      if (depth > MAX_TREE_DEPTH) throw new SqliteFileError('B-tree too deep');
      const buf = page(n);
      const header = n === 1 ? 100 : 0;
      const type = buf[header];
      const cells = buf.readUInt16BE(header + 3);
      const interior = type === 0x05;
      if (!interior && type !== 0x0d) throw new SqliteFileError(`Page ${n} is not a table page`);
      const pointers = header + (interior ? 12 : 8);
      if (pointers + 2 * cells > buf.length) throw new SqliteFileError('Cell pointers past the page');
      if (!interior) {
        leaf(buf, pointers, cells);
        return;
      }
      for (let i = 0; i < cells; i++) {
        const offset = buf.readUInt16BE(pointers + 2 * i);
        if (offset + 4 > buf.length) throw new SqliteFileError('Cell offset past the page');
        walk(buf.readUInt32BE(offset), depth + 1);
      }
      walk(buf.readUInt32BE(header + 8), depth + 1);
    };
    walk(root, 0);
  };

  const visitRows = (root: number, visit: (values: SqliteCell[]) => void): void =>
    walkTable(root, (buf, pointers, cells) => {
      for (let i = 0; i < cells; i++) {
        const offset = buf.readUInt16BE(pointers + 2 * i);
        if (offset >= buf.length) throw new SqliteFileError('Cell offset past the page');
        const [size, afterSize] = readVarint(buf, offset);
        const [, afterRowid] = readVarint(buf, afterSize);
        visit(decodeRecord(payloadOf(buf, afterRowid, Number(size))));
      }
    });

  const schema: { type: string; name: string; root: number }[] = [];
  visitRows(1, ([type, name, , rootpage]) => {
    if (typeof type === 'string' && typeof name === 'string' && typeof rootpage === 'number' && schema.length < 10_000)
      schema.push({ type, name, root: rootpage });
  });
  const rootOf = (table: string): number => {
    const found = schema.find((entry) => entry.type === 'table' && entry.name === table);
    if (!found) throw new SqliteFileError(`No ${table.slice(0, 64)} table`);
    return found.root;
  };

  return {
    tableNames: () => schema.filter((entry) => entry.type === 'table').map((entry) => entry.name),
    rows(table, visit, options = {}) {
      const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
      let seen = 0;
      visitRows(rootOf(table), (values) => {
        if (++seen > maxRows) throw new SqliteFileError('Too many rows');
        visit(values);
      });
    },
    countRows(table, options = {}) {
      const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
      let count = 0;
      walkTable(rootOf(table), (_buf, _pointers, cells) => {
        count += cells;
        if (count > maxRows) throw new SqliteFileError('Too many rows');
      });
      return count;
    },
  };
}
