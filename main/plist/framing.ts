import type { Duplex } from 'node:stream';
import { ByteReader, StreamClosedError, WireTimeoutError, type ReadOptions } from '../wire/byte-reader';
import { decodePlist, encodePlist, type PlistFormat } from './plist-codec';
import { decodeXmlPlist } from './xml-plist';
import type { PlistValue } from './plist-value';

export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

export class FrameTooLargeError extends Error {
  constructor(
    readonly length: number,
    readonly maxBytes: number,
  ) {
    super(`Peer announced a ${length}-byte message; the limit is ${maxBytes}`);
    this.name = 'FrameTooLargeError';
  }
}

/** docs/protocols/plist.md#framing: u32 big-endian length, then the plist. */
export function encodePlistFrame(value: PlistValue, format: PlistFormat): Buffer {
  const body = encodePlist(value, format);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

export type FrameReadOptions = ReadOptions & { maxBytes?: number };

export async function readPlistFrame(reader: ByteReader, options: FrameReadOptions = {}): Promise<PlistValue> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const length = (await reader.read(4, options)).readUInt32BE(0);
  if (length > maxBytes) throw new FrameTooLargeError(length, maxBytes);
  const body = await reader.read(length, options);
  return decodePlist(body, { maxBytes });
}

/**
 * An XML plist with no length prefix, ended by `end` (docs/protocols/asr.md#framing): bytes are taken one at a time so
 * nothing after the terminator is consumed (raw data may follow it). More than `maxBytes` without the terminator is a
 * FrameTooLargeError; `timeoutMs` bounds the whole message, not each byte.
 */
export async function readDelimitedXmlPlist(reader: ByteReader, end: string, options: FrameReadOptions = {}): Promise<PlistValue> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const terminator = Buffer.from(end, 'utf8');
  if (terminator.length === 0) throw new RangeError('The terminator must not be empty');
  const deadline = options.timeoutMs === undefined ? undefined : performance.now() + options.timeoutMs;
  let body = Buffer.allocUnsafe(Math.min(1024, maxBytes));
  let length = 0;
  for (;;) {
    let byte = reader.tryRead(1);
    if (!byte) {
      const readOptions: ReadOptions = { signal: options.signal };
      if (deadline !== undefined) {
        const left = Math.ceil(deadline - performance.now());
        if (left <= 0) throw new WireTimeoutError(options.timeoutMs!);
        readOptions.timeoutMs = left;
      }
      byte = await reader.read(1, readOptions);
    }
    if (length === maxBytes) throw new FrameTooLargeError(length + 1, maxBytes);
    if (length === body.length) {
      const grown = Buffer.allocUnsafe(Math.min(body.length * 2, maxBytes));
      body.copy(grown, 0, 0, length);
      body = grown;
    }
    body[length++] = byte[0]!;
    if (
      length >= terminator.length &&
      byte[0] === terminator[terminator.length - 1] &&
      body.subarray(length - terminator.length, length).equals(terminator)
    ) {
      return decodeXmlPlist(body.subarray(0, length), { maxBytes });
    }
  }
}

export type PlistChannelOptions = { format?: PlistFormat; maxBytes?: number; timeoutMs?: number };

/** A plist conversation on one stream: lockdownd and every plist service use this shape. */
export class PlistChannel {
  readonly reader: ByteReader;
  private readonly format: PlistFormat;
  private readonly maxBytes: number;
  private readonly timeoutMs: number | undefined;

  constructor(
    readonly stream: Duplex,
    options: PlistChannelOptions = {},
  ) {
    this.reader = new ByteReader(stream);
    this.format = options.format ?? 'xml';
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.timeoutMs = options.timeoutMs;
  }

  send(value: PlistValue, format: PlistFormat = this.format): Promise<void> {
    const frame = encodePlistFrame(value, format);
    return new Promise((resolve, reject) => {
      if (this.stream.destroyed || !this.stream.writable) {
        reject(new StreamClosedError());
        return;
      }
      this.stream.write(frame, (error) => (error ? reject(error) : resolve()));
    });
  }

  receive(options: FrameReadOptions = {}): Promise<PlistValue> {
    const merged: FrameReadOptions = { maxBytes: this.maxBytes, ...options };
    if (merged.timeoutMs === undefined && this.timeoutMs !== undefined) merged.timeoutMs = this.timeoutMs;
    return readPlistFrame(this.reader, merged);
  }

  close(): void {
    this.stream.destroy();
  }
}
