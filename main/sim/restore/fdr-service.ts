/**
 * The virtual phone's FDR side in restore mode (docs/protocols/fdr.md): port 1082 takes the host's BeginCtrl and
 * answers the ConnPort, then asks for a data connection (sync); on ConnPort it takes HelloConn, pings the host and,
 * when a proxy target is set, asks the host to tunnel to it and checks that bytes come back through the tunnel.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  FDR_BEGIN_CTRL,
  FDR_CTRL_PROTOCOL_VERSION,
  FDR_HELLO_CONN,
  FDR_PROXY_ACK,
  FdrCommand,
  FdrProtocolError,
  encodeFdrCommand,
  encodeFdrPlist,
  encodeProxyConnect,
  readFdrPlist,
  type FdrProxyTarget,
} from '../../fdr/fdr-wire';
import { ByteReader } from '../../wire/byte-reader';

export const SIM_FDR_CONN_PORT = 1083;
const TIMEOUT_MS = 10_000;

export type FdrServiceEvent = 'begin-ctrl' | 'hello-conn' | 'pong' | 'proxied' | 'failed';

export type FdrServiceOptions = {
  connPort?: number;
  identifier?: string;
  /** Ask the host to tunnel here after the ping, and send this through the tunnel expecting it echoed back. */
  proxy?: { target: FdrProxyTarget; payload: Buffer };
};

function write(stream: Duplex, bytes: Buffer): void {
  if (!stream.destroyed) stream.write(bytes);
}

export class FdrService {
  readonly events = new EventEmitter();
  readonly connPort: number;
  private readonly identifier: string;
  private readonly happened = new Set<FdrServiceEvent>();
  /** Why the last exchange failed (tests read it after 'failed'). */
  lastProblem: string | null = null;

  constructor(private readonly options: FdrServiceOptions = {}) {
    this.connPort = options.connPort ?? SIM_FDR_CONN_PORT;
    this.identifier = options.identifier ?? randomUUID().toUpperCase();
    this.events.on('error', () => undefined);
  }

  /** Resolves once `event` has happened (at once if it already has). */
  async waitFor(event: FdrServiceEvent): Promise<void> {
    if (!this.happened.has(event)) await once(this.events, event);
  }

  serveControl(stream: Duplex): void {
    this.run(stream, async (reader) => {
      const greeting = await reader.read(FDR_BEGIN_CTRL.length, { timeoutMs: TIMEOUT_MS });
      if (!greeting.equals(FDR_BEGIN_CTRL)) throw new FdrProtocolError('the host did not say BeginCtrl');
      const begin = await readFdrPlist(reader, { timeoutMs: TIMEOUT_MS });
      if (begin.Command !== 'BeginCtrl' || begin.CtrlProtoVersion !== FDR_CTRL_PROTOCOL_VERSION)
        throw new FdrProtocolError('unexpected BeginCtrl plist');
      write(stream, encodeFdrPlist({ ConnPort: this.connPort }));
      this.note('begin-ctrl');
      write(stream, Buffer.concat([encodeFdrCommand(FdrCommand.Sync), Buffer.alloc(2)]));
    });
  }

  serveConn(stream: Duplex): void {
    this.run(stream, async (reader) => {
      const greeting = await reader.read(FDR_HELLO_CONN.length, { timeoutMs: TIMEOUT_MS });
      if (!greeting.equals(FDR_HELLO_CONN)) throw new FdrProtocolError('the host did not say HelloConn');
      write(stream, encodeFdrPlist({ Command: 'HelloConn', Identifier: this.identifier }));
      this.note('hello-conn');
      write(stream, Buffer.concat([encodeFdrCommand(FdrCommand.Plist), encodeFdrPlist({ Command: 'Ping' })]));
      const pong = await readFdrPlist(reader, { timeoutMs: TIMEOUT_MS });
      if (pong.Pong !== true) throw new FdrProtocolError('the host did not answer Pong');
      this.note('pong');
      const proxy = this.options.proxy;
      if (!proxy) return;
      const request = encodeProxyConnect(proxy.target);
      write(stream, Buffer.concat([encodeFdrCommand(FdrCommand.Proxy), request]));
      const ack = await reader.read(2, { timeoutMs: TIMEOUT_MS });
      if (ack.readUInt16LE(0) !== FDR_PROXY_ACK) throw new FdrProtocolError('the host did not acknowledge the proxy command');
      const echo = await reader.read(request.length, { timeoutMs: TIMEOUT_MS });
      if (!echo.equals(request)) throw new FdrProtocolError('the host did not echo the proxy request');
      write(stream, proxy.payload);
      const back = await reader.read(proxy.payload.length, { timeoutMs: TIMEOUT_MS });
      if (!back.equals(proxy.payload)) throw new FdrProtocolError('the tunnel changed the bytes');
      this.note('proxied');
    });
  }

  private note(event: FdrServiceEvent): void {
    this.happened.add(event);
    this.events.emit(event);
  }

  private run(stream: Duplex, exchange: (reader: ByteReader) => Promise<void>): void {
    stream.on('error', () => undefined);
    const reader = new ByteReader(stream);
    exchange(reader).catch((error: unknown) => {
      this.lastProblem = error instanceof Error ? error.message : String(error);
      this.note('failed');
      stream.destroy();
    });
  }
}
