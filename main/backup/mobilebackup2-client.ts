import type { Duplex } from 'node:stream';
import { PlistChannel } from '../plist/framing';
import { PlistReal, isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { StreamClosedError, WireAbortedError, WireTimeoutError } from '../wire/byte-reader';
import {
  DLMessage,
  DeviceLinkError,
  FileBatchWriter,
  disconnectMessage,
  parseDeviceLinkMessage,
  processMessage,
  readFileBatch,
  statusResponseMessage,
  versionsOkMessage,
  type DeviceLinkMessage,
} from '../devicelink/device-link';
import { MobileBackup2Message } from '../devicelink/mobilebackup2-messages';
import type { DeviceLinkFolderHost, DeviceLinkReply } from './device-link-host';

/**
 * Host side of com.apple.mobilebackup2 (docs/protocols/mobilebackup2.md): DeviceLink version exchange, Hello,
 * one request, then the device-driven loop where every device → host message is answered against a
 * DeviceLinkFolderHost until the final DLMessageProcessMessage.
 */

/** docs/protocols/mobilebackup2.md#devicelink: Debian's 1.3.0 and upstream since 2020 accept DeviceLink 400; devices send 300 or 400. */
export const HOST_DEVICE_LINK_MAJOR = 400;
const SUPPORTED_PROTOCOL_VERSIONS = [2.0, 2.1];

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const MAX_FILES_PER_BATCH = 1_000_000;

export type MobileBackup2ErrorKind =
  /** Version exchange or Hello failed. */
  | 'version'
  /** Bytes that are not the protocol. */
  | 'protocol'
  /** The device stopped answering within the bound. */
  | 'timeout'
  /** The connection closed (unplug, device crash). */
  | 'closed'
  /** The device ended with a non-zero ErrorCode (see `deviceCode`). */
  | 'device'
  /** The device named a path outside the backup folder (see DeviceLinkFolderHost.refusal). */
  | 'unsafe-path'
  /** Writing the device's files failed on this computer (see DeviceLinkFolderHost.localError). */
  | 'local-io'
  | 'cancelled';

export class MobileBackup2Error extends Error {
  constructor(
    readonly kind: MobileBackup2ErrorKind,
    message: string,
    readonly deviceCode?: number,
  ) {
    super(message);
    this.name = 'MobileBackup2Error';
  }
}

export type OperationProgress = {
  /** The device's overall percentage (0–100) from the last message that carried one. */
  percent: number | undefined;
  /** Total bytes the device said it will send (DLMessageUploadFiles [3]). */
  bytesTotal: number | undefined;
};

export type OperationOptions = {
  signal?: AbortSignal;
  /** Bound for the first device message after the request (the phone may wait for its passcode first). */
  firstMessageTimeoutMs?: number;
  /** Bound between device messages and inside file transfers. */
  idleTimeoutMs?: number;
  onProgress?: (progress: OperationProgress) => void;
  onBytes?: (bytes: number) => void;
  /** Called after each handled device message (for tests and diagnostics). */
  onMessage?: (name: string) => void;
};

export type OperationResult = { content: string | undefined };

export type MobileBackup2ClientOptions = { handshakeTimeoutMs?: number };

export class MobileBackup2Client {
  private readonly channel: PlistChannel;
  private readonly handshakeTimeoutMs: number;
  protocolVersion: number | undefined;

  constructor(
    private readonly stream: Duplex,
    options: MobileBackup2ClientOptions = {},
  ) {
    stream.on('error', () => undefined);
    this.channel = new PlistChannel(stream, { format: 'binary', maxBytes: MAX_MESSAGE_BYTES });
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 30_000;
  }

  /** docs/protocols/mobilebackup2.md#devicelink then docs/protocols/mobilebackup2.md#hello. */
  async handshake(signal?: AbortSignal): Promise<number> {
    return this.guard(signal, async () => {
      const exchange = await this.receive(this.handshakeTimeoutMs, signal);
      const [major] = exchange.args;
      if (exchange.name !== DLMessage.VersionExchange || typeof major !== 'number') {
        throw new MobileBackup2Error('version', 'The phone did not start the DeviceLink version exchange');
      }
      if (major > HOST_DEVICE_LINK_MAJOR) {
        await this.send(disconnectMessage());
        throw new MobileBackup2Error('version', `The phone speaks DeviceLink ${major}, newer than this host (${HOST_DEVICE_LINK_MAJOR})`);
      }
      await this.send(versionsOkMessage(major));
      const ready = await this.receive(this.handshakeTimeoutMs, signal);
      if (ready.name !== DLMessage.DeviceReady) throw new MobileBackup2Error('version', `Expected DLMessageDeviceReady, got ${ready.name}`);
      await this.send(
        processMessage({
          MessageName: MobileBackup2Message.Hello,
          SupportedProtocolVersions: SUPPORTED_PROTOCOL_VERSIONS.map((v) => new PlistReal(v)),
        }),
      );
      const reply = this.processDict(await this.receive(this.handshakeTimeoutMs, signal));
      const code = reply.ErrorCode;
      if (code !== 0)
        throw new MobileBackup2Error('version', `The phone found no common backup protocol version (ErrorCode ${String(code)})`);
      const version = reply.ProtocolVersion;
      if (typeof version !== 'number' || !SUPPORTED_PROTOCOL_VERSIONS.some((v) => Math.abs(v - version) < 1e-9)) {
        throw new MobileBackup2Error('version', 'The phone answered Hello with an unknown protocol version');
      }
      this.protocolVersion = version;
      return version;
    });
  }

  /** Sends `{MessageName, TargetIdentifier, SourceIdentifier?, Options?}` (docs/protocols/mobilebackup2.md#host-requests). */
  async request(messageName: string, fields: { target: string; source?: string; options?: PlistDict }): Promise<void> {
    const dict: PlistDict = { MessageName: messageName, TargetIdentifier: fields.target };
    if (fields.source !== undefined) dict.SourceIdentifier = fields.source;
    if (fields.options !== undefined) dict.Options = fields.options;
    await this.guard(undefined, () => this.send(processMessage(dict)));
  }

  /** The device-driven loop (docs/protocols/mobilebackup2.md#device-messages) until the final ProcessMessage. */
  async run(host: DeviceLinkFolderHost, options: OperationOptions = {}): Promise<OperationResult> {
    const idle = options.idleTimeoutMs ?? 120_000;
    let first = true;
    return this.guard(options.signal, async () => {
      for (;;) {
        const message = await this.receive(first ? (options.firstMessageTimeoutMs ?? 30 * 60_000) : idle, options.signal);
        first = false;
        const progress = progressOf(message);
        if (progress) options.onProgress?.(progress);
        switch (message.name) {
          case DLMessage.ProcessMessage: {
            const dict = this.processDict(message);
            const code = numberOf(dict.ErrorCode) ?? 0;
            const content = typeof dict.Content === 'string' ? dict.Content : undefined;
            if (code !== 0) {
              const description = typeof dict.ErrorDescription === 'string' ? dict.ErrorDescription.slice(0, 2000) : 'no description';
              throw new MobileBackup2Error('device', `ErrorCode ${code}: ${description}`, code);
            }
            return { content };
          }
          case DLMessage.Disconnect:
            throw new MobileBackup2Error('closed', 'The phone ended the backup session (DLMessageDisconnect)');
          case DLMessage.Ping:
            break;
          case DLMessage.DownloadFiles:
            await this.reply(
              await host.download(message.args[0], new FileBatchWriter(this.stream, { blockBytes: 32 * 1024, stallTimeoutMs: idle })),
            );
            break;
          case DLMessage.UploadFiles: {
            const sink = host.uploadSink((bytes) => options.onBytes?.(bytes));
            await readFileBatch(this.channel.reader, sink, {
              namesPerFile: 2,
              maxFiles: MAX_FILES_PER_BATCH,
              timeoutMs: idle,
              ...(options.signal ? { signal: options.signal } : {}),
            });
            await this.reply(await sink.outcome());
            break;
          }
          case DLMessage.GetFreeDiskSpace:
            await this.reply(await host.freeDiskSpace());
            break;
          case DLMessage.PurgeDiskSpace:
            // docs/protocols/mobilebackup2.md#device-messages: newer hosts refuse; 1.3.0's silence hangs both sides.
            await this.reply({ code: -1, description: 'Operation not supported', extra: {} });
            break;
          case DLMessage.ContentsOfDirectory:
            await this.reply(await host.contentsOfDirectory(message.args[0]));
            break;
          case DLMessage.CreateDirectory:
            await this.reply(await host.createDirectory(message.args[0]));
            break;
          case DLMessage.MoveFiles:
          case DLMessage.MoveItems:
            await this.reply(await host.move(message.args[0]));
            break;
          case DLMessage.RemoveFiles:
          case DLMessage.RemoveItems:
            await this.reply(await host.remove(message.args[0]));
            break;
          case DLMessage.CopyItem:
            await this.reply(await host.copy(message.args[0], message.args[1]));
            break;
          default:
            // Unknown DL* names: answer rather than leave the phone waiting (1.3.0's silence hangs it).
            await this.reply({ code: -1, description: 'Operation not supported', extra: {} });
        }
        options.onMessage?.(message.name);
        if (host.refusal) {
          throw new MobileBackup2Error('unsafe-path', host.refusal.message);
        }
        if (host.localError) {
          throw new MobileBackup2Error('local-io', `Could not store the phone's files: ${host.localError.message}`);
        }
      }
    });
  }

  /** Polite end (DLMessageDisconnect), then the socket closes. */
  async disconnect(): Promise<void> {
    try {
      if (!this.stream.destroyed) await this.send(disconnectMessage('___EmptyParameterString___'));
    } catch {
      // Already gone.
    }
    this.close();
  }

  close(): void {
    this.stream.destroy();
  }

  private reply(reply: DeviceLinkReply): Promise<void> {
    return this.send(statusResponseMessage(reply.code, reply.description, reply.extra));
  }

  private send(message: PlistValue[]): Promise<void> {
    return this.channel.send(message, 'binary');
  }

  private async receive(timeoutMs: number, signal?: AbortSignal): Promise<DeviceLinkMessage> {
    const value = await this.channel.receive({ timeoutMs, ...(signal ? { signal } : {}) });
    return parseDeviceLinkMessage(value);
  }

  private processDict(message: DeviceLinkMessage): PlistDict {
    const [dict] = message.args;
    if (message.name !== DLMessage.ProcessMessage || !isPlistDict(dict)) {
      throw new MobileBackup2Error('protocol', `Expected DLMessageProcessMessage, got ${message.name}`);
    }
    return dict;
  }

  /** Maps transport failures to MobileBackup2Error; a fired signal always wins (cancelled ≠ failed). */
  private async guard<T>(signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    const onAbort = (): void => {
      this.stream.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      signal?.throwIfAborted();
      return await task();
    } catch (error) {
      if (signal?.aborted) throw new MobileBackup2Error('cancelled', 'Cancelled');
      if (error instanceof MobileBackup2Error) throw error;
      if (error instanceof WireTimeoutError)
        throw new MobileBackup2Error('timeout', `The phone stopped answering (no data for ${Math.round(error.timeoutMs / 1000)} s)`);
      if (error instanceof StreamClosedError || error instanceof WireAbortedError)
        throw new MobileBackup2Error('closed', 'The connection to the phone closed');
      if (error instanceof DeviceLinkError) throw new MobileBackup2Error('protocol', error.message);
      if (isErrno(error) && ['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END'].includes(error.code ?? '')) {
        throw new MobileBackup2Error('closed', 'The connection to the phone closed');
      }
      if (isErrno(error) && error.code !== undefined && error.syscall !== undefined) {
        throw new MobileBackup2Error('local-io', `Could not read or write the backup folder: ${error.message}`);
      }
      throw new MobileBackup2Error('protocol', error instanceof Error ? error.message : String(error));
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

function isErrno(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

function numberOf(value: PlistValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof PlistReal) return value.value;
  return undefined;
}

/** docs/protocols/mobilebackup2.md#device-messages: where each message carries the overall percentage (and, for uploads, the total bytes). */
function progressOf(message: DeviceLinkMessage): OperationProgress | undefined {
  const at = (i: number): number | undefined => numberOf(message.args[i]);
  switch (message.name) {
    case DLMessage.UploadFiles:
      return { percent: clampPercent(at(1)), bytesTotal: at(2) };
    case DLMessage.DownloadFiles:
    case DLMessage.MoveFiles:
    case DLMessage.MoveItems:
    case DLMessage.RemoveFiles:
    case DLMessage.RemoveItems:
      return { percent: clampPercent(at(2)), bytesTotal: undefined };
    default:
      return undefined;
  }
}

function clampPercent(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return Math.min(100, Math.max(0, value));
}
