/**
 * The host side of the FDR channel (docs/protocols/fdr.md): connects to the phone's port 1082 through usbmuxd,
 * does the control handshake, then serves what the phone asks for as long as the restore runs — a sync opens a
 * second connection to the phone's ConnPort (HelloConn), a Ping is answered with Pong, a proxy request is
 * acknowledged and, when the target passes the policy, tunnelled to a TCP connection the host opens.
 */
import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { ByteReader, StreamClosedError, WireAbortedError, WireTimeoutError } from '../wire/byte-reader';
import {
  FDR_BEGIN_CTRL,
  FDR_CONTROL_PORT,
  FDR_CTRL_PROTOCOL_VERSION,
  FDR_HELLO_CONN,
  FDR_PROXY_ACK,
  FdrCommand,
  FdrProtocolError,
  MAX_FDR_PROXY_REQUEST_BYTES,
  encodeFdrPlist,
  parseProxyConnect,
  readFdrPlist,
  type FdrProxyTarget,
} from './fdr-wire';

export type FdrEvent =
  | { kind: 'control-ready'; connPort: number }
  | { kind: 'connection'; identifier: string | null }
  | { kind: 'ping' }
  | { kind: 'proxy'; target: FdrProxyTarget; allowed: boolean }
  | { kind: 'problem'; message: string };

export type FdrAgentOptions = {
  /** A fresh stream to a TCP port on the phone (through usbmuxd). */
  connect: (port: number, signal: AbortSignal) => Promise<Duplex>;
  /** Where the phone may be tunnelled to (docs/protocols/fdr.md#proxy); default: Apple hosts on port 443. */
  allowProxyTarget?: (target: FdrProxyTarget) => boolean;
  openTcp?: (target: FdrProxyTarget, signal: AbortSignal) => Promise<Duplex>;
  /** docs/protocols/fdr.md#handshake: 10 tries, 2 s apart. */
  connectAttempts?: number;
  connectRetryMs?: number;
  handshakeTimeoutMs?: number;
  /** A quiet control channel is polled again after this long; a quiet data connection too. */
  idleTimeoutMs?: number;
  /** Data connections open at once (the phone opens one per sync). */
  maxConnections?: number;
  signal?: AbortSignal;
  onEvent?: (event: FdrEvent) => void;
};

export type FdrAgent = {
  connPort: number;
  /** Settles when the control channel ends (phone gone, rebooted, or stop()). */
  closed: Promise<void>;
  stop(): void;
};

export function defaultFdrProxyPolicy(target: FdrProxyTarget): boolean {
  const host = target.host.toLowerCase();
  return target.port === 443 && (host === 'apple.com' || host.endsWith('.apple.com'));
}

function openTcpDefault(target: FdrProxyTarget, signal: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: target.host, port: target.port, signal });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function write(stream: Duplex, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed || !stream.writable) return reject(new StreamClosedError());
    stream.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

const isQuiet = (error: unknown): boolean => error instanceof WireTimeoutError;
const isEnd = (error: unknown): boolean => error instanceof StreamClosedError || error instanceof WireAbortedError;

export async function startFdrAgent(options: FdrAgentOptions): Promise<FdrAgent> {
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const streams = new Set<Duplex>();
  const emit = (event: FdrEvent): void => options.onEvent?.(event);
  const handshakeMs = options.handshakeTimeoutMs ?? 10_000;
  const idleMs = options.idleTimeoutMs ?? 20_000;
  const allow = options.allowProxyTarget ?? defaultFdrProxyPolicy;
  const openTcp = options.openTcp ?? openTcpDefault;
  let connections = 0;
  signal.addEventListener('abort', () => {
    for (const stream of streams) stream.destroy();
  });
  const track = (stream: Duplex): Duplex => {
    streams.add(stream);
    stream.on('error', () => undefined);
    stream.once('close', () => streams.delete(stream));
    return stream;
  };

  async function connectWithRetries(port: number): Promise<Duplex> {
    const attempts = Math.max(1, options.connectAttempts ?? 10);
    let last: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (signal.aborted) break;
      try {
        return track(await options.connect(port, signal));
      } catch (error) {
        last = error;
      }
      if (attempt + 1 < attempts) await pause(options.connectRetryMs ?? 2_000, signal);
    }
    throw new FdrProtocolError(`could not reach the phone's FDR port ${port} (${last instanceof Error ? last.message : 'cancelled'})`);
  }

  /** One proxy command (docs/protocols/fdr.md#proxy); returns true when the connection became a tunnel. */
  async function proxy(stream: Duplex, reader: ByteReader): Promise<boolean> {
    const request = await reader.readUpTo(MAX_FDR_PROXY_REQUEST_BYTES, { timeoutMs: handshakeMs, signal });
    const ack = Buffer.alloc(2);
    ack.writeUInt16LE(FDR_PROXY_ACK, 0);
    await write(stream, ack);
    if (request.length < 3) return false;
    await write(stream, request);
    const target = parseProxyConnect(request);
    if (!target) throw new FdrProtocolError('the phone sent a proxy request that is not a connect');
    const allowed = allow(target);
    emit({ kind: 'proxy', target, allowed });
    if (!allowed) throw new FdrProtocolError(`the phone asked to reach ${target.host}:${target.port}, which is not allowed`);
    const remote = track(await openTcp(target, signal));
    const early = reader.release();
    if (early.length > 0) remote.write(early);
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        stream.destroy();
        remote.destroy();
        resolve();
      };
      stream.once('close', finish);
      remote.once('close', finish);
      stream.pipe(remote);
      remote.pipe(stream);
    });
    return true;
  }

  async function plistCommand(stream: Duplex, reader: ByteReader): Promise<void> {
    const message = await readFdrPlist(reader, { timeoutMs: handshakeMs, signal });
    if (message.Command !== 'Ping')
      throw new FdrProtocolError(`unknown FDR plist command ${JSON.stringify(String(message.Command).slice(0, 40))}`);
    emit({ kind: 'ping' });
    await write(stream, encodeFdrPlist({ Pong: true }));
  }

  async function openConnection(connPort: number): Promise<void> {
    if (connections >= (options.maxConnections ?? 16)) throw new FdrProtocolError('the phone asked for too many FDR connections');
    connections++;
    const stream = await connectWithRetries(connPort);
    const reader = new ByteReader(stream, { maxBuffered: MAX_FDR_PROXY_REQUEST_BYTES * 2 });
    try {
      await write(stream, FDR_HELLO_CONN);
      const reply = await readFdrPlist(reader, { timeoutMs: handshakeMs, signal });
      if (reply.Command !== 'HelloConn') throw new FdrProtocolError('the phone did not answer HelloConn');
      emit({ kind: 'connection', identifier: typeof reply.Identifier === 'string' ? reply.Identifier.slice(0, 200) : null });
      await serve(stream, reader, connPort, false);
    } finally {
      connections--;
      stream.destroy();
    }
  }

  /** The command loop of docs/protocols/fdr.md#commands, on the control channel or on a data connection. */
  async function serve(stream: Duplex, reader: ByteReader, connPort: number, control: boolean): Promise<void> {
    for (;;) {
      let command: number;
      try {
        command = (await reader.read(2, { timeoutMs: idleMs, signal })).readUInt16LE(0);
      } catch (error) {
        if (isQuiet(error)) continue;
        throw error;
      }
      if (command === FdrCommand.Sync) {
        await reader.read(2, { timeoutMs: handshakeMs, signal });
        openConnection(connPort).catch((error: unknown) => {
          if (!isEnd(error)) emit({ kind: 'problem', message: error instanceof Error ? error.message : String(error) });
        });
      } else if (command === FdrCommand.Plist) {
        await plistCommand(stream, reader);
      } else if (command === FdrCommand.Proxy) {
        if (await proxy(stream, reader)) return;
      } else if (!control) {
        throw new FdrProtocolError(`unknown FDR command 0x${command.toString(16)}`);
      }
    }
  }

  const control = await connectWithRetries(FDR_CONTROL_PORT);
  const reader = new ByteReader(control, { maxBuffered: MAX_FDR_PROXY_REQUEST_BYTES * 2 });
  let connPort: number;
  try {
    await write(control, FDR_BEGIN_CTRL);
    await write(control, encodeFdrPlist({ Command: 'BeginCtrl', CtrlProtoVersion: FDR_CTRL_PROTOCOL_VERSION }));
    const reply = await readFdrPlist(reader, { timeoutMs: handshakeMs, signal });
    const port = reply.ConnPort;
    const value = typeof port === 'bigint' ? Number(port) : port;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535)
      throw new FdrProtocolError('the phone’s BeginCtrl answer has no usable ConnPort');
    connPort = value;
  } catch (error) {
    control.destroy();
    throw error instanceof FdrProtocolError
      ? error
      : new FdrProtocolError(`FDR handshake failed (${error instanceof Error ? error.message : String(error)})`);
  }
  emit({ kind: 'control-ready', connPort });
  const closed = serve(control, reader, connPort, true)
    .catch((error: unknown) => {
      if (!isEnd(error)) emit({ kind: 'problem', message: error instanceof Error ? error.message : String(error) });
    })
    .finally(() => controller.abort());
  return { connPort, closed, stop: () => controller.abort() };
}
