import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { StreamClosedError, WireAbortedError, WireTimeoutError } from '../wire/byte-reader';
import { FrameTooLargeError, PlistChannel } from '../plist/framing';
import { PlistError } from '../plist/plist-codec';
import { isPlistDict } from '../plist/plist-value';
import type { PlistDict, PlistValue } from '../plist/plist-value';
import type { PairRecord } from './pair-record';
import { hostTlsOptions } from './tls-options';
import { isPairedPhone } from './phone-pin';
import { LOCKDOWN_ERROR_INFO, LOCKDOWN_SERVICE_PORT, LockdownError as LockdownErrorString } from './lockdown-wire';
import type { LockdownErrorName } from './lockdown-wire';
import { plistUint } from '../usbmux/usbmux-wire';
import type { UsbmuxClient, UsbmuxRequestOptions } from '../usbmux/usbmux-client';

/** Failures that are not a device `Error` string: our side of the conversation. */
export type LockdownLocalFailure =
  /** The device sent an Error string we do not know (see `deviceError`), or `Result: Failure` (iOS < 5). */
  | 'UnknownError'
  /** No complete reply within the bound. The connection is closed afterwards. */
  | 'Timeout'
  | 'ConnectionClosed'
  /** Oversized frame, unreadable plist, wrong reply shape. The connection is closed afterwards. */
  | 'ProtocolError'
  | 'SslError'
  /**
   * The TLS peer is not the phone in the pair record (its key is not the DeviceCertificate's), or the session is
   * not TLS and so proves nothing. The connection is closed; no service was started and no escrow bag sent.
   */
  | 'PhoneIdentityMismatch';

export type LockdownFailureCode = LockdownErrorName | LockdownLocalFailure;

const KNOWN_DEVICE_ERRORS: ReadonlySet<string> = new Set(Object.values(LockdownErrorString));
const MAX_ERROR_STRING = 256;

/** A lockdown request that did not succeed; `code` is the device's Error string when it sent a known one. */
export class LockdownError extends Error {
  constructor(
    readonly code: LockdownFailureCode,
    readonly request: string,
    message: string,
    readonly details: { deviceError?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'LockdownError';
  }

  /** libimobiledevice's number for this error (what its tools print), when it has one. */
  get libimobiledeviceCode(): number | undefined {
    return LOCKDOWN_ERROR_INFO[this.code]?.code;
  }

  static fromDevice(request: string, deviceError: string): LockdownError {
    const bounded = deviceError.slice(0, MAX_ERROR_STRING);
    const known = KNOWN_DEVICE_ERRORS.has(bounded);
    const code: LockdownFailureCode = known ? (bounded as LockdownErrorName) : 'UnknownError';
    const info = LOCKDOWN_ERROR_INFO[bounded];
    const text = info ? `${info.text} (${info.code})` : bounded;
    return new LockdownError(code, request, `${request}: ${text}`, { deviceError: bounded });
  }
}

export type LockdownClientOptions = {
  /** Sent as `Label` with every request (the tool name in device logs). */
  label?: string;
  /** Bound on every request (send → complete reply). */
  timeoutMs?: number;
  /** Bound for GetValue when different (some devices are slow to build the full dict). */
  getValueTimeoutMs?: number;
  /** Largest reply accepted. */
  maxReplyBytes?: number;
};

export type LockdownRequestOptions = { timeoutMs?: number };

export type LockdownSession = { sessionId: string; ssl: boolean };

export type StartSessionOptions = LockdownRequestOptions & {
  /**
   * Client certificate for the session TLS: 'host' (pymobiledevice3, GnuTLS builds) or 'root' (libimobiledevice
   * 1.3.0 with OpenSSL). Devices accept either (docs/protocols/lockdown.md#tls-roles).
   */
  certificate?: 'host' | 'root';
  /** Cap TLS at 1.0, as libimobiledevice does for devices below iOS 10 (docs/protocols/lockdown.md#tls-versions). */
  legacyTls?: boolean;
};

export type StartedService = { service: string; port: number; ssl: boolean };

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_REPLY_BYTES = 4 * 1024 * 1024;
/** How long to wait for the device's close_notify after ours, before going back to plaintext. */
const TLS_TEARDOWN_MS = 250;

/**
 * Carries TLS records over the raw lockdown stream without handing the stream to TLS for good, so the session can
 * end and the same socket continue in plaintext (docs/protocols/lockdown.md#tls-roles: StopSession, close_notify, plaintext).
 */
class TlsCarrier extends Duplex {
  private attached = true;
  private readonly onData = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.raw.pause();
  };
  private readonly onEnd = (): void => {
    this.push(null);
  };
  private readonly onClose = (): void => {
    if (this.attached) this.destroy();
  };

  constructor(private readonly raw: Duplex) {
    super();
    raw.on('data', this.onData);
    raw.on('end', this.onEnd);
    raw.on('close', this.onClose);
  }

  override _read(): void {
    if (this.attached) this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.attached || this.raw.destroyed) {
      callback();
      return;
    }
    this.raw.write(chunk, (error) => callback(error ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    // TLS ending must not end the raw stream: it may carry plaintext afterwards.
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.detach();
    callback(error);
  }

  /** Stops carrying bytes; the raw stream is left paused for the next reader. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.raw.off('data', this.onData);
    this.raw.off('end', this.onEnd);
    this.raw.off('close', this.onClose);
    this.raw.pause();
  }
}

type Tls = { socket: TLSSocket; carrier: TlsCarrier };

/**
 * Host side of lockdownd (port 62078, docs/protocols/lockdown.md#requests) over any byte stream — normally
 * `UsbmuxClient.connect(deviceId, 62078)`. Requests run one at a time, each with a bounded wait.
 */
export class LockdownClient {
  private channel: PlistChannel;
  private tls: Tls | null = null;
  private session: LockdownSession | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private isClosed = false;
  private readonly label: string;
  private readonly timeoutMs: number;
  private readonly getValueTimeoutMs: number;
  private readonly maxReplyBytes: number;

  constructor(
    private readonly raw: Duplex,
    options: LockdownClientOptions = {},
  ) {
    this.label = options.label ?? 'lifeline';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.getValueTimeoutMs = options.getValueTimeoutMs ?? this.timeoutMs;
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    raw.on('error', () => undefined);
    raw.once('close', () => {
      this.isClosed = true;
    });
    this.channel = this.plainChannel();
  }

  /** Opens port 62078 on a device through usbmuxd. */
  static async connect(
    usbmux: UsbmuxClient,
    deviceId: number,
    options: LockdownClientOptions & { usbmux?: UsbmuxRequestOptions } = {},
  ): Promise<LockdownClient> {
    const stream = await usbmux.connect(deviceId, LOCKDOWN_SERVICE_PORT, options.usbmux);
    return new LockdownClient(stream, options);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get activeSession(): LockdownSession | null {
    return this.session;
  }

  /** 'com.apple.mobile.lockdown' in normal mode, 'com.apple.mobile.restored' in restore mode. */
  async queryType(options: LockdownRequestOptions = {}): Promise<string> {
    const reply = await this.request('QueryType', {}, options);
    const type = reply.Type;
    if (typeof type !== 'string' || type.length > 256) throw this.malformed('QueryType', 'no Type in the reply');
    return type;
  }

  /**
   * One value (key given) or a whole domain (key absent); the default domain when `domain` is absent.
   * Without a session only a whitelisted subset is readable (docs/protocols/lockdown.md#values-before-a-session) — the rest is GetProhibited.
   * Resolves undefined when the device answers without a Value.
   */
  async getValue(query: { domain?: string; key?: string } = {}, options: LockdownRequestOptions = {}): Promise<PlistValue | undefined> {
    const fields: PlistDict = {};
    if (query.domain !== undefined) fields.Domain = query.domain;
    if (query.key !== undefined) fields.Key = query.key;
    const reply = await this.request('GetValue', fields, { timeoutMs: options.timeoutMs ?? this.getValueTimeoutMs });
    return reply.Value;
  }

  /**
   * StartSession with a pair record's HostID/SystemBUID; when the device enables SSL, TLS is wrapped around this
   * same stream (host = TLS client, docs/protocols/lockdown.md#tls-roles, docs/protocols/lockdown.md#tls-on-node-and-openssl-3) and later requests travel inside it.
   */
  startSession(record: PairRecord, options: StartSessionOptions = {}): Promise<LockdownSession> {
    return this.serial(async () => {
      if (this.session)
        throw new LockdownError(LockdownErrorString.SessionActive, 'StartSession', 'StartSession: a session is already active');
      const timeoutMs = options.timeoutMs ?? this.timeoutMs;
      const reply = await this.exchange('StartSession', { HostID: record.HostID, SystemBUID: record.SystemBUID }, timeoutMs);
      const sessionId = reply.SessionID;
      if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > 256) {
        this.close();
        throw this.malformed('StartSession', 'no SessionID in the reply');
      }
      const ssl = reply.EnableSessionSSL === true;
      if (ssl) await this.upgrade(record, options, timeoutMs);
      this.session = { sessionId, ssl };
      return this.session;
    });
  }

  /** Ends the session; with SSL, TLS is closed (close_notify) and the stream continues in plaintext. */
  stopSession(options: LockdownRequestOptions = {}): Promise<void> {
    return this.serial(async () => {
      const session = this.session;
      if (!session) return;
      await this.exchange('StopSession', { SessionID: session.sessionId }, options.timeoutMs ?? this.timeoutMs);
      this.session = null;
      await this.downgrade();
    });
  }

  /**
   * Asks lockdownd to start a service; connect to `port` through usbmuxd next (docs/protocols/lockdown.md#service-connections).
   * The escrow bag unlocks the phone's data: it is only sent inside a TLS session with the pinned phone.
   */
  async startService(name: string, options: LockdownRequestOptions & { escrowBag?: Uint8Array } = {}): Promise<StartedService> {
    const fields: PlistDict = { Service: name };
    if (options.escrowBag) {
      if (!this.session?.ssl) {
        throw new LockdownError(
          'PhoneIdentityMismatch',
          'StartService',
          'StartService: the escrow bag is only sent inside a TLS session with the paired phone',
        );
      }
      fields.EscrowBag = options.escrowBag;
    }
    const reply = await this.request('StartService', fields, options);
    const port = plistUint(reply.Port);
    if (port === undefined || port < 1 || port > 65535) throw this.malformed('StartService', 'no valid Port in the reply');
    return { service: name, port, ssl: reply.EnableServiceSSL === true };
  }

  /** Reboots the phone into recovery mode. iOS 14.5+ needs a session first (SessionInactive otherwise). */
  async enterRecovery(options: LockdownRequestOptions = {}): Promise<void> {
    await this.request('EnterRecovery', {}, options);
  }

  /** Polite end of the conversation; the connection is closed afterwards either way. */
  async goodbye(options: LockdownRequestOptions = {}): Promise<void> {
    try {
      await this.request('Goodbye', {}, options);
    } catch (error) {
      if (!(error instanceof LockdownError && error.code === 'ConnectionClosed')) throw error;
    } finally {
      this.close();
    }
  }

  /** Sends any request and returns the reply dict (Request echoed, no Error). */
  request(name: string, fields: PlistDict = {}, options: LockdownRequestOptions = {}): Promise<PlistDict> {
    return this.serial(() => this.exchange(name, fields, options.timeoutMs ?? this.timeoutMs));
  }

  close(): void {
    if (this.tls) {
      this.tls.carrier.detach();
      this.tls.socket.destroy();
      this.tls = null;
    }
    this.session = null;
    this.isClosed = true;
    this.raw.destroy();
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async exchange(name: string, fields: PlistDict, timeoutMs: number): Promise<PlistDict> {
    if (this.isClosed) throw new LockdownError('ConnectionClosed', name, `${name}: the lockdown connection is closed`);
    let reply: PlistValue;
    try {
      await this.channel.send({ Label: this.label, Request: name, ...fields });
      reply = await this.channel.receive({ timeoutMs, maxBytes: this.maxReplyBytes });
    } catch (error) {
      throw this.transportFailure(name, error, timeoutMs);
    }
    if (!isPlistDict(reply)) {
      this.close();
      throw this.malformed(name, 'the reply is not a dictionary');
    }
    // docs/protocols/lockdown.md#requests: replies echo Request; anything else means we are out of step with the device.
    if (reply.Request !== name) {
      this.close();
      throw this.malformed(name, `the reply is for ${typeof reply.Request === 'string' ? reply.Request.slice(0, 64) : 'no request'}`);
    }
    if (typeof reply.Error === 'string') throw LockdownError.fromDevice(name, reply.Error);
    if (reply.Result === 'Failure') throw new LockdownError('UnknownError', name, `${name}: the device answered Failure`);
    return reply;
  }

  private transportFailure(name: string, error: unknown, timeoutMs: number): LockdownError {
    if (error instanceof LockdownError) return error;
    if (error instanceof WireTimeoutError) {
      // A late reply would be read as the answer to the next request: this connection is done.
      this.close();
      return new LockdownError('Timeout', name, `${name}: no answer from lockdownd within ${timeoutMs} ms`, { cause: error });
    }
    if (error instanceof StreamClosedError || error instanceof WireAbortedError) {
      this.close();
      return new LockdownError('ConnectionClosed', name, `${name}: the connection closed before the reply`, { cause: error });
    }
    this.close();
    if (error instanceof FrameTooLargeError || error instanceof PlistError) {
      return new LockdownError('ProtocolError', name, `${name}: unreadable reply (${error.message})`, { cause: error });
    }
    return new LockdownError('ConnectionClosed', name, `${name}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }

  private malformed(name: string, why: string): LockdownError {
    return new LockdownError('ProtocolError', name, `${name}: ${why}`);
  }

  private plainChannel(): PlistChannel {
    return new PlistChannel(this.raw, { format: 'xml', maxBytes: this.maxReplyBytes });
  }

  private async upgrade(record: PairRecord, options: StartSessionOptions, timeoutMs: number): Promise<void> {
    // docs/protocols/lockdown.md#tls-on-node-and-openssl-3 items 3–4: stop reading plaintext, keep what was already read, and move the framer to TLS.
    this.raw.pause();
    const early = this.channel.reader.release();
    if (early.length > 0) this.raw.unshift(early);
    const carrier = new TlsCarrier(this.raw);
    const identity =
      options.certificate === 'root'
        ? { certificatePem: record.RootCertificate, privateKeyPem: record.RootPrivateKey }
        : { certificatePem: record.HostCertificate, privateKeyPem: record.HostPrivateKey };
    let socket: TLSSocket;
    try {
      socket = tlsConnect({ socket: carrier, ...hostTlsOptions(identity, { legacyTls: options.legacyTls === true }) });
    } catch (error) {
      carrier.destroy();
      this.close();
      throw new LockdownError(
        'SslError',
        'StartSession',
        `StartSession: cannot use the pair record's certificate (${(error as Error).message})`,
        { cause: error },
      );
    }
    socket.on('error', () => undefined);
    this.tls = { socket, carrier };
    try {
      await handshake(socket, timeoutMs);
    } catch (error) {
      this.close();
      throw new LockdownError('SslError', 'StartSession', `StartSession: TLS handshake failed (${(error as Error).message})`, {
        cause: error,
      });
    }
    if (!isPairedPhone(socket, record.DeviceCertificate)) {
      this.close();
      throw new LockdownError(
        'PhoneIdentityMismatch',
        'StartSession',
        "StartSession: the phone's certificate is not the one in the pair record; this is not the phone this computer paired with",
      );
    }
    this.channel = new PlistChannel(socket, { format: 'xml', maxBytes: this.maxReplyBytes });
  }

  private async downgrade(): Promise<void> {
    const current = this.tls;
    if (!current) return;
    const tls: Tls = current;
    this.tls = null;
    this.channel.reader.release();
    // Send our close_notify and give the device a moment to answer with its own, so it does not land in plaintext.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, TLS_TEARDOWN_MS);
      tls.socket.once('end', done);
      tls.socket.once('close', done);
      function done(): void {
        clearTimeout(timer);
        tls.socket.off('end', done);
        tls.socket.off('close', done);
        resolve();
      }
      tls.socket.end();
    });
    tls.carrier.detach();
    tls.socket.destroy();
    if (this.raw.destroyed || this.raw.readableEnded) this.isClosed = true;
    this.channel = this.plainChannel();
  }
}

function handshake(socket: TLSSocket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    const onSecure = (): void => done();
    const onError = (error: Error): void => done(error);
    const onClose = (): void => done(new Error('the connection closed during the TLS handshake'));
    function done(error?: Error): void {
      clearTimeout(timer);
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve();
    }
    socket.once('secureConnect', onSecure);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}
