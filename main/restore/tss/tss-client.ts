/**
 * POSTs a TSS request (restore-stack §5.1): XML plist body, libtatsu's headers, bounded attempts with a pause
 * between them on transport failures only; a STATUS answer is final. The address comes from LIFELINE_TSS_URL
 * (practice mode points it at the local fake) and defaults to Apple's.
 */
import { encodeXmlPlist } from '../../plist/plist-codec';
import type { PlistDict } from '../../plist/plist-value';
import { TssError } from './tss-error';
import { MAX_TSS_RESPONSE_BYTES, parseTssAnswer, ticketFromAnswer, type TssAnswer } from './tss-response';

export const APPLE_TSS_URL = 'https://gs.apple.com/TSS/controller?action=2';

export function tssUrlFromEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIFELINE_TSS_URL?.trim() || APPLE_TSS_URL;
}

export type TssClientOptions = {
  url?: string;
  /** §10.5: 15 attempts, 2 s apart. */
  attempts?: number;
  retryDelayMs?: number;
  /** Per attempt. */
  timeoutMs?: number;
  signal?: AbortSignal;
};

async function readBounded(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_TSS_RESPONSE_BYTES) throw new TssError('The signing server’s answer is too large', 'bad-response');
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_TSS_RESPONSE_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new TssError('The signing server’s answer is too large', 'bad-response');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

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
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Cache-Control': 'no-cache', 'Content-Type': 'text/xml; charset="utf-8"', 'User-Agent': 'InetURL/1.0' },
        body,
        signal,
      });
      const text = await readBounded(response);
      const answer = parseTssAnswer(text);
      // §5.1: no STATUS means retry (network-level trouble).
      if (answer.status !== null) return answer;
      lastProblem = `HTTP ${response.status} without a STATUS`;
    } catch (error) {
      if (error instanceof TssError) throw error;
      if (options.signal?.aborted) throw new TssError('Cancelled while asking for the signature', 'cancelled');
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
