import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { proxyFor, type ProxyEnvironment } from './proxy-environment';

/** Network failures the downloader may retry (as opposed to answers like 404). */
export class HttpTransportError extends Error {
  constructor(message: string, readonly retriable = true) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

export type HttpGetOptions = {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Until the response headers arrive (and the proxy tunnel is up). */
  headersTimeoutMs?: number;
  maxRedirects?: number;
  env?: ProxyEnvironment;
};

export const USER_AGENT = 'Lifeline/0.1 (firmware)';

function abortError(): Error {
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  return error;
}

/** CONNECT tunnel through an HTTP(S) proxy, then TLS to the target (RFC 9110 §9.3.6). */
function tunnel(proxy: URL, target: URL, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const port = target.port || '443';
    const headers: Record<string, string> = { Host: `${target.hostname}:${port}` };
    if (proxy.username) headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
    const request = (proxy.protocol === 'https:' ? https : http).request({
      host: proxy.hostname,
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: `${target.hostname}:${port}`,
      headers,
      timeout: timeoutMs,
      signal,
    });
    request.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        reject(new HttpTransportError(`proxy ${proxy.host} refused the tunnel (HTTP ${response.statusCode})`, false));
        return;
      }
      resolve(socket);
    });
    request.once('timeout', () => request.destroy(new HttpTransportError(`proxy ${proxy.host} did not answer in time`)));
    request.once('error', (error) => reject(signal?.aborted ? abortError() : new HttpTransportError(`proxy ${proxy.host}: ${error.message}`)));
    request.end();
  });
}

/**
 * One GET with redirects, the standard proxy variables (CONNECT for https) and a headers deadline.
 * Resolves with the final response (any status); the caller reads or destroys its body.
 */
export async function httpGet(url: string | URL, options: HttpGetOptions = {}): Promise<IncomingMessage> {
  let current = new URL(url);
  const maxRedirects = options.maxRedirects ?? 5;
  for (let hop = 0; ; hop++) {
    const response = await requestOnce(current, options);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && status !== 304 && location) {
      response.resume();
      if (hop >= maxRedirects) throw new HttpTransportError(`too many redirects from ${url.toString()}`, false);
      current = new URL(location, current);
      continue;
    }
    return response;
  }
}

async function requestOnce(url: URL, options: HttpGetOptions): Promise<IncomingMessage> {
  if (options.signal?.aborted) throw abortError();
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpTransportError(`unsupported URL ${url.protocol}`, false);
  const timeoutMs = options.headersTimeoutMs ?? 30_000;
  const proxy = proxyFor(url, options.env ?? process.env);
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: '*/*', ...options.headers };
  let requestOptions: http.RequestOptions;
  let module: typeof http | typeof https = url.protocol === 'https:' ? https : http;
  if (proxy && url.protocol === 'https:') {
    const socket = await tunnel(proxy, url, timeoutMs, options.signal);
    const secure = tls.connect({ socket, servername: url.hostname, ALPNProtocols: ['http/1.1'] });
    module = http; // the tunnel is already TLS: plain HTTP/1.1 over it
    requestOptions = { host: url.hostname, path: `${url.pathname}${url.search}`, headers: { Host: url.host, ...headers }, createConnection: () => secure };
  } else if (proxy) {
    module = proxy.protocol === 'https:' ? https : http;
    if (proxy.username) headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
    requestOptions = { host: proxy.hostname, port: proxy.port || 80, path: url.toString(), headers: { Host: url.host, ...headers } };
  } else {
    requestOptions = { host: url.hostname, port: url.port || undefined, path: `${url.pathname}${url.search}`, headers };
  }
  return new Promise((resolve, reject) => {
    const request = module.request({ ...requestOptions, method: 'GET', signal: options.signal });
    const timer = setTimeout(() => request.destroy(new HttpTransportError(`${url.host} did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    request.once('response', (response) => {
      clearTimeout(timer);
      resolve(response);
    });
    request.once('error', (error) => {
      clearTimeout(timer);
      if (options.signal?.aborted) reject(abortError());
      else reject(error instanceof HttpTransportError ? error : new HttpTransportError(`${url.host}: ${error.message}`));
    });
    request.end();
  });
}

/** GET a small document (catalogs), refusing bodies over `maxBytes`. Non-2xx → HttpTransportError naming the status. */
export async function httpGetText(url: string, options: HttpGetOptions & { maxBytes: number; bodyTimeoutMs?: number }): Promise<Buffer> {
  const response = await httpGet(url, options);
  const status = response.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    response.resume();
    throw new HttpTransportError(`${new URL(url).host} answered HTTP ${status} for ${new URL(url).pathname}`, status >= 500 || status === 429);
  }
  const declared = Number(response.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    response.destroy();
    throw new HttpTransportError(`${url} is ${declared} bytes, more than the ${options.maxBytes} allowed`, false);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const timer = setTimeout(() => response.destroy(new HttpTransportError(`${url} was too slow`)), options.bodyTimeoutMs ?? 60_000);
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > options.maxBytes) throw new HttpTransportError(`${url} is more than the ${options.maxBytes} bytes allowed`, false);
      chunks.push(chunk);
    }
  } catch (error) {
    response.destroy();
    if (options.signal?.aborted) throw abortError();
    throw error instanceof HttpTransportError ? error : new HttpTransportError(`${url}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}
