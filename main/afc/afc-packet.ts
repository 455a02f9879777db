import type { ByteReader, ReadOptions } from '../wire/byte-reader';

/**
 * AFC packet framing (docs/protocols/afc.md#packet), shared by the host (sync lock) and the virtual phone: a 40-byte header
 * ("CFA6LPAA", then little-endian u64 entire length, this length, packet number, operation), header data up to
 * `this length`, payload up to `entire length`.
 */

export const AFC_MAGIC = Buffer.from('CFA6LPAA', 'latin1');
export const AFC_HEADER_BYTES = 40;

/** docs/protocols/afc.md#operations: the operation codes either side sends. */
export const AfcOp = {
  Status: 0x01,
  Data: 0x02,
  ReadDir: 0x03,
  RemovePath: 0x08,
  MakeDir: 0x09,
  GetFileInfo: 0x0a,
  GetDeviceInfo: 0x0b,
  FileOpen: 0x0d,
  FileOpenResult: 0x0e,
  FileRead: 0x0f,
  FileWrite: 0x10,
  FileSeek: 0x11,
  FileTell: 0x12,
  FileTellResult: 0x13,
  FileClose: 0x14,
  FileSetSize: 0x15,
  RenamePath: 0x18,
  FileLock: 0x1b,
  RemovePathAndContents: 0x22,
} as const;

/** docs/protocols/afc.md#status-codes */
export const AfcStatus = {
  Success: 0,
  UnknownError: 1,
  OpHeaderInvalid: 2,
  InvalidArg: 7,
  ObjectNotFound: 8,
  ObjectIsDir: 9,
  PermDenied: 10,
  OpNotSupported: 15,
  ObjectExists: 16,
  NoSpaceLeft: 18,
  OpWouldBlock: 19,
  DirNotEmpty: 33,
} as const;

/** docs/protocols/afc.md#operations: FileOpen modes (fopen's r, r+, w, w+, a, a+). */
export const AfcFileMode = {
  ReadOnly: 1,
  ReadWrite: 2,
  WriteTruncate: 3,
  ReadWriteTruncate: 4,
  Append: 5,
  ReadAppend: 6,
} as const;

/** docs/protocols/afc.md#operations: FileLock operations are flock(2) bits; hosts send them with NonBlocking set. */
export const AfcLock = {
  Shared: 1,
  Exclusive: 2,
  NonBlocking: 4,
  Unlock: 8,
} as const;

/** An AFC failure: the phone's status code, or -1 for a packet that is not AFC or breaks its bounds. */
export class AfcError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AfcError';
  }
}

export type AfcPacket = {
  op: number;
  packet: bigint;
  /** Header data followed by payload (status and handle replies carry their value as header data). */
  data: Buffer;
};

export function encodeAfcPacket(fields: { op: number; packet: bigint; headerData?: Buffer; payload?: Buffer }): Buffer {
  const headerData = fields.headerData ?? Buffer.alloc(0);
  const payload = fields.payload ?? Buffer.alloc(0);
  const header = Buffer.alloc(AFC_HEADER_BYTES);
  AFC_MAGIC.copy(header, 0);
  header.writeBigUInt64LE(BigInt(AFC_HEADER_BYTES + headerData.length + payload.length), 8);
  header.writeBigUInt64LE(BigInt(AFC_HEADER_BYTES + headerData.length), 16);
  header.writeBigUInt64LE(fields.packet, 24);
  header.writeBigUInt64LE(BigInt(fields.op), 32);
  return Buffer.concat([header, headerData, payload]);
}

/** One packet; lengths are checked against `maxBytes` (header included) before anything past the header is read. */
export async function readAfcPacket(reader: ByteReader, options: ReadOptions & { maxBytes: number }): Promise<AfcPacket> {
  const header = await reader.read(AFC_HEADER_BYTES, options);
  if (!header.subarray(0, 8).equals(AFC_MAGIC)) throw new AfcError(-1, 'AFC packet without magic');
  const entire = header.readBigUInt64LE(8);
  const thisLength = header.readBigUInt64LE(16);
  if (thisLength < BigInt(AFC_HEADER_BYTES) || entire < thisLength || entire > BigInt(options.maxBytes)) {
    throw new AfcError(-1, `AFC packet with bad lengths (${entire}, ${thisLength}; limit ${options.maxBytes})`);
  }
  const op = header.readBigUInt64LE(32);
  if (op > 0xffffffffn) throw new AfcError(-1, `AFC operation ${op} out of range`);
  const data = await reader.read(Number(entire) - AFC_HEADER_BYTES, options);
  return { op: Number(op), packet: header.readBigUInt64LE(24), data };
}
