import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { checkUrl, networkPolicyFromEnv, type NetworkPolicy } from './network-policy';
import { proxyFor, type ProxyEnvironment } from './proxy-environment';

/** Network failures the downloader may retry (as opposed to answers like 404). */
export class HttpTransportError extends Error {
  constructor(
    message: string,
    readonly retriable = true,
  ) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

/** A body over its cap (declared or counted): never retried. */
export class HttpBodyTooLargeError extends HttpTransportError {
  constructor(message: string) {
    super(message, false);
    this.name = 'HttpBodyTooLargeError';
  }
}

export type HttpGetOptions = {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Until the response headers arrive (and the proxy tunnel is up). */
  headersTimeoutMs?: number;
  maxRedirects?: number;
  env?: ProxyEnvironment;
  /** Hosts and schemes allowed for the first URL and every redirect; by default the allowlist plus LIFELINE_*_URL hosts. */
  policy?: NetworkPolicy;
  /** PEM certificates trusted instead of the system's roots: tests with a local CA only; never set by the app. */
  trustedCertificates?: string[];
};

export type HttpRequestOptions = HttpGetOptions & { method?: 'GET' | 'POST'; body?: string | Buffer };

export const USER_AGENT = 'Lifeline/0.1 (firmware)';

function abortError(): Error {
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  return error;
}

function basicAuth(proxy: URL): string {
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
}

/** CONNECT tunnel through an HTTP(S) proxy, then TLS to the target (RFC 9110, section 9.3.6). */
function tunnel(proxy: URL, target: URL, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const port = target.port || '443';
    const headers: Record<string, string> = { Host: `${target.hostname}:${port}` };
    if (proxy.username) headers['Proxy-Authorization'] = basicAuth(proxy);
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
    request.once('error', (error) =>
      reject(signal?.aborted ? abortError() : new HttpTransportError(`proxy ${proxy.host}: ${error.message}`)),
    );
    request.end();
  });
}

/**
 * One request under the network policy, with the standard proxy variables (CONNECT for https) and a headers
 * deadline. GETs follow redirects, each checked by the policy; a POST's redirect is returned as it is.
 * Resolves with the final response (any status); the caller reads or destroys its body.
 */
export async function httpRequest(url: string | URL, options: HttpRequestOptions = {}): Promise<IncomingMessage> {
  const policy = options.policy ?? networkPolicyFromEnv(options.env ?? process.env);
  let current = new URL(url);
  let previous: URL | undefined;
  const maxRedirects = options.method === 'POST' ? 0 : (options.maxRedirects ?? 5);
  for (let hop = 0; ; hop++) {
    checkUrl(current, policy, previous);
    const response = await requestOnce(current, options);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (maxRedirects > 0 && status >= 300 && status < 400 && status !== 304 && location) {
      response.resume();
      if (hop >= maxRedirects) throw new HttpTransportError(`too many redirects from ${url.toString()}`, false);
      previous = current;
      current = new URL(location, current);
      continue;
    }
    return response;
  }
}

/** A GET under the network policy (see httpRequest). */
export function httpGet(url: string | URL, options: HttpGetOptions = {}): Promise<IncomingMessage> {
  return httpRequest(url, { ...options, method: 'GET' });
}

async function requestOnce(url: URL, options: HttpRequestOptions): Promise<IncomingMessage> {
  if (options.signal?.aborted) throw abortError();
  const timeoutMs = options.headersTimeoutMs ?? 30_000;
  // The policy allows plain http to loopback only, which never goes through a proxy.
  const proxy = url.protocol === 'https:' ? proxyFor(url, options.env ?? process.env) : null;
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: '*/*', ...options.headers };
  if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
  const trust = options.trustedCertificates ? { ca: options.trustedCertificates } : {};
  let requestOptions: https.RequestOptions;
  let module: typeof http | typeof https = url.protocol === 'https:' ? https : http;
  if (proxy) {
    const socket = await tunnel(proxy, url, timeoutMs, options.signal);
    const secure = tls.connect({ socket, servername: url.hostname, ALPNProtocols: ['http/1.1'], ...trust });
    module = http; // the tunnel is already TLS: plain HTTP/1.1 over it
    requestOptions = {
      host: url.hostname,
      path: `${url.pathname}${url.search}`,
      headers: { Host: url.host, ...headers },
      createConnection: () => secure,
    };
  } else {
    requestOptions = {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers,
      ...trust,
    };
  }
  return new Promise((resolve, reject) => {
    const request = module.request({ ...requestOptions, method: options.method ?? 'GET', signal: options.signal });
    const timer = setTimeout(
      () => request.destroy(new HttpTransportError(`${url.host} did not answer within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
    request.once('response', (response) => {
      clearTimeout(timer);
      resolve(response);
    });
    request.once('error', (error) => {
      clearTimeout(timer);
      if (options.signal?.aborted) reject(abortError());
      else reject(error instanceof HttpTransportError ? error : new HttpTransportError(`${url.host}: ${error.message}`));
    });
    request.end(options.body);
  });
}

/**
 * Reads a whole (small) body, refusing more than `maxBytes` — by Content-Length before reading, and by counting
 * while reading (a missing or lying length changes nothing).
 */
export async function readBoundedBody(
  response: IncomingMessage,
  limits: { maxBytes: number; timeoutMs?: number; signal?: AbortSignal; what: string },
): Promise<Buffer> {
  const declared = Number(response.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    response.destroy();
    throw new HttpBodyTooLargeError(`${limits.what} is ${declared} bytes, more than the ${limits.maxBytes} allowed`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const timer = setTimeout(() => response.destroy(new HttpTransportError(`${limits.what} was too slow`)), limits.timeoutMs ?? 60_000);
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limits.maxBytes) throw new HttpBodyTooLargeError(`${limits.what} is more than the ${limits.maxBytes} bytes allowed`);
      chunks.push(chunk);
    }
  } catch (error) {
    response.destroy();
    if (limits.signal?.aborted) throw abortError();
    throw error instanceof HttpTransportError
      ? error
      : new HttpTransportError(`${limits.what}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

/** GET a small document (catalogs), refusing bodies over `maxBytes`. Non-2xx → HttpTransportError naming the status. */
export async function httpGetText(url: string, options: HttpGetOptions & { maxBytes: number; bodyTimeoutMs?: number }): Promise<Buffer> {
  const response = await httpGet(url, options);
  const status = response.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    response.resume();
    throw new HttpTransportError(
      `${new URL(url).host} answered HTTP ${status} for ${new URL(url).pathname}`,
      status >= 500 || status === 429,
    );
  }
  return readBoundedBody(response, {
    maxBytes: options.maxBytes,
    timeoutMs: options.bodyTimeoutMs ?? 60_000,
    ...(options.signal ? { signal: options.signal } : {}),
    what: url,
  });
}
