import type { Writable } from 'node:stream';
import type { ByteReader, ReadOptions } from '../wire/byte-reader';
import { StreamClosedError } from '../wire/byte-reader';
import { WireStalledError, writeWhenReady } from '../wire/write-when-ready';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';

/**
 * DeviceLink: the message vocabulary and raw file-transfer framing that mobilebackup2 (and
 * screenshotr, mobilesync) speak on top of length-prefixed plists. Side-neutral: the device
 * simulator and the host client both build on this file.
 */

/** docs/protocols/mobilebackup2.md#devicelink: a device announcing 300 works with every host; iOS 14b4+ sends 400. */
export const DEVICE_LINK_VERSION_MAJOR = 300;
export const DEVICE_LINK_VERSION_MINOR = 0;

/** docs/protocols/mobilebackup2.md#devicelink: absent string parameters travel as this literal. */
export const EMPTY_PARAMETER_STRING = '___EmptyParameterString___';

export const DLMessage = {
  VersionExchange: 'DLMessageVersionExchange',
  VersionsOk: 'DLVersionsOk',
  DeviceReady: 'DLMessageDeviceReady',
  ProcessMessage: 'DLMessageProcessMessage',
  Ping: 'DLMessagePing',
  Disconnect: 'DLMessageDisconnect',
  StatusResponse: 'DLMessageStatusResponse',
  DownloadFiles: 'DLMessageDownloadFiles',
  UploadFiles: 'DLMessageUploadFiles',
  GetFreeDiskSpace: 'DLMessageGetFreeDiskSpace',
  PurgeDiskSpace: 'DLMessagePurgeDiskSpace',
  ContentsOfDirectory: 'DLContentsOfDirectory',
  CreateDirectory: 'DLMessageCreateDirectory',
  MoveFiles: 'DLMessageMoveFiles',
  MoveItems: 'DLMessageMoveItems',
  RemoveFiles: 'DLMessageRemoveFiles',
  RemoveItems: 'DLMessageRemoveItems',
  CopyItem: 'DLMessageCopyItem',
} as const;

/** docs/protocols/mobilebackup2.md#device-messages: the DLFileType of each entry in a DLContentsOfDirectory answer. */
export const DLFileType = {
  Directory: 'DLFileTypeDirectory',
  Regular: 'DLFileTypeRegular',
  Unknown: 'DLFileTypeUnknown',
} as const;

/** docs/protocols/mobilebackup2.md#device-messages, docs/protocols/mobilebackup2.md#file-transfer-framing: status codes used in DLMessageStatusResponse and DLFileErrorCode. */
export const DeviceLinkStatus = {
  Success: 0,
  Failure: -1,
  NoSuchFile: -6,
  FileExists: -7,
  NotADirectory: -8,
  IsADirectory: -9,
  TooManySymlinks: -10,
  IoError: -11,
  MultiStatus: -13,
  NoSpace: -15,
} as const;

const ERRNO_TO_STATUS: Readonly<Record<string, number>> = {
  ENOENT: DeviceLinkStatus.NoSuchFile,
  EEXIST: DeviceLinkStatus.FileExists,
  ENOTDIR: DeviceLinkStatus.NotADirectory,
  EISDIR: DeviceLinkStatus.IsADirectory,
  ELOOP: DeviceLinkStatus.TooManySymlinks,
  EIO: DeviceLinkStatus.IoError,
  ENOSPC: DeviceLinkStatus.NoSpace,
};

/** docs/protocols/mobilebackup2.md#file-transfer-framing: errno → DeviceLink error code (libimobiledevice ≥ Nov 2020 mapping). */
export function deviceLinkStatusForErrno(code: string | undefined): number {
  return (code === undefined ? undefined : ERRNO_TO_STATUS[code]) ?? DeviceLinkStatus.Failure;
}

/** docs/protocols/mobilebackup2.md#file-transfer-framing: the code byte after each block length. */
export const FileBlockCode = {
  Success: 0x00,
  LocalError: 0x06,
  RemoteError: 0x0b,
  FileData: 0x0c,
} as const;

export class DeviceLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceLinkError';
  }
}

export type DeviceLinkMessage = { readonly name: string; readonly args: readonly PlistValue[] };

/** docs/protocols/mobilebackup2.md#devicelink: an array whose first element is a DL… name of at least 9 characters. */
export function parseDeviceLinkMessage(value: PlistValue): DeviceLinkMessage {
  if (!Array.isArray(value) || value.length === 0) throw new DeviceLinkError('DeviceLink message is not a non-empty array');
  const [name, ...args] = value;
  if (typeof name !== 'string' || name.length < 9 || !name.startsWith('DL')) {
    throw new DeviceLinkError('DeviceLink message does not start with a DL… name');
  }
  return { name, args };
}

export function versionExchangeMessage(major = DEVICE_LINK_VERSION_MAJOR, minor = DEVICE_LINK_VERSION_MINOR): PlistValue[] {
  return [DLMessage.VersionExchange, major, minor];
}

export function versionsOkMessage(major: number): PlistValue[] {
  return [DLMessage.VersionExchange, DLMessage.VersionsOk, major];
}

export function deviceReadyMessage(): PlistValue[] {
  return [DLMessage.DeviceReady];
}

export function processMessage(dict: PlistDict): PlistValue[] {
  return [DLMessage.ProcessMessage, dict];
}

export function disconnectMessage(reason: string = EMPTY_PARAMETER_STRING): PlistValue[] {
  return [DLMessage.Disconnect, reason];
}

export function statusResponseMessage(code: number, description: string | undefined, extra: PlistValue): PlistValue[] {
  return [DLMessage.StatusResponse, code, description ?? EMPTY_PARAMETER_STRING, extra];
}

export type DeviceLinkStatusResponse = { code: number; description: string | undefined; extra: PlistValue | undefined };

export function parseStatusResponse(message: DeviceLinkMessage): DeviceLinkStatusResponse {
  if (message.name !== DLMessage.StatusResponse) throw new DeviceLinkError(`Expected a status response, got ${message.name}`);
  const [code, description, extra] = message.args;
  if (typeof code !== 'number' && typeof code !== 'bigint') throw new DeviceLinkError('Status response without a numeric code');
  const text = typeof description === 'string' && description !== EMPTY_PARAMETER_STRING ? description : undefined;
  return { code: Number(code), description: text, extra };
}

/** Host answer to DLMessageVersionExchange: the host's major, if it accepted ours. */
export function parseVersionsOk(message: DeviceLinkMessage): number {
  const [verdict, major] = message.args;
  if (message.name !== DLMessage.VersionExchange || verdict !== DLMessage.VersionsOk) {
    throw new DeviceLinkError('DeviceLink version exchange refused');
  }
  return typeof major === 'number' ? major : 0;
}

export function processMessageDict(message: DeviceLinkMessage): PlistDict {
  const [dict] = message.args;
  if (message.name !== DLMessage.ProcessMessage || !isPlistDict(dict)) {
    throw new DeviceLinkError(`Expected DLMessageProcessMessage with a dictionary, got ${message.name}`);
  }
  return dict;
}

// ---------------------------------------------------------------------------------------------
// docs/protocols/mobilebackup2.md#file-transfer-framing: raw file transfer, outside plists, on the same socket.

export const DEFAULT_MAX_NAME_BYTES = 4096;
/** Our writers send 64 KiB blocks; peers send ≤ 32 KiB. A reader buffers at most one block. */
export const DEFAULT_FILE_BLOCK_BYTES = 64 * 1024;
export const DEFAULT_MAX_FILE_BLOCK_BYTES = 4 * 1024 * 1024;

export type FileBlock =
  | { kind: 'data'; bytes: Buffer }
  | { kind: 'success' }
  | { kind: 'error'; code: number; message: string }
  /** A zero length where a block header was expected: the sender ended the batch early. */
  | { kind: 'end-of-batch' };

export type FileBlockReadOptions = ReadOptions & { maxBlockBytes?: number };

/** One `[u32 BE length][code][length-1 bytes]` block, rejecting lengths above the bound before reading them. */
export async function readFileBlock(reader: ByteReader, options: FileBlockReadOptions = {}): Promise<FileBlock> {
  const maxBlockBytes = options.maxBlockBytes ?? DEFAULT_MAX_FILE_BLOCK_BYTES;
  const length = (reader.tryRead(4) ?? (await reader.read(4, options))).readUInt32BE(0);
  if (length === 0) return { kind: 'end-of-batch' };
  if (length - 1 > maxBlockBytes) throw new DeviceLinkError(`File block of ${length - 1} bytes exceeds the ${maxBlockBytes}-byte limit`);
  const code = (reader.tryRead(1) ?? (await reader.read(1, options))).readUInt8(0);
  const payload = reader.tryRead(length - 1) ?? (await reader.read(length - 1, options));
  return fileBlockOf(code, payload);
}

function fileBlockOf(code: number, payload: Buffer): FileBlock {
  switch (code) {
    case FileBlockCode.FileData:
      return { kind: 'data', bytes: payload };
    case FileBlockCode.Success:
      if (payload.length !== 0) throw new DeviceLinkError('Success block with a payload');
      return { kind: 'success' };
    case FileBlockCode.LocalError:
    case FileBlockCode.RemoteError:
      return { kind: 'error', code, message: payload.toString('utf8') };
    default:
      throw new DeviceLinkError(`Unknown file block code 0x${code.toString(16)}`);
  }
}

/** `u32 n + n bytes`; null for the u32 0 that ends a batch. */
export async function readFileName(reader: ByteReader, options: ReadOptions & { maxNameBytes?: number } = {}): Promise<string | null> {
  const maxNameBytes = options.maxNameBytes ?? DEFAULT_MAX_NAME_BYTES;
  const length = (reader.tryRead(4) ?? (await reader.read(4, options))).readUInt32BE(0);
  if (length === 0) return null;
  if (length > maxNameBytes) throw new DeviceLinkError(`File name of ${length} bytes exceeds the ${maxNameBytes}-byte limit`);
  const bytes = reader.tryRead(length) ?? (await reader.read(length, options));
  if (bytes.includes(0)) throw new DeviceLinkError('File name contains a NUL byte');
  return bytes.toString('utf8');
}

export type FileBatchFile = {
  /** Upload (device → host): the informational device-side name; download: undefined. */
  readonly sourceName: string | undefined;
  /** Upload: destination relative to the backup root; download: the echoed requested path. */
  readonly path: string;
};

export type FileBatchOutcome = { ok: true } | { ok: false; code: number; message: string };

/**
 * What a receiver does with each file of a batch. Returning a promise applies backpressure; return
 * nothing when there is none to apply (the reader then walks buffered bytes without a promise per block).
 * `data` may be called several times per block: a block's bytes arrive as the pieces the socket delivered.
 */
export type FileBatchSink = {
  beginFile(file: FileBatchFile): Promise<void> | void;
  data(bytes: Buffer): Promise<void> | void;
  endFile(outcome: FileBatchOutcome): Promise<void> | void;
};

export type FileBatchReadOptions = FileBlockReadOptions & {
  /** 2 for device → host uploads (source name + destination), 1 for host → device downloads. */
  namesPerFile: 1 | 2;
  maxNameBytes?: number;
  /** Upper bound on files in one batch. */
  maxFiles?: number;
};

const NO_BYTES = Buffer.alloc(0);

/** Reads files until the batch-ending zero name length; returns how many files arrived. */
export async function readFileBatch(reader: ByteReader, sink: FileBatchSink, options: FileBatchReadOptions): Promise<number> {
  const maxFiles = options.maxFiles ?? 1_000_000;
  const maxBlockBytes = options.maxBlockBytes ?? DEFAULT_MAX_FILE_BLOCK_BYTES;
  let count = 0;
  for (;;) {
    const first = await readFileName(reader, options);
    if (first === null) return count;
    let file: FileBatchFile;
    if (options.namesPerFile === 2) {
      const destination = await readFileName(reader, options);
      if (destination === null) throw new DeviceLinkError('Zero-length destination name');
      file = { sourceName: first, path: destination };
    } else {
      file = { sourceName: undefined, path: first };
    }
    if (++count > maxFiles) throw new DeviceLinkError(`More than ${maxFiles} files in one batch`);
    const begun = sink.beginFile(file);
    if (begun) await begun;
    let sawData = false;
    for (;;) {
      // readFileBlock inlined, with the payload of data blocks taken as pieces (no copy).
      const length = (reader.tryRead(4) ?? (await reader.read(4, options))).readUInt32BE(0);
      if (length === 0) {
        const ended = sink.endFile({ ok: true });
        if (ended) await ended;
        return count;
      }
      if (length - 1 > maxBlockBytes)
        throw new DeviceLinkError(`File block of ${length - 1} bytes exceeds the ${maxBlockBytes}-byte limit`);
      const code = (reader.tryRead(1) ?? (await reader.read(1, options))).readUInt8(0);
      if (code === FileBlockCode.FileData) {
        sawData = true;
        const pieces = reader.tryReadPieces(length - 1) ?? (await reader.readPieces(length - 1, options));
        if (pieces.length === 0) pieces.push(NO_BYTES);
        for (const piece of pieces) {
          const taken = sink.data(piece);
          if (taken) await taken;
        }
        continue;
      }
      const block = fileBlockOf(code, reader.tryRead(length - 1) ?? (await reader.read(length - 1, options)));
      // docs/protocols/mobilebackup2.md#file-transfer-framing: a 0x0B right after data blocks is an end marker, not an error.
      const failed = block.kind === 'error' && !(block.code === FileBlockCode.RemoteError && sawData);
      const ended = sink.endFile(failed && block.kind === 'error' ? { ok: false, code: block.code, message: block.message } : { ok: true });
      if (ended) await ended;
      break;
    }
  }
}

/**
 * Writes one batch of files with backpressure. Call beginFile / data / endFile… then endBatch.
 * Data is split into blocks of at most `blockBytes`.
 */
export class FileBatchWriter {
  private readonly blockBytes: number;

  private readonly stallTimeoutMs: number | undefined;

  constructor(
    private readonly stream: Writable,
    options: { blockBytes?: number; stallTimeoutMs?: number } = {},
  ) {
    this.blockBytes = options.blockBytes ?? DEFAULT_FILE_BLOCK_BYTES;
    this.stallTimeoutMs = options.stallTimeoutMs;
  }

  async beginFile(file: FileBatchFile): Promise<void> {
    if (file.sourceName !== undefined) await this.write(encodeFileName(file.sourceName));
    await this.write(encodeFileName(file.path));
  }

  async data(bytes: Buffer): Promise<void> {
    for (let offset = 0; offset < bytes.length; offset += this.blockBytes) {
      const piece = bytes.subarray(offset, Math.min(bytes.length, offset + this.blockBytes));
      // Header and payload leave in one write (corked), and only the payload waits for the reader.
      this.stream.cork();
      const header = this.write(encodeBlockHeader(FileBlockCode.FileData, piece.length));
      const payload = this.write(piece);
      this.stream.uncork();
      await Promise.all([header, payload]);
    }
  }

  async endFile(outcome: FileBatchOutcome = { ok: true }): Promise<void> {
    if (outcome.ok) await this.write(encodeBlockHeader(FileBlockCode.Success, 0));
    else {
      const text = Buffer.from(outcome.message, 'utf8');
      await this.write(Buffer.concat([encodeBlockHeader(outcome.code, text.length), text]));
    }
  }

  endBatch(): Promise<void> {
    return this.write(Buffer.alloc(4));
  }

  private write(bytes: Buffer): Promise<void> {
    return writeWithBackpressure(this.stream, bytes, this.stallTimeoutMs);
  }
}

export function encodeFileName(name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  const out = Buffer.allocUnsafe(4 + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}

export function encodeBlockHeader(code: number, payloadLength: number): Buffer {
  const out = Buffer.allocUnsafe(5);
  out.writeUInt32BE(payloadLength + 1, 0);
  out.writeUInt8(code, 4);
  return out;
}

/**
 * Resolves once the bytes are queued and the stream is below its high-water mark (writeWhenReady). With
 * `timeoutMs`, a peer that stops reading for that long gets its stream destroyed.
 */
export async function writeWithBackpressure(stream: Writable, bytes: Buffer, timeoutMs?: number): Promise<void> {
  if (stream.destroyed || !stream.writable) throw new StreamClosedError();
  try {
    await writeWhenReady(stream, bytes, timeoutMs === undefined ? {} : { stallTimeoutMs: timeoutMs });
  } catch (error) {
    if (!(error instanceof WireStalledError)) throw error;
    stream.destroy();
    throw new StreamClosedError();
  }
}
