import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Unsubscribe } from '../../common/api';
import type { Engine } from '../rescue/engine';
import { BRIDGE_MAX_MESSAGE_BYTES, BRIDGE_PATH, BridgeClientMessageSchema } from './bridge-protocol';
import { SECURITY_HEADERS, contentSecurityPolicy } from './content-security-policy';
import { dispatch, subscribe } from './dispatcher';
import { readStaticFile } from './static-files';

export type WebBridgeOptions = {
  engine: Engine;
  /** The built renderer (out/renderer). Without it only the WebSocket is served. */
  staticDir?: string;
  port?: number;
};

export type WebBridge = {
  /** Open this in a browser: it carries the per-run secret in the fragment, which never reaches a server log. */
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
};

const LOOPBACK = '127.0.0.1';

/**
 * Serves the real renderer and the real engine to an ordinary browser, for development and e2e
 * tests. Binds loopback only, on a random port, and demands a per-run secret token and a
 * same-origin Origin header before a WebSocket may speak to the engine.
 */
export async function startWebBridge(options: WebBridgeOptions): Promise<WebBridge> {
  const token = randomBytes(24).toString('base64url');
  const server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405).end();
        return;
      }
      const file = options.staticDir ? await readStaticFile(options.staticDir, request.url ?? '/') : null;
      if (!file) {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
        return;
      }
      response.writeHead(200, {
        'Content-Type': file.contentType,
        'Content-Security-Policy': contentSecurityPolicy({ allowSelfConnect: true }),
        'Cache-Control': 'no-store',
        ...SECURITY_HEADERS,
      });
      response.end(request.method === 'HEAD' ? undefined : file.body);
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${LOOPBACK}:${port}`;

  const sockets = new WebSocketServer({ noServer: true, maxPayload: BRIDGE_MAX_MESSAGE_BYTES });
  server.on('upgrade', (request, socket, head) => {
    if (!isAuthorised(request, origin, token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveClient(ws, options.engine));
  });

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    close: () => closeAll(server, sockets),
  };
}

function isAuthorised(request: IncomingMessage, origin: string, token: string): boolean {
  const url = new URL(request.url ?? '/', origin);
  if (url.pathname !== BRIDGE_PATH) return false;
  const offered = Buffer.from(url.searchParams.get('token') ?? '');
  const expected = Buffer.from(token);
  if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) return false;
  // A browser always sends Origin; a page from anywhere else must not reach the engine.
  const requestOrigin = request.headers.origin;
  return requestOrigin === undefined || requestOrigin === origin;
}

function serveClient(ws: WebSocket, engine: Engine): void {
  const subscriptions = new Map<string, Unsubscribe>();
  const send = (message: unknown): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  ws.on('message', (data, isBinary) => {
    let message;
    try {
      if (isBinary) throw new Error('binary');
      message = BridgeClientMessageSchema.parse(JSON.parse(data.toString()));
    } catch {
      ws.close(1008, 'Malformed message');
      return;
    }
    if (message.type === 'invoke') {
      const { id, command, request } = message;
      void dispatch(engine, { transport: 'web-bridge' }, command, request).then((envelope) => send({ type: 'result', id, envelope }));
    } else if (message.type === 'subscribe') {
      if (subscriptions.has(message.event)) return;
      const event = message.event;
      try {
        subscriptions.set(
          event,
          subscribe(engine, event, (payload) => send({ type: 'event', event, payload })),
        );
      } catch {
        ws.close(1008, 'Unknown event');
      }
    } else {
      subscriptions.get(message.event)?.();
      subscriptions.delete(message.event);
    }
  });
  ws.on('close', () => {
    for (const off of subscriptions.values()) off();
    subscriptions.clear();
  });
  ws.on('error', () => ws.terminate());
}

function closeAll(server: Server, sockets: WebSocketServer): Promise<void> {
  for (const client of sockets.clients) client.terminate();
  sockets.close();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
