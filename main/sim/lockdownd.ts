import { randomBytes, randomUUID, createPublicKey, X509Certificate } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { PlistChannel } from '../plist/framing';
import { isPlistDict } from '../plist/plist-value';
import type { PlistDict, PlistValue } from '../plist/plist-value';
import {
  GetValueRequestSchema,
  LOCKDOWN_TYPE,
  LockdownError,
  PairRequestSchema,
  StartServiceRequestSchema,
  StartSessionRequestSchema,
  lockdownErrorReply,
  lockdownReply,
} from '../lockdown/lockdown-wire';
import type { LockdownErrorName } from '../lockdown/lockdown-wire';
import { deviceSecureContext, upgradeToDeviceTls } from '../lockdown/tls-options';
import { iosAtLeast } from './scenario';
import type { EventEmitter } from 'node:events';
import type { PlistDict as LockdownDomain } from '../plist/plist-value';
import type { TlsIdentity } from '../lockdown/tls-options';
import type { PhoneHardware } from './hardware/phone-hardware';
import type { Scenario } from './scenario';
import type { PairedHost, TrustDialogAnswer } from './paired-host';

/** What lockdownd needs from the phone it runs on. */
export interface LockdowndPhone {
  readonly scenario: Scenario;
  readonly hardware: PhoneHardware;
  readonly events: EventEmitter;
  readonly devicePublicKeyPem: string;
  lockdownDomain(domain: string | undefined, inSession?: boolean): LockdownDomain | undefined;
  lockdownValue(domain: string | undefined, key: string, inSession?: boolean): PlistValue | undefined;
  setLockdownValue(domain: string | undefined, key: string, value: PlistValue): boolean;
  trustDialogAnswer(): TrustDialogAnswer;
  pairedHost(hostId: string): PairedHost | undefined;
  addPairedHost(host: PairedHost): void;
  removePairedHost(hostId: string): boolean;
  tlsIdentity(host: PairedHost): Promise<TlsIdentity>;
  sessionStarted(): void;
  sessionEnded(): void;
  startService(
    name: string,
    request: { host: PairedHost | null; escrowBag: Uint8Array | undefined },
  ): { port: number; ssl: boolean } | LockdownErrorName;
}

const MAX_REQUEST_BYTES = 1024 * 1024;
/** Real lockdownd drops a connection that stays silent; keep it generous for interactive tools. */
const IDLE_TIMEOUT_MS = 120_000;
const TLS_HANDSHAKE_TIMEOUT_MS = 15_000;

/** Emitted on the phone's `events` for every request lockdownd receives, before it is handled. */
export const LOCKDOWN_REQUEST_EVENT = 'lockdown-request';

/** What a test may learn of a received request; the escrow bag itself is never passed around. */
export type ReceivedLockdownRequest = { request: string; service?: string; inSession: boolean; withEscrowBag: boolean };

type Connection = {
  channel: PlistChannel;
  session: { id: string; host: PairedHost } | null;
  closed: boolean;
};

/** The device side of port 62078 (docs/protocols/lockdown.md#requests). One instance per phone; serve() per connection. */
export class Lockdownd {
  constructor(private readonly phone: LockdowndPhone) {}

  serve(stream: Duplex): void {
    stream.on('error', () => undefined);
    const connection: Connection = {
      channel: new PlistChannel(stream, { format: 'xml', maxBytes: MAX_REQUEST_BYTES }),
      session: null,
      closed: false,
    };
    this.loop(connection)
      .catch(() => connection.channel.stream.destroy())
      .finally(() => {
        connection.closed = true;
        if (connection.session) this.phone.sessionEnded();
        connection.session = null;
      });
  }

  private async loop(connection: Connection): Promise<void> {
    while (!connection.closed) {
      const request = await connection.channel.receive({ timeoutMs: IDLE_TIMEOUT_MS });
      // A request we cannot even name gets no answer: the real daemon drops the connection.
      if (!isPlistDict(request) || typeof request.Request !== 'string' || request.Request.length > 256) {
        connection.channel.close();
        return;
      }
      const received: ReceivedLockdownRequest = {
        request: request.Request,
        inSession: connection.session !== null,
        withEscrowBag: request.EscrowBag instanceof Uint8Array,
      };
      if (typeof request.Service === 'string') received.service = request.Service.slice(0, 256);
      this.phone.events.emit(LOCKDOWN_REQUEST_EVENT, received);
      await this.handle(connection, request.Request, request);
    }
  }

  private async reply(connection: Connection, dict: PlistDict): Promise<void> {
    await connection.channel.send(dict);
  }

  private error(connection: Connection, request: string, error: LockdownErrorName): Promise<void> {
    return this.reply(connection, lockdownErrorReply(request, error));
  }

  private async handle(connection: Connection, name: string, request: PlistDict): Promise<void> {
    const phone = this.phone;
    switch (name) {
      case 'QueryType':
        return this.reply(connection, lockdownReply(name, { Type: LOCKDOWN_TYPE }));
      case 'GetValue':
        return this.getValue(connection, request);
      case 'SetValue':
        return this.setValue(connection, request);
      case 'RemoveValue':
        // The simulator has nothing a host may remove.
        return this.error(connection, name, LockdownError.RemoveProhibited);
      case 'Pair':
        return this.pair(connection, request);
      case 'ValidatePair':
        return this.validatePair(connection, request);
      case 'Unpair':
        return this.unpair(connection, request);
      case 'StartSession':
        return this.startSession(connection, request);
      case 'StopSession':
        return this.stopSession(connection, request);
      case 'StartService':
        return this.startService(connection, request);
      case 'EnterRecovery': {
        // docs/protocols/lockdown.md#requests: iOS 14.5+ wants a paired session first.
        if (iosAtLeast(phone.scenario, '14.5') && !connection.session) {
          return this.error(connection, name, LockdownError.SessionInactive);
        }
        await this.reply(connection, lockdownReply(name));
        setTimeout(() => phone.hardware.enterRecovery(), 20);
        return;
      }
      case 'Goodbye':
        await this.reply(connection, lockdownReply(name));
        connection.closed = true;
        connection.channel.stream.end();
        return;
      case 'Activate':
      case 'Deactivate':
        if (!connection.session) return this.error(connection, name, LockdownError.SessionInactive);
        return this.reply(connection, lockdownReply(name));
      default:
        return this.error(connection, name, LockdownError.InvalidRequest);
    }
  }

  private async getValue(connection: Connection, request: PlistDict): Promise<void> {
    const parsed = GetValueRequestSchema.safeParse(request);
    if (!parsed.success) return this.error(connection, 'GetValue', LockdownError.MissingValue);
    const { Domain: domain, Key: key } = parsed.data;
    const inSession = connection.session !== null;
    const echo: PlistDict = {};
    if (domain !== undefined) echo.Domain = domain;
    if (key !== undefined) echo.Key = key;
    if (key === undefined) {
      const dict = this.phone.lockdownDomain(domain, inSession);
      if (dict === undefined) {
        const error = !inSession && domain !== undefined ? LockdownError.GetProhibited : LockdownError.MissingValue;
        return this.reply(connection, lockdownErrorReply('GetValue', error, echo));
      }
      return this.reply(connection, lockdownReply('GetValue', { ...echo, Value: dict }));
    }
    const value = this.phone.lockdownValue(domain, key, inSession);
    if (value === undefined) {
      const prohibited = !inSession && this.phone.lockdownValue(domain, key, true) !== undefined;
      return this.reply(
        connection,
        lockdownErrorReply('GetValue', prohibited ? LockdownError.GetProhibited : LockdownError.MissingValue, echo),
      );
    }
    return this.reply(connection, lockdownReply('GetValue', { ...echo, Value: value }));
  }

  private async setValue(connection: Connection, request: PlistDict): Promise<void> {
    const domain = typeof request.Domain === 'string' ? request.Domain : undefined;
    const key = typeof request.Key === 'string' ? request.Key : undefined;
    const value = request.Value;
    // docs/protocols/lockdown.md#what-usbmuxd-does-on-attach: usbmuxd sets UntrustedHostBUID before any session; everything else needs one.
    const allowedWithoutSession = domain === undefined && key === 'UntrustedHostBUID';
    if (!connection.session && !allowedWithoutSession) return this.error(connection, 'SetValue', LockdownError.SetProhibited);
    if (key === undefined || value === undefined) return this.error(connection, 'SetValue', LockdownError.MissingValue);
    if (!this.phone.setLockdownValue(domain, key, value)) return this.error(connection, 'SetValue', LockdownError.ImmutableValue);
    return this.reply(connection, lockdownReply('SetValue'));
  }

  private async pair(connection: Connection, request: PlistDict): Promise<void> {
    const phone = this.phone;
    const parsed = PairRequestSchema.safeParse(request);
    if (!parsed.success) return this.error(connection, 'Pair', LockdownError.InvalidPairRecord);
    const record = parsed.data.PairRecord;
    if (!record.DeviceCertificate || !record.HostCertificate || !record.RootCertificate) {
      return this.error(connection, 'Pair', LockdownError.InvalidPairRecord);
    }
    if (!certificateMatchesDeviceKey(record.DeviceCertificate, phone.devicePublicKeyPem)) {
      return this.error(connection, 'Pair', LockdownError.InvalidPairRecord);
    }
    // docs/protocols/lockdown.md#trust-dialog: since iOS 7 the Trust dialog decides; a locked phone cannot show it.
    // docs/protocols/lockdown.md#after-an-erase: a phone still in its setup assistant pairs without asking.
    if (iosAtLeast(phone.scenario, '7.0')) {
      if (!record.SystemBUID) return this.error(connection, 'Pair', LockdownError.InvalidPairRecord);
    }
    if (iosAtLeast(phone.scenario, '7.0') && phone.scenario.setupDone) {
      if (phone.scenario.passcodeSet && phone.scenario.locked) return this.error(connection, 'Pair', LockdownError.PasswordProtected);
      const answer = phone.trustDialogAnswer();
      if (answer === 'pending') return this.error(connection, 'Pair', LockdownError.PairingDialogResponsePending);
      if (answer === 'deny') return this.error(connection, 'Pair', LockdownError.UserDeniedPairing);
    }
    const escrowBag = randomBytes(32);
    phone.addPairedHost({
      hostId: record.HostID,
      systemBuid: record.SystemBUID ?? '',
      hostCertificate: Buffer.from(record.HostCertificate),
      rootCertificate: Buffer.from(record.RootCertificate),
      deviceCertificate: Buffer.from(record.DeviceCertificate),
      escrowBag,
    });
    return this.reply(connection, lockdownReply('Pair', { EscrowBag: escrowBag }));
  }

  private async validatePair(connection: Connection, request: PlistDict): Promise<void> {
    const hostId = pairRecordHostId(request);
    if (hostId === undefined) return this.error(connection, 'ValidatePair', LockdownError.MissingHostID);
    if (!this.phone.pairedHost(hostId)) return this.error(connection, 'ValidatePair', LockdownError.InvalidHostID);
    return this.reply(connection, lockdownReply('ValidatePair'));
  }

  private async unpair(connection: Connection, request: PlistDict): Promise<void> {
    const hostId = pairRecordHostId(request) ?? (typeof request.HostID === 'string' ? request.HostID : undefined);
    if (hostId === undefined) return this.error(connection, 'Unpair', LockdownError.MissingHostID);
    if (!this.phone.removePairedHost(hostId)) return this.error(connection, 'Unpair', LockdownError.InvalidHostID);
    return this.reply(connection, lockdownReply('Unpair'));
  }

  private async startSession(connection: Connection, request: PlistDict): Promise<void> {
    const parsed = StartSessionRequestSchema.safeParse(request);
    if (!parsed.success) return this.error(connection, 'StartSession', LockdownError.MissingHostID);
    if (connection.session) return this.error(connection, 'StartSession', LockdownError.SessionActive);
    const host = this.phone.pairedHost(parsed.data.HostID);
    if (!host) return this.error(connection, 'StartSession', LockdownError.InvalidHostID);
    const sessionId = randomUUID().toUpperCase();
    let context;
    try {
      context = deviceSecureContext(await this.phone.tlsIdentity(host));
    } catch {
      return this.error(connection, 'StartSession', LockdownError.InvalidPairRecord);
    }
    // docs/protocols/lockdown.md#tls-on-node-and-openssl-3 item 3: stop reading plaintext before the reply, keep early bytes for TLS.
    const raw = connection.channel.stream;
    const early = connection.channel.reader.release();
    raw.pause();
    await connection.channel.send(lockdownReply('StartSession', { SessionID: sessionId, EnableSessionSSL: true }));
    const tls = upgradeToDeviceTls(raw, context, early);
    tls.on('error', () => undefined);
    await waitForHandshake(tls);
    connection.channel = new PlistChannel(tls, { format: 'xml', maxBytes: MAX_REQUEST_BYTES });
    connection.session = { id: sessionId, host };
    this.phone.sessionStarted();
  }

  private async stopSession(connection: Connection, request: PlistDict): Promise<void> {
    if (!connection.session) return this.error(connection, 'StopSession', LockdownError.SessionInactive);
    if (typeof request.SessionID !== 'string') return this.error(connection, 'StopSession', LockdownError.MissingSessionID);
    if (request.SessionID !== connection.session.id) return this.error(connection, 'StopSession', LockdownError.InvalidSessionID);
    connection.session = null;
    this.phone.sessionEnded();
    // docs/protocols/lockdown.md#tls-on-node-and-openssl-3 item 5: the tools close right after; Node ends the socket on the peer's close_notify.
    return this.reply(connection, lockdownReply('StopSession'));
  }

  private async startService(connection: Connection, request: PlistDict): Promise<void> {
    const parsed = StartServiceRequestSchema.safeParse(request);
    if (!parsed.success) return this.error(connection, 'StartService', LockdownError.MissingService);
    const name = parsed.data.Service;
    const echo: PlistDict = { Service: name };
    const result = this.phone.startService(name, {
      host: connection.session?.host ?? null,
      escrowBag: parsed.data.EscrowBag,
    });
    if (typeof result === 'string') return this.reply(connection, lockdownErrorReply('StartService', result, echo));
    const reply: PlistDict = { ...echo, Port: result.port };
    if (result.ssl) reply.EnableServiceSSL = true;
    return this.reply(connection, lockdownReply('StartService', reply));
  }
}

function pairRecordHostId(request: PlistDict): string | undefined {
  const record: PlistValue | undefined = request.PairRecord;
  if (!isPlistDict(record)) return undefined;
  return typeof record.HostID === 'string' && record.HostID.length <= 256 ? record.HostID : undefined;
}

function certificateMatchesDeviceKey(certificatePem: Uint8Array, devicePublicKeyPem: string): boolean {
  try {
    const certificate = new X509Certificate(Buffer.from(certificatePem));
    return certificate.publicKey.equals(createPublicKey(devicePublicKeyPem));
  } catch {
    return false;
  }
}

function waitForHandshake(tls: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('TLS handshake timed out')), TLS_HANDSHAKE_TIMEOUT_MS);
    const done = (error?: Error): void => {
      clearTimeout(timer);
      tls.off('secure', onSecure);
      tls.off('error', onError);
      tls.off('close', onClose);
      if (error) {
        tls.destroy();
        reject(error);
      } else resolve();
    };
    const onSecure = (): void => done();
    const onError = (error: Error): void => done(error);
    const onClose = (): void => done(new Error('closed during TLS handshake'));
    tls.once('secure', onSecure);
    tls.once('error', onError);
    tls.once('close', onClose);
  });
}
