import type { Duplex } from 'node:stream';
import { ByteReader } from '../../wire/byte-reader';
import { AfcFileMode, AfcLock, AfcOp, AfcStatus, encodeAfcPacket, readAfcPacket } from '../../afc/afc-packet';
import { AFC_SERVICE } from '../../lockdown/service-names';
import { writeWithBackpressure } from '../../devicelink/device-link';
import type { SimService, SimServicePhone } from '../sim-service';

const MAX_PACKET_BYTES = 8 * 1024 * 1024;
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
const MAX_PATH_BYTES = 1024;
const MAX_NODES = 10_000;
const MAX_OPEN_FILES = 64;
const MAX_READ_BYTES = 4 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 30 * 60 * 1000;

type AfcNode = { type: 'dir'; mtime: number; birth: number } | { type: 'file'; data: Buffer; size: number; mtime: number; birth: number };

class AfcError extends Error {
  constructor(readonly status: number) {
    super(`AFC status ${status}`);
  }
}

/**
 * The media partition AFC sees (/var/mobile/Media): small, in memory, bounded. Shared by every AFC
 * connection of one phone, including the advisory locks (the sync lock, docs/protocols/afc.md#sync-lock).
 */
export class AfcFilesystem {
  private readonly nodes = new Map<string, AfcNode>();
  private readonly locks = new Map<string, { owner: object; exclusive: boolean; count: number }>();
  private totalBytes = 0;

  constructor(private readonly isDiskFull: () => boolean = () => false) {
    const now = Date.now();
    for (const dir of ['/', '/Books', '/DCIM', '/Downloads', '/PublicStaging', '/iTunes_Control', '/iTunes_Control/iTunes']) {
      this.nodes.set(dir, { type: 'dir', mtime: now, birth: now });
    }
  }

  /** Confines any host path to the AFC root: `..` never climbs above `/`. */
  static normalise(path: string): string {
    if (path.length > MAX_PATH_BYTES || path.includes('\0')) throw new AfcError(AfcStatus.InvalidArg);
    const parts: string[] = [];
    for (const part of path.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') parts.pop();
      else parts.push(part);
    }
    return `/${parts.join('/')}`;
  }

  stat(path: string): AfcNode | undefined {
    return this.nodes.get(AfcFilesystem.normalise(path));
  }

  mkdir(path: string): void {
    const full = AfcFilesystem.normalise(path);
    const parts = full.split('/').filter(Boolean);
    let current = '';
    for (const part of parts) {
      current += `/${part}`;
      const node = this.nodes.get(current);
      if (node?.type === 'file') throw new AfcError(AfcStatus.ObjectExists);
      if (!node) this.add(current, { type: 'dir', mtime: Date.now(), birth: Date.now() });
    }
  }

  list(path: string): string[] {
    const full = AfcFilesystem.normalise(path);
    const node = this.nodes.get(full);
    if (!node) throw new AfcError(AfcStatus.ObjectNotFound);
    if (node.type !== 'dir') throw new AfcError(AfcStatus.InvalidArg);
    const prefix = full === '/' ? '/' : `${full}/`;
    const names = [...this.nodes.keys()].filter((p) => p !== full && p.startsWith(prefix) && !p.slice(prefix.length).includes('/'));
    return ['.', '..', ...names.map((p) => p.slice(prefix.length)).sort()];
  }

  /** Opens (creating/truncating per AFC mode) and returns the normalised path. */
  open(path: string, mode: number): string {
    const full = AfcFilesystem.normalise(path);
    if (mode < AfcFileMode.ReadOnly || mode > AfcFileMode.ReadAppend) throw new AfcError(AfcStatus.InvalidArg);
    const node = this.nodes.get(full);
    if (node?.type === 'dir') throw new AfcError(AfcStatus.ObjectIsDir);
    if (!node) {
      if (mode === AfcFileMode.ReadOnly) throw new AfcError(AfcStatus.ObjectNotFound);
      this.requireParentDir(full);
      this.add(full, { type: 'file', data: Buffer.alloc(0), size: 0, mtime: Date.now(), birth: Date.now() });
    } else if (mode === AfcFileMode.WriteTruncate || mode === AfcFileMode.ReadWriteTruncate) {
      this.resize(full, 0);
    }
    return full;
  }

  read(path: string, offset: number, length: number): Buffer {
    const node = this.fileNode(path);
    if (offset >= node.size) return Buffer.alloc(0);
    return Buffer.from(node.data.subarray(offset, Math.min(node.size, offset + length)));
  }

  write(path: string, offset: number, bytes: Buffer): void {
    if (this.isDiskFull()) throw new AfcError(AfcStatus.NoSpaceLeft);
    const node = this.fileNode(path);
    const end = offset + bytes.length;
    if (end > node.size) this.resize(path, end);
    bytes.copy(node.data, offset);
    node.mtime = Date.now();
  }

  resize(path: string, size: number): void {
    const node = this.fileNode(path);
    if (size > MAX_FILE_BYTES || this.totalBytes - node.size + size > MAX_TOTAL_BYTES) throw new AfcError(AfcStatus.NoSpaceLeft);
    if (size > node.data.length) {
      const grown = Buffer.alloc(Math.min(MAX_FILE_BYTES, Math.max(size, node.data.length * 2, 4096)));
      node.data.copy(grown, 0, 0, node.size);
      node.data = grown;
    } else if (size < node.size) {
      node.data.fill(0, size, node.size);
    }
    this.totalBytes += size - node.size;
    node.size = size;
  }

  size(path: string): number {
    return this.fileNode(path).size;
  }

  remove(path: string, recursive: boolean): void {
    const full = AfcFilesystem.normalise(path);
    if (full === '/') throw new AfcError(AfcStatus.PermDenied);
    const node = this.nodes.get(full);
    if (!node) throw new AfcError(AfcStatus.ObjectNotFound);
    const children = [...this.nodes.keys()].filter((p) => p.startsWith(`${full}/`));
    if (children.length > 0 && !recursive) throw new AfcError(AfcStatus.DirNotEmpty);
    for (const p of [...children, full]) this.delete(p);
  }

  rename(from: string, to: string): void {
    const src = AfcFilesystem.normalise(from);
    const dst = AfcFilesystem.normalise(to);
    if (!this.nodes.has(src)) throw new AfcError(AfcStatus.ObjectNotFound);
    if (src === '/' || dst === '/' || dst.startsWith(`${src}/`)) throw new AfcError(AfcStatus.InvalidArg);
    this.requireParentDir(dst);
    if (this.nodes.get(dst)?.type === 'dir' && [...this.nodes.keys()].some((p) => p.startsWith(`${dst}/`))) {
      throw new AfcError(AfcStatus.DirNotEmpty);
    }
    if (this.nodes.has(dst)) this.delete(dst);
    for (const p of [...this.nodes.keys()]) {
      if (p === src || p.startsWith(`${src}/`)) {
        const node = this.nodes.get(p)!;
        this.nodes.delete(p);
        this.nodes.set(dst + p.slice(src.length), node);
      }
    }
  }

  /** docs/protocols/afc.md#operations: SH=5, EX=6 (non-blocking), UN=12; busy → OpWouldBlock. */
  lock(path: string, owner: object, op: number): void {
    const full = AfcFilesystem.normalise(path);
    const base = op & ~AfcLock.NonBlocking;
    const held = this.locks.get(full);
    if (base === AfcLock.Unlock) {
      if (held?.owner === owner) this.locks.delete(full);
      return;
    }
    if (base !== AfcLock.Shared && base !== AfcLock.Exclusive) throw new AfcError(AfcStatus.InvalidArg);
    const exclusive = base === AfcLock.Exclusive;
    if (held && held.owner !== owner && (exclusive || held.exclusive)) throw new AfcError(AfcStatus.OpWouldBlock);
    this.locks.set(full, { owner, exclusive, count: 1 });
  }

  releaseLocks(owner: object): void {
    for (const [path, lock] of this.locks) if (lock.owner === owner) this.locks.delete(path);
  }

  /** Test/inspection helper: the contents of a file, if present. */
  readFile(path: string): Buffer | undefined {
    const node = this.stat(path);
    return node?.type === 'file' ? Buffer.from(node.data.subarray(0, node.size)) : undefined;
  }

  get usedBytes(): number {
    return this.totalBytes;
  }

  private fileNode(path: string): Extract<AfcNode, { type: 'file' }> {
    const node = this.nodes.get(AfcFilesystem.normalise(path));
    if (!node) throw new AfcError(AfcStatus.ObjectNotFound);
    if (node.type !== 'file') throw new AfcError(AfcStatus.ObjectIsDir);
    return node;
  }

  private requireParentDir(full: string): void {
    const parent = full.slice(0, full.lastIndexOf('/')) || '/';
    const node = this.nodes.get(parent);
    if (!node) throw new AfcError(AfcStatus.ObjectNotFound);
    if (node.type !== 'dir') throw new AfcError(AfcStatus.InvalidArg);
  }

  private add(path: string, node: AfcNode): void {
    if (this.nodes.size >= MAX_NODES) throw new AfcError(AfcStatus.NoSpaceLeft);
    this.nodes.set(path, node);
  }

  private delete(path: string): void {
    const node = this.nodes.get(path);
    if (node?.type === 'file') this.totalBytes -= node.size;
    this.nodes.delete(path);
    this.locks.delete(path);
  }
}

export function createAfcService(phone: SimServicePhone, filesystem: AfcFilesystem): SimService {
  return {
    name: AFC_SERVICE,
    ssl: false,
    serve(stream: Duplex): void {
      stream.on('error', () => undefined);
      new AfcConnection(phone, filesystem, stream).run().catch(() => undefined);
    },
  };
}

type OpenFile = { path: string; position: number; readable: boolean; writable: boolean; append: boolean };

class AfcConnection {
  private readonly reader: ByteReader;
  private readonly handles = new Map<bigint, OpenFile>();
  private nextHandle = 1n;

  constructor(
    private readonly phone: SimServicePhone,
    private readonly fs: AfcFilesystem,
    private readonly stream: Duplex,
  ) {
    this.reader = new ByteReader(stream);
  }

  async run(): Promise<void> {
    try {
      for (;;) {
        const request = await readAfcPacket(this.reader, { maxBytes: MAX_PACKET_BYTES, timeoutMs: IDLE_TIMEOUT_MS });
        await this.reply(request.packet, this.handle(request.op, request.data));
      }
    } catch {
      // Malformed packet or closed connection: drop it.
    } finally {
      this.fs.releaseLocks(this);
      this.stream.end();
      setTimeout(() => this.stream.destroy(), 1000).unref();
    }
  }

  private handle(op: number, data: Buffer): Reply {
    try {
      return this.dispatch(op, data);
    } catch (error) {
      if (error instanceof AfcError) return status(error.status);
      if (error instanceof RangeError) return status(AfcStatus.InvalidArg);
      throw error;
    }
  }

  private dispatch(op: number, data: Buffer): Reply {
    switch (op) {
      case AfcOp.GetDeviceInfo: {
        const total = 64 * 1024 ** 3;
        const free = this.phone.faults.diskFull ? 0 : 32 * 1024 ** 3;
        return {
          op: AfcOp.Data,
          data: keyValues({ Model: this.phone.scenario.model.productType, FSTotalBytes: total, FSFreeBytes: free, FSBlockSize: 4096 }),
        };
      }
      case AfcOp.GetFileInfo: {
        const node = this.fs.stat(cString(data));
        if (!node) return status(AfcStatus.ObjectNotFound);
        const size = node.type === 'file' ? node.size : 68;
        return {
          op: AfcOp.Data,
          data: keyValues({
            st_size: size,
            st_blocks: Math.ceil(size / 512),
            st_nlink: node.type === 'dir' ? 2 : 1,
            st_ifmt: node.type === 'dir' ? 'S_IFDIR' : 'S_IFREG',
            st_mtime: `${BigInt(node.mtime) * 1_000_000n}`,
            st_birthtime: `${BigInt(node.birth) * 1_000_000n}`,
          }),
        };
      }
      case AfcOp.ReadDir:
        return {
          op: AfcOp.Data,
          data: Buffer.from(
            this.fs
              .list(cString(data))
              .map((n) => `${n}\0`)
              .join(''),
            'utf8',
          ),
        };
      case AfcOp.MakeDir:
        this.fs.mkdir(cString(data));
        return status(AfcStatus.Success);
      case AfcOp.RemovePath:
        this.fs.remove(cString(data), false);
        return status(AfcStatus.Success);
      case AfcOp.RemovePathAndContents:
        this.fs.remove(cString(data), true);
        return status(AfcStatus.Success);
      case AfcOp.RenamePath: {
        const [from = '', to = ''] = data.toString('utf8').split('\0');
        this.fs.rename(from, to);
        return status(AfcStatus.Success);
      }
      case AfcOp.FileOpen: {
        if (data.length < 9) return status(AfcStatus.InvalidArg);
        if (this.handles.size >= MAX_OPEN_FILES) return status(AfcStatus.UnknownError);
        const mode = Number(data.readBigUInt64LE(0));
        const path = this.fs.open(cString(data.subarray(8)), mode);
        const handle = this.nextHandle++;
        this.handles.set(handle, {
          path,
          position: 0,
          readable: mode !== AfcFileMode.WriteTruncate && mode !== AfcFileMode.Append,
          writable: mode !== AfcFileMode.ReadOnly,
          append: mode === AfcFileMode.Append || mode === AfcFileMode.ReadAppend,
        });
        return { op: AfcOp.FileOpenResult, data: u64(handle) };
      }
      case AfcOp.FileRead: {
        const file = this.file(data);
        const length = Number(data.readBigUInt64LE(8));
        if (!file.readable) return status(AfcStatus.PermDenied);
        const bytes = this.fs.read(file.path, file.position, Math.min(length, MAX_READ_BYTES));
        file.position += bytes.length;
        return { op: AfcOp.Data, data: bytes };
      }
      case AfcOp.FileWrite: {
        const file = this.file(data);
        if (!file.writable) return status(AfcStatus.PermDenied);
        if (file.append) file.position = this.fs.size(file.path);
        // Handle in the header data, bytes as payload; data = both, concatenated.
        const bytes = data.subarray(8);
        this.fs.write(file.path, file.position, bytes);
        file.position += bytes.length;
        return status(AfcStatus.Success);
      }
      case AfcOp.FileSeek: {
        const file = this.file(data);
        const whence = Number(data.readBigUInt64LE(8));
        const offset = Number(data.readBigInt64LE(16));
        const base = whence === 0 ? 0 : whence === 1 ? file.position : this.fs.size(file.path);
        if (base + offset < 0 || base + offset > MAX_FILE_BYTES) return status(AfcStatus.InvalidArg);
        file.position = base + offset;
        return status(AfcStatus.Success);
      }
      case AfcOp.FileTell:
        return { op: AfcOp.FileTellResult, data: u64(BigInt(this.file(data).position)) };
      case AfcOp.FileSetSize: {
        const file = this.file(data);
        this.fs.resize(file.path, Number(data.readBigUInt64LE(8)));
        return status(AfcStatus.Success);
      }
      case AfcOp.FileLock: {
        const file = this.file(data);
        this.fs.lock(file.path, this, Number(data.readBigUInt64LE(8)));
        return status(AfcStatus.Success);
      }
      case AfcOp.FileClose: {
        const handle = data.readBigUInt64LE(0);
        const file = this.handles.get(handle);
        if (!file) return status(AfcStatus.InvalidArg);
        this.handles.delete(handle);
        if (![...this.handles.values()].some((f) => f.path === file.path)) this.fs.lock(file.path, this, AfcLock.Unlock);
        return status(AfcStatus.Success);
      }
      default:
        return status(AfcStatus.OpNotSupported);
    }
  }

  private file(data: Buffer): OpenFile {
    const file = this.handles.get(data.readBigUInt64LE(0));
    if (!file) throw new AfcError(AfcStatus.InvalidArg);
    return file;
  }

  /** Status and handle replies carry their value as header data; data replies as payload. */
  private reply(packetNum: bigint, reply: Reply): Promise<void> {
    const inHeader = reply.op !== AfcOp.Data;
    const packet = encodeAfcPacket({
      op: reply.op,
      packet: packetNum,
      ...(inHeader ? { headerData: reply.data } : { payload: reply.data }),
    });
    return writeWithBackpressure(this.stream, packet);
  }
}

type Reply = { op: number; data: Buffer };

function status(code: number): Reply {
  return { op: AfcOp.Status, data: u64(BigInt(code)) };
}

function u64(value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(value);
  return out;
}

function cString(data: Buffer): string {
  const end = data.indexOf(0);
  return data.subarray(0, end < 0 ? data.length : end).toString('utf8');
}

function keyValues(values: Record<string, string | number>): Buffer {
  return Buffer.from(
    Object.entries(values)
      .map(([k, v]) => `${k}\0${v}\0`)
      .join(''),
    'utf8',
  );
}
