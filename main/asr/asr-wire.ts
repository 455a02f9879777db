/**
 * ASR's vocabulary, shared by the host client and the virtual phone (docs/protocols/asr.md): the constants a real
 * host sends, the messages each side builds, and the checks each side applies to what it receives.
 */
import type { ByteReader } from '../wire/byte-reader';
import { StreamClosedError, WireTimeoutError } from '../wire/byte-reader';
import { WireStalledError } from '../wire/write-when-ready';
import { FrameTooLargeError, readDelimitedXmlPlist } from '../plist/framing';
import { PlistError } from '../plist/plist-codec';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { AsrError } from './asr-error';

/** docs/protocols/asr.md#connection */
export const ASR_DEFAULT_PORT = 12345;
export const ASR_CONNECT_ATTEMPTS = 30;
export const ASR_CONNECT_RETRY_MS = 2000;

/** docs/protocols/asr.md#packet-info: what every known host sends, whatever the link. */
export const ASR_VERSION = 1;
export const ASR_STREAM_ID = 1;
export const ASR_PAYLOAD_PORT = 1;
export const ASR_FEC_SLICE_STRIDE = 40;
export const ASR_PACKET_PAYLOAD_SIZE = 1450;
export const ASR_PACKETS_PER_FEC = 25;
/** docs/protocols/asr.md#payload */
export const ASR_PAYLOAD_CHUNK_SIZE = 131072;
export const ASR_CHECKSUM_CHUNK_SIZE = 131072;
export const ASR_CHECKSUM_BYTES = 20;

/** docs/protocols/asr.md#framing: the biggest message either side accepts (real ones are well under 1 KiB). */
export const ASR_MAX_MESSAGE_BYTES = 64 * 1024;
/** What the host reads to (the phone's trailing newline, if any, is leading whitespace of its next message). */
export const ASR_PHONE_MESSAGE_END = '</plist>';
/** What the phone reads to: raw OOB bytes may follow the packet info, so the newline every host writes is taken too. */
export const ASR_HOST_MESSAGE_END = '</plist>\n';

export type AsrPacketInfo = {
  imageSize: number;
  checksumChunks: boolean;
  checksumChunkSize: number | null;
  fecSliceStride: number;
  packetPayloadSize: number;
  packetsPerFec: number;
  payloadPort: number;
  streamId: number;
  version: number;
};

export type AsrOobRequest = { offset: number; length: number };

export type AsrPhoneMessage =
  { command: 'Initiate'; checksumChunks: boolean | null } | ({ command: 'OOBData' } & AsrOobRequest) | { command: 'Payload' };

/** The packet info a real host sends after every Initiate (checksum chunk size only when the phone asked for it). */
export function encodePacketInfo(imageSize: number, checksumChunks: boolean): PlistDict {
  const info: PlistDict = {};
  if (checksumChunks) info['Checksum Chunk Size'] = ASR_CHECKSUM_CHUNK_SIZE;
  info['FEC Slice Stride'] = ASR_FEC_SLICE_STRIDE;
  info['Packet Payload Size'] = ASR_PACKET_PAYLOAD_SIZE;
  info['Packets Per FEC'] = ASR_PACKETS_PER_FEC;
  info.Payload = { Port: ASR_PAYLOAD_PORT, Size: imageSize };
  info['Stream ID'] = ASR_STREAM_ID;
  info.Version = ASR_VERSION;
  return info;
}

export function encodeInitiate(checksumChunks: boolean): PlistDict {
  return { Command: 'Initiate', 'Checksum Chunks': checksumChunks };
}

export function encodeOobRequest(request: AsrOobRequest): PlistDict {
  return { Command: 'OOBData', 'OOB Length': request.length, 'OOB Offset': request.offset };
}

export function encodePayloadRequest(): PlistDict {
  return { Command: 'Payload' };
}

function unsignedField(dict: PlistDict, key: string, required: true): number;
function unsignedField(dict: PlistDict, key: string, required: false): number | null;
function unsignedField(dict: PlistDict, key: string, required: boolean): number | null {
  const value = dict[key];
  if (value === undefined && !required) return null;
  if (typeof value === 'bigint') throw new AsrError('oob-range', `${key} ${value} is beyond any image`);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new AsrError('protocol', `${key} must be an unsigned integer, not ${describe(value)}`);
  }
  return value;
}

function describe(value: PlistValue | undefined): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** What the host accepts from the phone: Initiate, OOBData with two unsigned integers, or Payload. */
export function parsePhoneMessage(value: PlistValue): AsrPhoneMessage {
  if (!isPlistDict(value)) throw new AsrError('protocol', 'The phone sent something other than a dictionary');
  const command = value.Command;
  if (command === 'Initiate') {
    const flag = value['Checksum Chunks'];
    return { command, checksumChunks: typeof flag === 'boolean' ? flag : null };
  }
  if (command === 'OOBData') {
    return { command, length: unsignedField(value, 'OOB Length', true), offset: unsignedField(value, 'OOB Offset', true) };
  }
  if (command === 'Payload') return { command };
  throw new AsrError('protocol', `Unknown ASR command ${describe(command)}`);
}

/** An OOB request must lie inside the image and stay under the host's per-request limit. */
export function checkOobRequest(request: AsrOobRequest, imageSize: number, maxBytes: number): AsrOobRequest {
  if (request.length > maxBytes) {
    throw new AsrError('oob-range', `The phone asked for ${request.length} bytes at once; the limit is ${maxBytes}`);
  }
  if (request.offset > imageSize || request.length > imageSize - request.offset) {
    throw new AsrError(
      'oob-range',
      `The phone asked for ${request.length} bytes at ${request.offset}, outside the ${imageSize}-byte image`,
    );
  }
  return request;
}

/** What the phone accepts from the host: the exact constants of docs/protocols/asr.md#packet-info. */
export function parsePacketInfo(value: PlistValue, checksumChunks: boolean): AsrPacketInfo {
  if (!isPlistDict(value)) throw new AsrError('protocol', 'The packet info is not a dictionary');
  const payload = value.Payload;
  if (!isPlistDict(payload)) throw new AsrError('protocol', 'The packet info has no Payload dictionary');
  const info: AsrPacketInfo = {
    imageSize: unsignedField(payload, 'Size', true),
    payloadPort: unsignedField(payload, 'Port', true),
    checksumChunks,
    checksumChunkSize: unsignedField(value, 'Checksum Chunk Size', false),
    fecSliceStride: unsignedField(value, 'FEC Slice Stride', true),
    packetPayloadSize: unsignedField(value, 'Packet Payload Size', true),
    packetsPerFec: unsignedField(value, 'Packets Per FEC', true),
    streamId: unsignedField(value, 'Stream ID', true),
    version: unsignedField(value, 'Version', true),
  };
  const expected: [keyof AsrPacketInfo, number | null][] = [
    ['checksumChunkSize', checksumChunks ? ASR_CHECKSUM_CHUNK_SIZE : null],
    ['fecSliceStride', ASR_FEC_SLICE_STRIDE],
    ['packetPayloadSize', ASR_PACKET_PAYLOAD_SIZE],
    ['packetsPerFec', ASR_PACKETS_PER_FEC],
    ['payloadPort', ASR_PAYLOAD_PORT],
    ['streamId', ASR_STREAM_ID],
    ['version', ASR_VERSION],
  ];
  for (const [field, want] of expected) {
    if (info[field] !== want) throw new AsrError('protocol', `Packet info ${field} is ${String(info[field])}, expected ${String(want)}`);
  }
  return info;
}

/** Bytes on the wire for an image of `imageSize`: with checksum chunks, a SHA-1 follows every chunk (the last may be short). */
export function payloadWireBytes(imageSize: number, checksumChunks: boolean): number {
  return checksumChunks ? imageSize + ASR_CHECKSUM_BYTES * Math.ceil(imageSize / ASR_CHECKSUM_CHUNK_SIZE) : imageSize;
}

export type AsrReadOptions = { timeoutMs?: number; signal?: AbortSignal; maxBytes?: number };

/**
 * One ASR message through the bounded delimited-plist reader, its failures as AsrErrors. A cancelled read rethrows
 * the abort unchanged, so the caller can tell cancellation from failure.
 */
export async function readAsrMessage(reader: ByteReader, end: string, options: AsrReadOptions = {}): Promise<PlistValue> {
  try {
    return await readDelimitedXmlPlist(reader, end, { maxBytes: ASR_MAX_MESSAGE_BYTES, ...options });
  } catch (error) {
    throw asAsrError(error);
  }
}

/** Maps the wire layer's errors onto AsrError kinds; anything else (an abort, a bug) passes through. */
export function asAsrError(error: unknown): unknown {
  if (error instanceof AsrError) return error;
  if (error instanceof StreamClosedError) return new AsrError('closed', 'The connection closed', { cause: error });
  if (error instanceof WireTimeoutError) return new AsrError('timeout', `No ASR message within ${error.timeoutMs} ms`, { cause: error });
  if (error instanceof WireStalledError)
    return new AsrError('stalled', `The other side read nothing for ${error.stallMs} ms`, { cause: error });
  if (error instanceof FrameTooLargeError)
    return new AsrError('bad-message', `ASR message longer than ${error.maxBytes} bytes`, { cause: error });
  if (error instanceof PlistError) return new AsrError('bad-message', `Unreadable ASR message: ${error.message}`, { cause: error });
  return error;
}
