/**
 * The host side of ASR (docs/protocols/asr.md#sequence): takes the phone's Initiate, sends the packet info, answers
 * out-of-band reads from the image, then streams the image with back-pressure, optional per-chunk SHA-1s, progress and
 * cancellation. It is handed an open connection to the phone's ASR port and knows nothing else about the restore.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { encodeXmlPlist } from '../plist/plist-codec';
import { ByteReader } from '../wire/byte-reader';
import { waitForDrain, writeWhenReady } from '../wire/write-when-ready';
import { AsrError } from './asr-error';
import type { AsrImageSource } from './asr-image-source';
import {
  ASR_CHECKSUM_CHUNK_SIZE,
  ASR_MAX_MESSAGE_BYTES,
  ASR_PHONE_MESSAGE_END,
  asAsrError,
  checkOobRequest,
  encodePacketInfo,
  parsePhoneMessage,
  readAsrMessage,
} from './asr-wire';

export type AsrClientOptions = {
  /** Longest wait for each message from the phone (docs/protocols/asr.md#timeouts). */
  messageTimeoutMs?: number;
  /** Longest the phone may refuse more bytes before the session fails as stalled. */
  stallTimeoutMs?: number;
  /** Largest single out-of-band read the phone may ask for. */
  maxOobBytes?: number;
  /** Most out-of-band reads and Initiates per session. */
  maxOobRequests?: number;
  maxInitiates?: number;
  signal?: AbortSignal;
};

export type AsrProgress = { bytesDone: number; bytesTotal: number };

export type AsrSendOptions = { signal?: AbortSignal; onProgress?: (progress: AsrProgress) => void };

export type AsrOutcome =
  | { outcome: 'sent'; bytesSent: number; checksumChunks: boolean; oobRequests: number; initiates: number }
  | { outcome: 'cancelled'; bytesSent: number };

const DEFAULTS = {
  messageTimeoutMs: 60_000,
  stallTimeoutMs: 60_000,
  maxOobBytes: 16 * 1024 * 1024,
  maxOobRequests: 4096,
  maxInitiates: 8,
} as const;

/** Progress at most this often (bytes), plus once at the end. */
const PROGRESS_STEP_BYTES = 4 * 1024 * 1024;

export class AsrClient {
  private readonly reader: ByteReader;
  private readonly settings: Required<Omit<AsrClientOptions, 'signal'>>;
  private checksum: boolean;
  private initiates = 1;
  private used = false;

  private constructor(
    private readonly socket: Duplex,
    reader: ByteReader,
    checksumChunks: boolean,
    settings: Required<Omit<AsrClientOptions, 'signal'>>,
  ) {
    this.reader = reader;
    this.checksum = checksumChunks;
    this.settings = settings;
  }

  /** Waits for the phone's Initiate on a fresh connection to its ASR port. */
  static async connect(socket: Duplex, options: AsrClientOptions = {}): Promise<AsrClient> {
    const settings = { ...DEFAULTS, ...stripUndefined(options) };
    const reader = new ByteReader(socket, { maxBuffered: ASR_MAX_MESSAGE_BYTES });
    try {
      const message = parsePhoneMessage(
        await readAsrMessage(reader, ASR_PHONE_MESSAGE_END, { timeoutMs: settings.messageTimeoutMs, signal: options.signal }),
      );
      if (message.command !== 'Initiate') throw new AsrError('protocol', `The phone began with ${message.command}, not Initiate`);
      return new AsrClient(socket, reader, message.checksumChunks ?? false, settings);
    } catch (error) {
      socket.destroy();
      throw asAsrError(error);
    }
  }

  /** Whether the phone wants a SHA-1 after every 128 KiB chunk (may change with a second Initiate). */
  get checksumChunks(): boolean {
    return this.checksum;
  }

  /**
   * Runs the validation phase and streams the image. Resolves `sent` once every byte is handed to the connection and
   * the host's side is closed, or `cancelled` (the connection is then destroyed: half an image is of no use).
   * Throws AsrError otherwise; the connection is destroyed in every case but success.
   */
  async sendImage(source: AsrImageSource, options: AsrSendOptions = {}): Promise<AsrOutcome> {
    if (this.used) throw new Error('An ASR session sends one image');
    this.used = true;
    const { signal } = options;
    if (!Number.isSafeInteger(source.size) || source.size < 0) throw new AsrError('source', `Invalid image size ${source.size}`);
    const state = { bytesSent: 0, oobRequests: 0 };
    const onAbort = (): void => {
      this.socket.destroy();
    };
    if (signal?.aborted) {
      this.socket.destroy();
      return { outcome: 'cancelled', bytesSent: 0 };
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.validate(source, state, signal);
      await this.streamPayload(source, state, options);
      await this.finish(signal);
      return {
        outcome: 'sent',
        bytesSent: state.bytesSent,
        checksumChunks: this.checksum,
        oobRequests: state.oobRequests,
        initiates: this.initiates,
      };
    } catch (error) {
      this.socket.destroy();
      if (signal?.aborted) return { outcome: 'cancelled', bytesSent: state.bytesSent };
      throw asAsrError(error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private async validate(source: AsrImageSource, state: { oobRequests: number }, signal: AbortSignal | undefined): Promise<void> {
    await this.write(encodeXmlPlist(encodePacketInfo(source.size, this.checksum)), signal);
    for (;;) {
      const message = parsePhoneMessage(
        await readAsrMessage(this.reader, ASR_PHONE_MESSAGE_END, { timeoutMs: this.settings.messageTimeoutMs, signal }),
      );
      if (message.command === 'Payload') return;
      if (message.command === 'Initiate') {
        // docs/protocols/asr.md#sequence: a later Initiate may switch checksum chunks; the packet info follows every one.
        if (++this.initiates > this.settings.maxInitiates)
          throw new AsrError('protocol', `More than ${this.settings.maxInitiates} Initiates`);
        if (message.checksumChunks !== null) this.checksum = message.checksumChunks;
        await this.write(encodeXmlPlist(encodePacketInfo(source.size, this.checksum)), signal);
        continue;
      }
      if (++state.oobRequests > this.settings.maxOobRequests)
        throw new AsrError('protocol', `More than ${this.settings.maxOobRequests} out-of-band reads`);
      const { offset, length } = checkOobRequest(message, source.size, this.settings.maxOobBytes);
      const bytes = await this.readSource(() => source.readRange(offset, length, signal));
      if (bytes.length !== length) throw new AsrError('source', `Reading ${length} bytes at ${offset} gave ${bytes.length}`);
      await this.write(bytes, signal);
    }
  }

  private async streamPayload(source: AsrImageSource, state: { bytesSent: number }, options: AsrSendOptions): Promise<void> {
    const { signal, onProgress } = options;
    const total = source.size;
    const drain = { stallTimeoutMs: this.settings.stallTimeoutMs, signal };
    let sha: Hash | null = this.checksum ? createHash('sha1') : null;
    let inChunk = 0;
    let reported = 0;
    onProgress?.({ bytesDone: 0, bytesTotal: total });
    const pieces = source.stream(signal)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await this.readSource(() => pieces.next());
        if (next.done) break;
        if (signal?.aborted) return;
        let view = next.value;
        if (view.length > total - state.bytesSent) throw new AsrError('source', `The image is longer than its ${total} bytes`);
        while (view.length > 0) {
          const take = sha ? Math.min(view.length, ASR_CHECKSUM_CHUNK_SIZE - inChunk) : view.length;
          const part = take === view.length ? view : view.subarray(0, take);
          view = view.subarray(take);
          inChunk += take;
          state.bytesSent += take;
          let wantsMore: boolean;
          // docs/protocols/asr.md#payload: the SHA-1 of each chunk (a short last one too) right after it.
          if (sha && (inChunk === ASR_CHECKSUM_CHUNK_SIZE || state.bytesSent === total)) {
            sha.update(part);
            // Corked, the chunk's tail and its checksum leave in one write.
            this.socket.cork();
            this.socket.write(part);
            wantsMore = this.socket.write(sha.digest());
            this.socket.uncork();
            sha = createHash('sha1');
            inChunk = 0;
          } else {
            sha?.update(part);
            wantsMore = this.socket.write(part);
          }
          if (!wantsMore) await waitForDrain(this.socket, drain);
        }
        if (onProgress && state.bytesSent - reported >= PROGRESS_STEP_BYTES) {
          reported = state.bytesSent;
          onProgress({ bytesDone: reported, bytesTotal: total });
        }
      }
    } finally {
      await pieces.return?.();
    }
    if (signal?.aborted) return;
    if (state.bytesSent !== total) throw new AsrError('source', `The image ended after ${state.bytesSent} of ${total} bytes`);
    if (reported !== total) onProgress?.({ bytesDone: total, bytesTotal: total });
  }

  /** Ends the host's side once everything queued has been handed to the connection. */
  private finish(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = (error?: Error): void => {
        this.socket.off('finish', onFinish);
        this.socket.off('close', onClose);
        this.socket.off('error', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onFinish = (): void => settle();
      const onClose = (): void => settle(new AsrError('closed', 'The phone closed the connection before the image was handed over'));
      this.socket.on('finish', onFinish);
      this.socket.on('close', onClose);
      this.socket.on('error', onClose);
      this.socket.end();
    });
  }

  private write(bytes: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    return writeWhenReady(this.socket, bytes, { stallTimeoutMs: this.settings.stallTimeoutMs, signal });
  }

  private async readSource<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof AsrError) throw error;
      throw new AsrError('source', `The image could not be read: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
