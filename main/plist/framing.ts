import type { Duplex } from 'node:stream';
import { ByteReader, StreamClosedError, type ReadOptions } from '../wire/byte-reader';
import { decodePlist, encodePlist, type PlistFormat } from './plist-codec';
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
