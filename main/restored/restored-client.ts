/**
 * The host side of restored (docs/protocols/restored.md): identify the phone, start the restore with the options the
 * caller built, then run the message loop until the phone's final status — answering every data request through a
 * RestoreDataProvider, turning ProgressMsg into stages and one never-backwards fraction, and StatusMsg into success
 * or a RestoredError carrying Apple's error number. Plain plists on port 62078, no TLS.
 */
import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import { FrameTooLargeError, PlistChannel } from '../plist/framing';
import { PlistError, type PlistFormat } from '../plist/plist-codec';
import { LOCKDOWN_TYPE, RESTORED_TYPE } from '../lockdown/lockdown-wire';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { StreamClosedError, WireAbortedError, WireTimeoutError } from '../wire/byte-reader';
import type { UsbmuxClient } from '../usbmux/usbmux-client';
import type { RestoreDataProvider } from './restore-data-provider';
import { DataRequestAnswerer, type DataRequestEvent, type MainReplyChannel, type ReplyChannel } from './restored-data-requests';
import { RestoredError } from './restored-error';
import { RestoredProgressTracker, type RestoredProgress } from './restored-progress';
import {
  BBUpdateStatusMsgSchema,
  BasebandUpdaterOutputDataSchema,
  CheckpointMsgSchema,
  DataRequestMsgSchema,
  HardwareInfoSchema,
  MAX_PHONE_MESSAGE_BYTES,
  PreviousRestoreLogMsgSchema,
  ProgressMsgSchema,
  QueryTypeReplySchema,
  RESTORED_PORT,
  RESTORED_STATUS_SUCCESS,
  RestoredCrashSchema,
  RestoredMessageEnvelopeSchema,
  RestoredQueryKey,
  SavedDebugInfoSchema,
  StatusMsgSchema,
  describeRestoredStatus,
  encodeAttestationDeclined,
  encodeGoodbye,
  encodeQueryType,
  encodeQueryValue,
  encodeReceivedFinalStatus,
  encodeStartRestore,
  type HardwareInfo,
  type QueryTypeReply,
  type SavedDebugInfo,
} from './restored-wire';

/** Opens a TCP connection to a port on the phone (through usbmuxd in the app, a pipe in tests). */
export type PhonePortOpener = (port: number, options: { signal?: AbortSignal; timeoutMs?: number }) => Promise<Duplex>;

export function usbmuxPortOpener(usbmux: UsbmuxClient, deviceId: number): PhonePortOpener {
  return (port, options) => usbmux.connect(deviceId, port, options);
}

/** docs/protocols/restored.md#timeouts */
export type RestoredTimeouts = {
  /** Each request/reply before StartRestore. */
  requestMs: number;
  /** The phone silent while none of our answers is in progress. */
  messageIdleMs: number;
  /** Opening a data port: attempts and the pause between them (ASR listens a moment after asking). */
  dataPortAttempts: number;
  dataPortRetryMs: number;
  /** A raw channel the phone uploads on (BasebandUpdaterOutputData) silent this long. */
  rawInputIdleMs: number;
  /** One answer, start to end (the OS image over ASR is the long one); a phone that stops reading cannot hang us. */
  answerMs: number;
};

export const RESTORED_TIMEOUTS: RestoredTimeouts = {
  requestMs: 10_000,
  messageIdleMs: 20 * 60_000,
  dataPortAttempts: 30,
  dataPortRetryMs: 2_000,
  rawInputIdleMs: 60_000,
  answerMs: 45 * 60_000,
};

export type RestoredEvent =
  | DataRequestEvent
  | { type: 'progress'; progress: RestoredProgress }
  | {
      type: 'checkpoint';
      id: number | bigint;
      name: string;
      complete: boolean;
      result: number | bigint | null;
      warning?: string;
      error?: string;
    }
  | { type: 'previous-restore-log'; log: string }
  | { type: 'crash'; backtrace: string }
  | { type: 'baseband-status'; accepted: boolean | null }
  | { type: 'async-wait' }
  | { type: 'attestation-declined' }
  | { type: 'status'; status: number | bigint; meaning: string; log?: string }
  | { type: 'unknown-message'; msgType: string };

export type RestoreRunOptions = {
  /** RestoreOptions from buildEraseRestoreOptions / buildUpdateRestoreOptions. */
  restoreOptions: PlistDict;
  provider: RestoreDataProvider;
  signal?: AbortSignal;
  onProgress?(progress: RestoredProgress): void;
  onEvent?(event: RestoredEvent): void;
};

export type RestoreRunResult = { outcome: 'restored'; messages: number } | { outcome: 'cancelled' };

export type RestoredClientOptions = {
  timeouts?: Partial<RestoredTimeouts>;
  signal?: AbortSignal;
  /** Most messages one restore may send (progress included). */
  maxMessages?: number;
  /** Most AsyncDataRequestMsg answers in flight at once. */
  maxConcurrentAsync?: number;
  /** Most bytes of baseband updater output kept. */
  maxRawInputBytes?: number;
};

const DEFAULT_MAX_MESSAGES = 200_000;
const DEFAULT_MAX_CONCURRENT_ASYNC = 16;
const DEFAULT_MAX_RAW_INPUT_BYTES = 64 * 1024 * 1024;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new WireAbortedError());
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new WireAbortedError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

function translate(error: unknown, what: string): unknown {
  if (error instanceof RestoredError) return error;
  if (error instanceof WireTimeoutError)
    return new RestoredError('timeout', `restored: no ${what} within ${error.timeoutMs} ms`, { cause: error });
  if (error instanceof StreamClosedError)
    return new RestoredError('closed', `restored: the phone closed the connection during ${what}`, { cause: error });
  if (error instanceof FrameTooLargeError) return new RestoredError('bad-message', `restored: ${error.message}`, { cause: error });
  if (error instanceof PlistError)
    return new RestoredError('bad-message', `restored: unreadable ${what} (${error.message})`, { cause: error });
  return error;
}

function parse<T>(schema: z.ZodType<T>, value: PlistValue, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new RestoredError('protocol', `restored: malformed ${what}`);
  return result.data;
}

/** A chain that runs queued work one at a time. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class RestoredClient {
  private readonly timeouts: RestoredTimeouts;
  private readonly sendQueue = new SerialQueue();
  private started = false;

  private constructor(
    private readonly channel: PlistChannel,
    private readonly openPort: PhonePortOpener,
    readonly info: QueryTypeReply,
    private readonly options: RestoredClientOptions,
  ) {
    this.timeouts = { ...RESTORED_TIMEOUTS, ...options.timeouts };
  }

  /** Connects to restored and checks with QueryType that the phone really is in restore mode. */
  static async connect(openPort: PhonePortOpener, options: RestoredClientOptions = {}): Promise<RestoredClient> {
    const timeouts = { ...RESTORED_TIMEOUTS, ...options.timeouts };
    let stream: Duplex;
    try {
      stream = await openPort(RESTORED_PORT, { signal: options.signal, timeoutMs: timeouts.requestMs });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new RestoredError('connect', `Could not open restored's port ${RESTORED_PORT}`, { cause: error });
    }
    const channel = new PlistChannel(stream, { format: 'xml', maxBytes: MAX_PHONE_MESSAGE_BYTES });
    try {
      await channel.send(encodeQueryType());
      const reply = await channel.receive({ timeoutMs: timeouts.requestMs, signal: options.signal });
      const info = parse(QueryTypeReplySchema, reply, 'QueryType reply');
      if (info.Type !== RESTORED_TYPE) {
        const what = info.Type === LOCKDOWN_TYPE ? 'lockdownd (the phone is in normal mode)' : JSON.stringify(info.Type.slice(0, 64));
        throw new RestoredError('not-restore-mode', `Port ${RESTORED_PORT} answered as ${what}, not restored`);
      }
      return new RestoredClient(channel, openPort, info, options);
    } catch (error) {
      channel.close();
      throw translate(error, 'QueryType reply');
    }
  }

  /** RestoreProtocolVersion from QueryType (0 when the phone gave none: the oldest numbering). */
  get protocolVersion(): number {
    return this.info.RestoreProtocolVersion ?? 0;
  }

  async queryValue(key: string): Promise<PlistValue | null> {
    await this.channel.send(encodeQueryValue(key));
    let reply: PlistValue;
    try {
      reply = await this.channel.receive({ timeoutMs: this.timeouts.requestMs, signal: this.options.signal });
    } catch (error) {
      throw translate(error, `QueryValue ${key} reply`);
    }
    if (!isPlistDict(reply)) throw new RestoredError('protocol', `restored: QueryValue ${key} reply is not a dict`);
    // docs/protocols/restored.md#requests: the value comes back under the key asked for.
    return reply[key] ?? null;
  }

  async hardwareInfo(): Promise<HardwareInfo | null> {
    const value = await this.queryValue(RestoredQueryKey.HardwareInfo);
    return value === null ? null : parse(HardwareInfoSchema, value, 'HardwareInfo');
  }

  async savedDebugInfo(): Promise<SavedDebugInfo | null> {
    const value = await this.queryValue(RestoredQueryKey.SavedDebugInfo);
    return value === null ? null : parse(SavedDebugInfoSchema, value, 'SavedDebugInfo');
  }

  /** Says goodbye before StartRestore (after it, the phone ends the conversation itself). */
  async goodbye(): Promise<void> {
    try {
      await this.channel.send(encodeGoodbye());
      await this.channel.receive({ timeoutMs: this.timeouts.requestMs, signal: this.options.signal });
    } catch {
      // The phone may close without answering; goodbye is best effort.
    } finally {
      this.close();
    }
  }

  close(): void {
    this.channel.close();
  }

  /**
   * Sends StartRestore and runs the message loop to the phone's final status. Resolves `restored` after StatusMsg 0
   * (ReceivedFinalStatusMsg sent) or `cancelled`; throws RestoredError otherwise. The connection is closed in every case.
   */
  async restore(run: RestoreRunOptions): Promise<RestoreRunResult> {
    if (this.started) throw new Error('A restored connection runs one restore');
    this.started = true;
    const stop = new AbortController();
    const external = [this.options.signal, run.signal].filter((signal): signal is AbortSignal => signal !== undefined);
    const onAbort = (): void => stop.abort();
    for (const signal of external) {
      if (signal.aborted) stop.abort();
      signal.addEventListener('abort', onAbort, { once: true });
    }
    const cancelled = (): boolean => external.some((signal) => signal.aborted);
    const loop = new MessageLoop(this, run, stop, this.timeouts, this.options);
    try {
      if (cancelled()) return { outcome: 'cancelled' };
      await this.send(encodeStartRestore(run.restoreOptions, this.protocolVersion));
      const messages = await loop.run();
      return { outcome: 'restored', messages };
    } catch (error) {
      if (cancelled()) return { outcome: 'cancelled' };
      throw translate(error, 'the restore');
    } finally {
      for (const signal of external) signal.removeEventListener('abort', onAbort);
      stop.abort();
      this.close();
    }
  }

  /** @internal the loop's access to the connection */
  receive(signal: AbortSignal): Promise<PlistValue> {
    return this.channel.receive({ signal });
  }

  /** @internal */
  send(value: PlistValue, format?: PlistFormat): Promise<void> {
    return this.sendQueue.run(() => this.channel.send(value, format));
  }

  /** @internal */
  exclusive<T>(write: (direct: ReplyChannel) => Promise<T>): Promise<T> {
    return this.sendQueue.run(() => write({ send: (value, format) => this.channel.send(value, format) }));
  }

  /** @internal */
  async openDataPort(port: number, signal: AbortSignal): Promise<Duplex> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.timeouts.dataPortAttempts; attempt++) {
      try {
        return await this.openPort(port, { signal, timeoutMs: this.timeouts.requestMs });
      } catch (error) {
        if (signal.aborted) throw error;
        lastError = error;
      }
      if (attempt < this.timeouts.dataPortAttempts) await sleep(this.timeouts.dataPortRetryMs, signal);
    }
    throw lastError;
  }
}

/** One restore's loop: reads messages while answers run; fails fast on the first fatal one. */
class MessageLoop {
  private readonly progress: RestoredProgressTracker;
  private readonly answerer: DataRequestAnswerer;
  private readonly syncAnswers = new SerialQueue();
  private inFlight = 0;
  private asyncInFlight = 0;
  private failure: unknown = null;
  private crash: string | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly reading = new AbortController();
  private idleExpired = false;
  private readingNow = false;

  constructor(
    private readonly client: RestoredClient,
    private readonly runOptions: RestoreRunOptions,
    private readonly stop: AbortController,
    private readonly timeouts: RestoredTimeouts,
    private readonly options: RestoredClientOptions,
  ) {
    this.progress = new RestoredProgressTracker(client.protocolVersion);
    const main: MainReplyChannel = { exclusive: (write) => client.exclusive(write) };
    this.answerer = new DataRequestAnswerer({
      provider: runOptions.provider,
      main,
      openPort: (port, signal) => client.openDataPort(port, signal),
      onEvent: (event) => this.emit(event),
      maxRawInputBytes: options.maxRawInputBytes ?? DEFAULT_MAX_RAW_INPUT_BYTES,
      rawInputIdleMs: timeouts.rawInputIdleMs,
    });
    stop.signal.addEventListener('abort', () => this.reading.abort(), { once: true });
  }

  async run(): Promise<number> {
    const maxMessages = this.options.maxMessages ?? DEFAULT_MAX_MESSAGES;
    try {
      for (let count = 1; ; count++) {
        if (count > maxMessages) throw new RestoredError('protocol', `restored sent more than ${maxMessages} messages`);
        this.readingNow = true;
        this.armIdle();
        let value: PlistValue;
        try {
          value = await this.client.receive(this.reading.signal);
        } catch (error) {
          throw this.readFailure(error);
        } finally {
          this.readingNow = false;
          this.disarmIdle();
        }
        if (this.failure) throw this.failure;
        if (await this.handle(value)) return count;
      }
    } finally {
      this.disarmIdle();
    }
  }

  /** True when the restore has finished. */
  private async handle(value: PlistValue): Promise<boolean> {
    const envelope = parse(RestoredMessageEnvelopeSchema, value, 'message (no MsgType)');
    switch (envelope.MsgType) {
      case 'DataRequestMsg':
      case 'AsyncDataRequestMsg': {
        const message = parse(DataRequestMsgSchema, value, `${envelope.MsgType}`);
        if (message.MsgType === 'AsyncDataRequestMsg') {
          const limit = this.options.maxConcurrentAsync ?? DEFAULT_MAX_CONCURRENT_ASYNC;
          if (this.asyncInFlight >= limit) throw new RestoredError('protocol', `restored asked for more than ${limit} answers at once`);
          this.asyncInFlight++;
          this.track(this.answerer.answer(message, this.stop.signal).finally(() => this.asyncInFlight--));
        } else {
          this.track(this.syncAnswers.run(() => this.answerer.answer(message, this.stop.signal)));
        }
        return false;
      }
      case 'ProgressMsg': {
        const message = parse(ProgressMsgSchema, value, 'ProgressMsg');
        const progress = this.progress.update(message.Operation, message.Progress);
        this.runOptions.onProgress?.(progress);
        this.emit({ type: 'progress', progress });
        return false;
      }
      case 'StatusMsg':
        return this.status(parse(StatusMsgSchema, value, 'StatusMsg'));
      case 'CheckpointMsg': {
        const message = parse(CheckpointMsgSchema, value, 'CheckpointMsg');
        this.emit({
          type: 'checkpoint',
          id: message.CHECKPOINT_ID,
          name: message.CHECKPOINT_NAME ?? 'unknown',
          complete: message.CHECKPOINT_COMPLETE === true,
          result: message.CHECKPOINT_RESULT ?? null,
          ...(message.CHECKPOINT_WARNING !== undefined ? { warning: message.CHECKPOINT_WARNING } : {}),
          ...(message.CHECKPOINT_ERROR !== undefined ? { error: message.CHECKPOINT_ERROR } : {}),
        });
        return false;
      }
      case 'PreviousRestoreLogMsg':
        this.emit({
          type: 'previous-restore-log',
          log: parse(PreviousRestoreLogMsgSchema, value, 'PreviousRestoreLogMsg').PreviousRestoreLog,
        });
        return false;
      case 'RestoredCrash': {
        const trace = parse(RestoredCrashSchema, value, 'RestoredCrash').RestoredBacktrace;
        this.crash = Array.isArray(trace) ? trace.join('\n') : (trace ?? '');
        this.emit({ type: 'crash', backtrace: this.crash });
        return false;
      }
      case 'BBUpdateStatusMsg': {
        const message = parse(BBUpdateStatusMsgSchema, value, 'BBUpdateStatusMsg');
        this.emit({ type: 'baseband-status', accepted: message.Accepted ?? null });
        if (message.Accepted === false) throw new RestoredError('baseband-rejected', 'The phone did not accept the baseband update');
        return false;
      }
      case 'BasebandUpdaterOutputData': {
        const message = parse(BasebandUpdaterOutputDataSchema, value, 'BasebandUpdaterOutputData');
        const request = { dataType: 'BasebandUpdaterOutputData', arguments: {}, async: false, signal: this.stop.signal };
        this.track(this.syncAnswers.run(() => this.answerer.collectUpdaterOutput(request, message.DataPort)));
        return false;
      }
      case 'RestoreAttestation':
        await this.client.send(encodeAttestationDeclined());
        this.emit({ type: 'attestation-declined' });
        return false;
      case 'AsyncWait':
        this.emit({ type: 'async-wait' });
        return false;
      default:
        this.emit({ type: 'unknown-message', msgType: envelope.MsgType });
        return false;
    }
  }

  private async status(message: { Status: number | bigint; AMRError?: number | bigint; Log?: string }): Promise<boolean> {
    const { meaning } = describeRestoredStatus(message.Status);
    this.emit({ type: 'status', status: message.Status, meaning, ...(message.Log !== undefined ? { log: message.Log } : {}) });
    if (message.Status === RESTORED_STATUS_SUCCESS) {
      await this.client.send(encodeReceivedFinalStatus());
      const fraction = this.progress.finish();
      const done: RestoredProgress = { operation: 0, name: 'restore finished', stage: 'finishing', percent: 100, fraction };
      this.runOptions.onProgress?.(done);
      return true;
    }
    throw new RestoredError('status', `The phone's restore failed with status ${String(message.Status)} (${meaning})`, {
      status: message.Status,
      ...(message.AMRError !== undefined ? { amrError: message.AMRError } : {}),
      ...(message.Log !== undefined ? { log: message.Log } : {}),
    });
  }

  private track(answer: Promise<void>): void {
    this.inFlight++;
    this.disarmIdle();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new RestoredError('timeout', `An answer to the phone took longer than ${this.timeouts.answerMs} ms`)),
        this.timeouts.answerMs,
      );
    });
    Promise.race([answer, deadline])
      .finally(() => clearTimeout(timer))
      .catch((error: unknown) => {
        if (!this.failure) this.failure = error;
        // Wake the reader: the restore cannot go on without this answer.
        this.reading.abort();
      })
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0 && this.readingNow) this.armIdle();
      });
  }

  private readFailure(error: unknown): unknown {
    if (this.failure) return this.failure;
    if (this.idleExpired) return new RestoredError('timeout', `restored sent nothing for ${this.timeouts.messageIdleMs} ms`);
    if (error instanceof StreamClosedError && this.crash !== null) {
      return new RestoredError('crashed', 'restored crashed on the phone', { log: this.crash, cause: error });
    }
    return translate(error, 'the restore');
  }

  /** The idle clock runs only while none of our answers is in progress: a long ASR stream is not the phone's silence. */
  private armIdle(): void {
    this.disarmIdle();
    if (this.inFlight > 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.inFlight > 0) return;
      this.idleExpired = true;
      this.reading.abort();
    }, this.timeouts.messageIdleMs);
  }

  private disarmIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private emit(event: RestoredEvent): void {
    this.runOptions.onEvent?.(event);
  }
}
