/**
 * Test-only network pieces on 127.0.0.1: a throwaway certificate authority (its certificate is handed to the
 * client as `trustedCertificates`; verification stays on), a TLS front that unwraps to a local http server, and a
 * CONNECT proxy that records what it was asked for and routes every tunnel to one local port.
 */
import 'reflect-metadata';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export type TestCertificate = { certPem: string; keyPem: string };

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A self-signed certificate (its own CA) for `dnsNames` and 127.0.0.1. */
export async function testCertificate(dnsNames: string[]): Promise<TestCertificate> {
  const keys = await webcrypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3600_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Lifeline test CA',
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ECDSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem'), keyPem };
}

export type LocalServer = { port: number; close(): Promise<void> };

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** TLS on a local port, each connection unwrapped and piped to the plain http server at `upstreamPort`. */
export async function startTlsFront(certificate: TestCertificate, upstreamPort: number): Promise<LocalServer> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: certificate.certPem, key: certificate.keyPem }, (clear) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(clear).add(upstream);
    clear.pipe(upstream).pipe(clear);
    clear.on('error', () => upstream.destroy());
    upstream.on('error', () => clear.destroy());
  });
  server.on('tlsClientError', () => undefined);
  return { port: await listen(server), close: closer(server, sockets) };
}

export type ConnectProxy = LocalServer & { url: string; tunnels: string[]; plainRequests: string[] };

/** An http proxy that answers CONNECT by tunnelling to 127.0.0.1:`targetPort`, whatever host was named. */
export async function startConnectProxy(targetPort: number): Promise<ConnectProxy> {
  const sockets = new Set<net.Socket>();
  const tunnels: string[] = [];
  const plainRequests: string[] = [];
  const server = http.createServer((request, response) => {
    plainRequests.push(request.url ?? '');
    response.writeHead(405).end();
  });
  server.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(request.url ?? '');
    const upstream = net.connect(targetPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    sockets.add(client).add(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const port = await listen(server);
  return { port, url: `http://127.0.0.1:${port}`, tunnels, plainRequests, close: closer(server, sockets) };
}
