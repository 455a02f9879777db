/**
 * The virtual phone's ASR side (docs/protocols/asr.md#sequence), as the restore ramdisk runs it: Initiate (optionally
 * a second one), check the host's packet info, ask for out-of-band reads, ask for the payload, then take the stream —
 * checking each chunk's SHA-1 when checksum chunks are on and hashing everything, never holding the image.
 * Fault hooks let tests break it the ways a real phone or cable would.
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { AsrError } from '../../asr/asr-error';
import {
  ASR_CHECKSUM_BYTES,
  ASR_HOST_MESSAGE_END,
  ASR_MAX_MESSAGE_BYTES,
  ASR_PAYLOAD_CHUNK_SIZE,
  asAsrError,
  encodeInitiate,
  encodeOobRequest,
  encodePayloadRequest,
  parsePacketInfo,
  readAsrMessage,
  type AsrOobRequest,
  type AsrPacketInfo,
} from '../../asr/asr-wire';
import { encodeXmlPlist } from '../../plist/plist-codec';
import type { PlistDict } from '../../plist/plist-value';
import { ByteReader, StreamClosedError, WireTimeoutError } from '../../wire/byte-reader';
import { writeWhenReady } from '../../wire/write-when-ready';

export type AsrDeviceFaults = {
  /** Drop the connection once this many image bytes have arrived. */
  disconnectAtBytes?: number;
  /** Stop reading once this many image bytes have arrived, until the host gives up (or the signal aborts). */
  stallAtBytes?: number;
  /** Send this instead of the first out-of-band request, then see whether the host answers it. */
  badOobRequest?: PlistDict;
};

export type AsrDeviceOptions = {
  checksumChunks?: boolean;
  /** After the first packet info, send a second Initiate that switches checksum chunks to this (newer phones). */
  reinitiateWithChecksumChunks?: boolean;
  /** Out-of-band reads to ask for; default `typicalOobRequests(image size)`. */
  oobRequests?: (imageSize: number) => AsrOobRequest[];
  /** The SHA-256 (hex) the received image must have. */
  expectedSha256?: string;
  /** Hash the whole image (default true; benches turn it off to measure the link). */
  hashPayload?: boolean;
  /** Check each chunk's SHA-1 when checksum chunks are on (default true). */
  verifyChunkChecksums?: boolean;
  faults?: AsrDeviceFaults;
  /** Longest wait for any message or byte from the host. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called as image bytes arrive (tests wait on it instead of on time). */
  onImageBytes?: (bytesReceived: number) => void;
};

export type AsrDeviceOutcome =
  /** The whole image arrived, every checked chunk checksum matched and the host then closed its side. */
  | 'received'
  | 'checksum-mismatch'
  /** The host closed the connection or went quiet before the image was complete. */
  | 'host-closed'
  /** The host sent something ASR does not allow (a wrong packet info, bytes after the image, …). */
  | 'host-error'
  /** A fault hook ended the session on purpose. */
  | 'fault-injected'
  | 'cancelled';

export type AsrOobAnswer = AsrOobRequest & { sha256: string };

export type AsrDeviceReport = {
  outcome: AsrDeviceOutcome;
  error: string | null;
  packetInfo: AsrPacketInfo | null;
  initiates: number;
  oobAnswers: AsrOobAnswer[];
  /** Image bytes received (checksums not counted). */
  bytesReceived: number;
  chunksVerified: number;
  /** SHA-256 of the received image when it arrived whole and hashing was on. */
  sha256: string | null;
  /** Against `expectedSha256`; null when there was nothing to compare. */
  digestMatches: boolean | null;
  /** With `badOobRequest`: whether the host sent any bytes back instead of refusing. */
  badOobAnswered: boolean | null;
};

const DEFAULT_TIMEOUT_MS = 30_000;
const SEEN_OOB_BYTES = 128000;
const SEEN_OOB_SMALL = 512;

/** Reads shaped like those seen from real phones: a 128000-byte read near the end and 512-byte reads. */
export function typicalOobRequests(imageSize: number): AsrOobRequest[] {
  if (imageSize === 0) return [];
  if (imageSize < 4 * SEEN_OOB_BYTES) return [{ offset: 0, length: Math.min(SEEN_OOB_SMALL, imageSize) }];
  const nearEnd = Math.floor((imageSize - SEEN_OOB_BYTES - SEEN_OOB_SMALL) / SEEN_OOB_SMALL) * SEEN_OOB_SMALL;
  return [
    { offset: nearEnd, length: SEEN_OOB_BYTES },
    { offset: imageSize - SEEN_OOB_SMALL, length: SEEN_OOB_SMALL },
    { offset: 1024, length: SEEN_OOB_SMALL },
  ];
}

class FaultInjected extends Error {}

/** Runs one ASR session on `socket` as the phone; always resolves with what happened, and closes the socket. */
export async function runAsrDevice(socket: Duplex, options: AsrDeviceOptions = {}): Promise<AsrDeviceReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { signal, faults = {} } = options;
  const reader = new ByteReader(socket);
  const read = { timeoutMs, signal };
  const report: AsrDeviceReport = {
    outcome: 'received',
    error: null,
    packetInfo: null,
    initiates: 0,
    oobAnswers: [],
    bytesReceived: 0,
    chunksVerified: 0,
    sha256: null,
    digestMatches: null,
    badOobAnswered: null,
  };
  socket.on('error', () => undefined);
  let checksum = options.checksumChunks ?? false;
  const send = (message: PlistDict): Promise<void> => writeWhenReady(socket, encodeXmlPlist(message), { signal });
  const initiate = async (): Promise<AsrPacketInfo> => {
    report.initiates++;
    await send(encodeInitiate(checksum));
    const info = parsePacketInfo(
      await readAsrMessage(reader, ASR_HOST_MESSAGE_END, { ...read, maxBytes: ASR_MAX_MESSAGE_BYTES }),
      checksum,
    );
    report.packetInfo = info;
    return info;
  };

  try {
    let info = await initiate();
    if (options.reinitiateWithChecksumChunks !== undefined) {
      checksum = options.reinitiateWithChecksumChunks;
      info = await initiate();
    }
    if (faults.badOobRequest) {
      await send(faults.badOobRequest);
      report.badOobAnswered = await hostAnswers(reader, timeoutMs, signal);
      throw new FaultInjected('sent a bad out-of-band request');
    }
    for (const request of (options.oobRequests ?? typicalOobRequests)(info.imageSize)) {
      await send(encodeOobRequest(request));
      const hash = createHash('sha256');
      for (const piece of await reader.readPieces(request.length, read)) hash.update(piece);
      report.oobAnswers.push({ ...request, sha256: hash.digest('hex') });
    }
    await send(encodePayloadRequest());
    await receiveImage(reader, socket, info, options, report);
    if (await hostAnswers(reader, timeoutMs, signal)) throw new AsrError('protocol', 'The host sent bytes after the image');
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
    report.outcome = outcomeOf(asAsrError(error), signal);
  } finally {
    socket.destroy();
  }
  if (report.sha256 !== null && options.expectedSha256 !== undefined) report.digestMatches = report.sha256 === options.expectedSha256;
  return report;
}

function outcomeOf(error: unknown, signal: AbortSignal | undefined): AsrDeviceOutcome {
  if (signal?.aborted) return 'cancelled';
  if (error instanceof FaultInjected) return 'fault-injected';
  if (error instanceof ChecksumMismatch) return 'checksum-mismatch';
  if (error instanceof AsrError && (error.kind === 'closed' || error.kind === 'timeout')) return 'host-closed';
  return 'host-error';
}

class ChecksumMismatch extends Error {}

/** True when the host sends anything more; false when it closes (or stays silent) instead. */
async function hostAnswers(reader: ByteReader, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await reader.read(1, { timeoutMs, signal });
    return true;
  } catch (error) {
    if (error instanceof StreamClosedError || error instanceof WireTimeoutError) return false;
    throw error;
  }
}

async function receiveImage(
  reader: ByteReader,
  socket: Duplex,
  info: AsrPacketInfo,
  options: AsrDeviceOptions,
  report: AsrDeviceReport,
): Promise<void> {
  const read = { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: options.signal };
  const whole = (options.hashPayload ?? true) ? createHash('sha256') : null;
  const verify = options.verifyChunkChecksums ?? true;
  const { disconnectAtBytes, stallAtBytes } = options.faults ?? {};
  const chunkSize = info.checksumChunkSize ?? ASR_PAYLOAD_CHUNK_SIZE;
  while (report.bytesReceived < info.imageSize) {
    if (disconnectAtBytes !== undefined && report.bytesReceived >= disconnectAtBytes) {
      socket.destroy();
      throw new FaultInjected(`dropped the connection at ${report.bytesReceived} bytes`);
    }
    if (stallAtBytes !== undefined && report.bytesReceived >= stallAtBytes) {
      await closed(socket, options.signal);
      throw new FaultInjected(`stopped reading at ${report.bytesReceived} bytes`);
    }
    const length = Math.min(chunkSize, info.imageSize - report.bytesReceived);
    const sha = info.checksumChunks && verify ? createHash('sha1') : null;
    for (const piece of await reader.readPieces(length, read)) {
      whole?.update(piece);
      sha?.update(piece);
    }
    report.bytesReceived += length;
    if (info.checksumChunks) {
      const checksum = await reader.read(ASR_CHECKSUM_BYTES, read);
      if (sha) {
        if (!sha.digest().equals(checksum)) throw new ChecksumMismatch(`chunk ending at ${report.bytesReceived} has a wrong SHA-1`);
        report.chunksVerified++;
      }
    }
    options.onImageBytes?.(report.bytesReceived);
  }
  if (whole) report.sha256 = whole.digest('hex');
}

/** Resolves once the connection is gone (or the signal aborts): a stalled phone reads nothing meanwhile. */
function closed(socket: Duplex, signal: AbortSignal | undefined): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('close', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    socket.on('close', done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
