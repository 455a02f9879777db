/**
 * POSTs a TSS request (docs/protocols/tss.md#transport): XML plist body, libtatsu's headers, bounded attempts with a pause
 * between them on transport failures only; a STATUS answer is final. The address comes from LIFELINE_TSS_URL
 * (practice mode points it at the local fake) and defaults to Apple's. It goes through the same http client as
 * firmware downloads: the network policy (docs/network-policy.md) and HTTPS_PROXY / NO_PROXY apply.
 */
import { NetworkPolicyError, type NetworkPolicy } from '../net/network-policy';
import { HttpBodyTooLargeError, httpRequest, readBoundedBody } from '../net/http-client';
import type { ProxyEnvironment } from '../net/proxy-environment';
import { encodeXmlPlist } from '../plist/plist-codec';
import type { PlistDict } from '../plist/plist-value';
import { TssError } from './tss-error';
import { MAX_TSS_RESPONSE_BYTES, parseTssAnswer, ticketFromAnswer, type TssAnswer } from './tss-response';

export const APPLE_TSS_URL = 'https://gs.apple.com/TSS/controller?action=2';

export function tssUrlFromEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIFELINE_TSS_URL?.trim() || APPLE_TSS_URL;
}

export type TssClientOptions = {
  url?: string;
  /** docs/protocols/tss.md#transport: 15 attempts, 2 s apart. */
  attempts?: number;
  retryDelayMs?: number;
  /** Per attempt. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Proxy variables (default: process.env). */
  env?: ProxyEnvironment;
  policy?: NetworkPolicy;
  /** PEM certificates trusted instead of the system's roots: tests with a local CA only. */
  trustedCertificates?: string[];
};

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

export async function postTssRequest(request: PlistDict, options: TssClientOptions = {}): Promise<TssAnswer> {
  const url = options.url ?? tssUrlFromEnvironment();
  const attempts = Math.max(1, options.attempts ?? 15);
  const body = encodeXmlPlist(request);
  let lastProblem = 'no attempt made';
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (options.signal?.aborted) throw new TssError('Cancelled while asking for the signature', 'cancelled');
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      const response = await httpRequest(url, {
        method: 'POST',
        headers: { 'Cache-Control': 'no-cache', 'Content-Type': 'text/xml; charset="utf-8"', 'User-Agent': 'InetURL/1.0' },
        body,
        signal,
        headersTimeoutMs: options.timeoutMs ?? 30_000,
        ...(options.env ? { env: options.env } : {}),
        ...(options.policy ? { policy: options.policy } : {}),
        ...(options.trustedCertificates ? { trustedCertificates: options.trustedCertificates } : {}),
      });
      const text = (
        await readBoundedBody(response, { maxBytes: MAX_TSS_RESPONSE_BYTES, signal, what: 'The signing server’s answer' })
      ).toString('utf8');
      const answer = parseTssAnswer(text);
      // docs/protocols/tss.md#transport: no STATUS means retry (network-level trouble).
      if (answer.status !== null) return answer;
      lastProblem = `HTTP ${response.statusCode ?? 0} without a STATUS`;
    } catch (error) {
      if (error instanceof TssError) throw error;
      if (options.signal?.aborted) throw new TssError('Cancelled while asking for the signature', 'cancelled');
      if (error instanceof NetworkPolicyError)
        throw new TssError(`The signing server address is not allowed: ${error.message}`, 'unreachable');
      if (error instanceof HttpBodyTooLargeError) throw new TssError('The signing server’s answer is too large', 'bad-response');
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (attempt + 1 < attempts) await pause(options.retryDelayMs ?? 2_000, options.signal);
  }
  throw new TssError(`Could not reach the signing server at ${new URL(url).host} (${lastProblem})`, 'unreachable');
}

/** Request → ApImg4Ticket (DER IM4M), or a typed TssError. */
export async function requestApTicket(request: PlistDict, options: TssClientOptions = {}): Promise<Buffer> {
  return ticketFromAnswer(await postTssRequest(request, options));
}
