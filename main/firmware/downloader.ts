import { createHash, type Hash } from 'node:crypto';
import { createReadStream, writeSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, statfs, writeFile, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { ProblemError } from '../../common/api';
import { BYTE_CAPS, checkUrl, networkPolicyFromEnv, NetworkPolicyError, type NetworkPolicy } from '../net/network-policy';
import { httpGet, HttpTransportError } from '../net/http-client';
import type { ProxyEnvironment } from '../net/proxy-environment';

export type DownloadProgress = {
  phase: 'checking-partial' | 'downloading' | 'verifying' | 'waiting-to-retry';
  bytesDone: number;
  bytesTotal: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
  attempt: number;
};

export type DownloadRequest = {
  url: string;
  /** The final path; the download lands in `<destination>.partial` (+ `.partial.json` state) until verified. */
  destination: string;
  expectedSize: number | null;
  sha1: string | null;
  sha256: string | null;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
};

export type DownloadResult = { path: string; size: number; sha1: string; sha256: string | null };

export type DownloaderOptions = {
  /** Consecutive failed attempts (no new bytes) before giving up. */
  maxAttempts?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  /** No bytes for this long → drop the connection and resume. */
  idleTimeoutMs?: number;
  headersTimeoutMs?: number;
  /** A whole fresh download after a hash mismatch (the corrupt file is deleted first). */
  hashRetries?: number;
  /** Kept free on the disk beyond the file itself. */
  spaceMarginBytes?: number;
  freeBytes?: (directory: string) => Promise<number>;
  env?: ProxyEnvironment;
  /** Default: the allowlist plus the LIFELINE_*_URL hosts (docs/network-policy.md). */
  policy?: NetworkPolicy;
  /** The most a download may be when no catalog gives its size (default BYTE_CAPS.ipsw). */
  maxBytesWithoutSize?: number;
  /** PEM certificates trusted instead of the system's roots: tests with a local CA only. */
  trustedCertificates?: string[];
};

/** The small sidecar next to the staging file: what the partial bytes are, so a restart can resume them. */
type PartialState = {
  version: 1;
  url: string;
  expectedSize: number | null;
  sha1: string | null;
  sha256: string | null;
  etag: string | null;
  lastModified: string | null;
};

const PROGRESS_INTERVAL_MS = 200;

function abortError(): Error {
  const error = new Error('The download was cancelled');
  error.name = 'AbortError';
  return error;
}

async function defaultFreeBytes(directory: string): Promise<number> {
  const stats = await statfs(directory);
  return Number(stats.bavail) * Number(stats.bsize);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A sliding-window speed meter (about the last five seconds). */
class SpeedMeter {
  private samples: { at: number; bytes: number }[] = [];
  private latest = 0;
  add(bytes: number): void {
    this.latest = bytes;
    const now = performance.now();
    const last = this.samples[this.samples.length - 1];
    // One sample per 100 ms keeps the window small at any speed.
    if (last && now - last.at < 100) return;
    this.samples.push({ at: now, bytes });
    while (this.samples.length > 2 && now - this.samples[0]!.at > 5000) this.samples.shift();
  }
  perSecond(): number {
    const first = this.samples[0];
    const elapsed = first ? performance.now() - first.at : 0;
    if (!first || elapsed < 100) return 0;
    return ((this.latest - first.bytes) * 1000) / elapsed;
  }
}

/** SHA-1 always (what Apple's catalog gives), SHA-256 when a catalog gives one; restartable from byte 0. */
class Digests {
  private sha1: Hash = createHash('sha1');
  private sha256: Hash | null;
  constructor(private readonly withSha256: boolean) {
    this.sha256 = withSha256 ? createHash('sha256') : null;
  }
  update(chunk: Buffer): void {
    this.sha1.update(chunk);
    this.sha256?.update(chunk);
  }
  reset(): void {
    this.sha1 = createHash('sha1');
    this.sha256 = this.withSha256 ? createHash('sha256') : null;
  }
  digest(): { sha1: string; sha256: string | null } {
    return { sha1: this.sha1.digest('hex'), sha256: this.sha256?.digest('hex') ?? null };
  }
}

type Flight = {
  promise: Promise<DownloadResult>;
  controller: AbortController;
  listeners: Set<(p: DownloadProgress) => void>;
  callers: number;
};

/**
 * Resumable, verified downloads: HTTP range resume across drops and restarts, retries with
 * backoff, SHA-1/SHA-256 computed while writing, staging file + fsync + atomic rename, a disk-space check,
 * cancellation, and one transfer per destination however many callers ask.
 */
export class FirmwareDownloader {
  private readonly flights = new Map<string, Flight>();

  constructor(private readonly options: DownloaderOptions = {}) {}

  download(request: DownloadRequest): Promise<DownloadResult> {
    const key = path.resolve(request.destination);
    let flight = this.flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const listeners = new Set<(p: DownloadProgress) => void>();
      const created: Flight = {
        controller,
        listeners,
        callers: 0,
        promise: this.transfer(request, controller.signal, (p) => {
          for (const listener of listeners) listener(p);
        }).finally(() => this.flights.delete(key)),
      };
      created.promise.catch(() => undefined);
      this.flights.set(key, created);
      flight = created;
    }
    const joined = flight;
    joined.callers++;
    const listener = request.onProgress;
    if (listener) joined.listeners.add(listener);
    const leave = (): void => {
      if (listener) joined.listeners.delete(listener);
      joined.callers--;
      // The transfer stops only when nobody wants it any more.
      if (joined.callers === 0) joined.controller.abort();
    };
    return new Promise<DownloadResult>((resolve, reject) => {
      const onAbort = (): void => {
        leave();
        // The last caller waits for the transfer to wind down (partial bytes flushed), so a resume can follow at once.
        if (joined.callers === 0)
          joined.promise.then(
            () => reject(abortError()),
            () => reject(abortError()),
          );
        else reject(abortError());
      };
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      joined.promise.then(
        (result) => {
          request.signal?.removeEventListener('abort', onAbort);
          if (listener) joined.listeners.delete(listener);
          resolve(result);
        },
        (error: unknown) => {
          request.signal?.removeEventListener('abort', onAbort);
          if (listener) joined.listeners.delete(listener);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private async transfer(request: DownloadRequest, signal: AbortSignal, report: (p: DownloadProgress) => void): Promise<DownloadResult> {
    for (let fresh = 0; ; fresh++) {
      try {
        return await this.transferOnce(request, signal, report);
      } catch (error) {
        const mismatch = error instanceof ProblemError && error.problem.code === 'firmware-hash-mismatch';
        if (!mismatch || fresh >= (this.options.hashRetries ?? 1)) throw error;
      }
    }
  }

  private policy(): NetworkPolicy {
    return this.options.policy ?? networkPolicyFromEnv(this.options.env ?? process.env);
  }

  private async transferOnce(
    request: DownloadRequest,
    signal: AbortSignal,
    report: (p: DownloadProgress) => void,
  ): Promise<DownloadResult> {
    try {
      checkUrl(new URL(request.url), this.policy());
    } catch (error) {
      throw error instanceof NetworkPolicyError ? blockedUrl(error) : error;
    }
    const staging = `${request.destination}.partial`;
    const sidecar = `${staging}.json`;
    await mkdir(path.dirname(request.destination), { recursive: true });
    const wanted: PartialState = {
      version: 1,
      url: request.url,
      expectedSize: request.expectedSize,
      sha1: request.sha1,
      sha256: request.sha256,
      etag: null,
      lastModified: null,
    };
    let state = await readPartialState(sidecar);
    const cursor = { offset: 0 };
    if (state && samePartial(state, wanted)) cursor.offset = await fileSize(staging);
    if (!state || !samePartial(state, wanted) || (request.expectedSize !== null && cursor.offset > request.expectedSize)) {
      await rm(staging, { force: true });
      state = wanted;
      cursor.offset = 0;
    }
    await writeJsonAtomic(sidecar, state);
    await this.checkSpace(request.destination, request.expectedSize, cursor.offset);

    const digests = new Digests(request.sha256 !== null);
    const handle = await open(staging, cursor.offset > 0 ? 'r+' : 'w');
    const progress = { attempt: 1, total: request.expectedSize, lastReport: 0 };
    const meter = new SpeedMeter();
    const emit = (phase: DownloadProgress['phase'], force = false): void => {
      const now = performance.now();
      if (!force && now - progress.lastReport < PROGRESS_INTERVAL_MS) return;
      progress.lastReport = now;
      const speed = meter.perSecond();
      const total = progress.total;
      report({
        phase,
        bytesDone: cursor.offset,
        bytesTotal: total,
        bytesPerSecond: speed,
        etaSeconds: total !== null && speed > 0 ? (total - cursor.offset) / speed : null,
        attempt: progress.attempt,
      });
    };
    try {
      if (cursor.offset > 0) {
        // Across restarts the hash state is gone: read the bytes already on disk once (never the whole file twice).
        emit('checking-partial', true);
        cursor.offset = await hashPrefix(staging, cursor.offset, digests, signal);
        await handle.truncate(cursor.offset);
      }
      let failures = 0;
      let rangeRefusals = 0;
      for (;;) {
        if (signal.aborted) throw abortError();
        if (progress.total !== null && cursor.offset === progress.total) break;
        const before = cursor.offset;
        try {
          const outcome = await this.fetchInto({ request, state, handle, cursor, digests, signal, meter, progress, emit, sidecar });
          if (outcome.restart) {
            rangeRefusals++;
            if (rangeRefusals > 2) throw new ProblemError('firmware-server-range', { host: new URL(request.url).host });
            digests.reset();
            await handle.truncate(0);
            cursor.offset = 0;
            continue;
          }
          if (outcome.complete) break;
          throw new HttpTransportError(`the connection closed after ${cursor.offset} of ${progress.total ?? '?'} bytes`);
        } catch (error) {
          if (signal.aborted) throw abortError();
          if (!(error instanceof HttpTransportError) || !error.retriable) throw error;
          failures = cursor.offset > before ? 1 : failures + 1;
          if (failures >= (this.options.maxAttempts ?? 6)) {
            throw new ProblemError('firmware-network', { keptBytes: cursor.offset }, { cause: error });
          }
          progress.attempt++;
          emit('waiting-to-retry', true);
          const base = this.options.backoffMs ?? 1000;
          await sleep(Math.min(this.options.maxBackoffMs ?? 30_000, base * 2 ** (failures - 1)) * (0.75 + Math.random() * 0.5), signal);
        }
      }
      emit('verifying', true);
      await handle.sync();
    } catch (error) {
      if (error instanceof ProblemError && (error.code === 'firmware-too-large' || error.code === 'firmware-blocked-url')) {
        // Bytes past the cap, or from a place Lifeline does not download from: nothing of them is kept or resumed.
        await handle.close().catch(() => undefined);
        await rm(staging, { force: true });
        await rm(sidecar, { force: true });
      }
      throw error;
    } finally {
      await handle.close().catch(() => undefined);
    }

    const size = cursor.offset;
    const { sha1: digest1, sha256: digest256 } = digests.digest();
    const expectations: string[] = [];
    if (request.expectedSize !== null && size !== request.expectedSize)
      expectations.push(`size ${size} instead of ${request.expectedSize}`);
    if (request.sha1 && digest1 !== request.sha1.toLowerCase()) expectations.push(`SHA-1 ${digest1} instead of ${request.sha1}`);
    if (request.sha256 && digest256 !== request.sha256.toLowerCase())
      expectations.push(`SHA-256 ${digest256} instead of ${request.sha256}`);
    if (expectations.length > 0) {
      // Never promoted: the bad bytes go, so the next try starts clean.
      await rm(staging, { force: true });
      await rm(sidecar, { force: true });
      throw new ProblemError('firmware-hash-mismatch', { file: request.destination }, { cause: new Error(expectations.join('; ')) });
    }
    await rename(staging, request.destination);
    await syncDirectory(path.dirname(request.destination));
    await rm(sidecar, { force: true });
    return { path: request.destination, size, sha1: digest1, sha256: digest256 };
  }

  private async checkSpace(destination: string, expectedSize: number | null, have: number): Promise<void> {
    if (expectedSize === null) return;
    const directory = path.dirname(destination);
    const free = await (this.options.freeBytes ?? defaultFreeBytes)(directory).catch(() => Number.POSITIVE_INFINITY);
    const need = expectedSize - have + (this.options.spaceMarginBytes ?? 256 * 1024 * 1024);
    if (free < need) {
      throw new ProblemError('disk-full', { neededBytes: need, freeBytes: free, folder: directory });
    }
  }

  /** One HTTP exchange: writes what arrives, resolves with the new offset; `restart` = the partial must be discarded. */
  private async fetchInto(run: {
    request: DownloadRequest;
    state: PartialState;
    handle: FileHandle;
    cursor: { offset: number };
    digests: Digests;
    signal: AbortSignal;
    meter: SpeedMeter;
    progress: { total: number | null };
    emit: (phase: DownloadProgress['phase'], force?: boolean) => void;
    sidecar: string;
  }): Promise<{ complete: boolean; restart: boolean }> {
    const { request, state, handle, signal, progress } = run;
    const cursor = run.cursor;
    const host = new URL(request.url).host;
    const headers: Record<string, string> = {};
    if (cursor.offset > 0) {
      headers.Range = `bytes=${cursor.offset}-`;
      const validator = state.etag ?? state.lastModified;
      if (validator) headers['If-Range'] = validator;
    }
    const response: IncomingMessage = await httpGet(request.url, {
      headers,
      signal,
      headersTimeoutMs: this.options.headersTimeoutMs ?? 30_000,
      ...(this.options.env ? { env: this.options.env } : {}),
      policy: this.policy(),
      ...(this.options.trustedCertificates ? { trustedCertificates: this.options.trustedCertificates } : {}),
    }).catch((error: unknown) => {
      throw error instanceof NetworkPolicyError ? blockedUrl(error) : error;
    });
    const status = response.statusCode ?? 0;
    if (status === 416) {
      response.resume();
      return { complete: false, restart: true };
    }
    if (status === 404 || status === 410 || status === 403) {
      response.resume();
      throw new ProblemError('firmware-not-found', { host, status, file: new URL(request.url).pathname });
    }
    if (status >= 500 || status === 429 || status === 408) {
      response.resume();
      throw new HttpTransportError(`${host} answered HTTP ${status}`);
    }
    if (status !== 200 && status !== 206) {
      response.resume();
      throw new ProblemError('firmware-server', { host, status });
    }
    let total: number | null;
    if (status === 206) {
      const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(response.headers['content-range'] ?? ''));
      if (!match || Number(match[1]) !== cursor.offset) {
        response.destroy();
        throw new HttpTransportError(
          `${host} resumed at the wrong place (${String(response.headers['content-range'] ?? 'no Content-Range')})`,
        );
      }
      total = match[3] === '*' ? progress.total : Number(match[3]);
    } else {
      if (cursor.offset > 0) {
        // The server ignored the range (or the file changed): start again from byte 0.
        run.digests.reset();
        await handle.truncate(0);
        cursor.offset = 0;
      }
      const length = response.headers['content-length'];
      total = length !== undefined && /^\d+$/.test(length) ? Number(length) : progress.total;
    }
    if (request.expectedSize !== null && total !== null && total !== request.expectedSize) {
      response.destroy();
      throw new ProblemError('firmware-size-mismatch', { host, sentBytes: total, expectedBytes: request.expectedSize });
    }
    const cap = request.expectedSize ?? this.options.maxBytesWithoutSize ?? BYTE_CAPS.ipsw;
    if (total !== null && total > cap) {
      response.destroy();
      throw tooLarge(host, cap);
    }
    if (request.expectedSize === null && total !== null && cursor.offset === 0) await this.checkSpace(request.destination, total, 0);
    progress.total = total;
    const etag = typeof response.headers.etag === 'string' ? response.headers.etag : null;
    const lastModified = typeof response.headers['last-modified'] === 'string' ? response.headers['last-modified'] : null;
    if (etag !== state.etag || lastModified !== state.lastModified) {
      state.etag = etag;
      state.lastModified = lastModified;
      await writeJsonAtomic(run.sidecar, state);
    }

    const idleMs = this.options.idleTimeoutMs ?? 60_000;
    const idle = setTimeout(
      () => response.destroy(new HttpTransportError(`${host} sent nothing for ${Math.round(idleMs / 1000)} s`)),
      idleMs,
    );
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        idle.refresh();
        if (total !== null && cursor.offset + chunk.length > total) {
          throw new ProblemError('firmware-size-mismatch', { host, sentBytes: total, expectedBytes: null });
        }
        if (cursor.offset + chunk.length > cap) throw tooLarge(host, cap);
        // Written, then hashed, each chunk at once while it is still in the CPU cache (a positional write of one
        // socket chunk takes microseconds; batching megabytes for the thread pool measured ~1.5x slower overall).
        // The partial file and the hash state always agree, so a failed write leaves a resumable partial.
        writeAllAt(handle.fd, chunk, cursor.offset);
        run.digests.update(chunk);
        cursor.offset += chunk.length;
        run.meter.add(cursor.offset);
        run.emit('downloading');
      }
    } catch (error) {
      response.destroy();
      if (signal.aborted) throw abortError();
      if (error instanceof ProblemError || error instanceof HttpTransportError) throw error;
      throw new HttpTransportError(`${host}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(idle);
    }
    run.emit('downloading', true);
    const complete = total === null ? response.complete : cursor.offset === total;
    if (total === null && complete) progress.total = cursor.offset;
    return { complete, restart: false };
  }
}

function blockedUrl(error: NetworkPolicyError): ProblemError {
  const host = URL.canParse(error.url) ? new URL(error.url).host : error.url.slice(0, 100);
  return new ProblemError('firmware-blocked-url', { host }, { cause: error });
}

function tooLarge(host: string, cap: number): ProblemError {
  return new ProblemError('firmware-too-large', { host, capBytes: cap });
}

/** Positional write of all of `bytes` (a short write is continued, as pwrite may stop early). */
function writeAllAt(fd: number, bytes: Buffer, position: number): void {
  for (let done = 0; done < bytes.length;) {
    const written = writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (written === 0) throw Object.assign(new Error('No progress writing the firmware file'), { code: 'EIO' });
    done += written;
  }
}

function samePartial(a: PartialState, b: PartialState): boolean {
  return a.url === b.url && a.expectedSize === b.expectedSize && a.sha1 === b.sha1 && a.sha256 === b.sha256;
}

async function readPartialState(file: string): Promise<PartialState | null> {
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Partial<PartialState>;
    if (raw.version !== 1 || typeof raw.url !== 'string') return null;
    return {
      version: 1,
      url: raw.url,
      expectedSize: typeof raw.expectedSize === 'number' ? raw.expectedSize : null,
      sha1: typeof raw.sha1 === 'string' ? raw.sha1 : null,
      sha256: typeof raw.sha256 === 'string' ? raw.sha256 : null,
      etag: typeof raw.etag === 'string' ? raw.etag : null,
      lastModified: typeof raw.lastModified === 'string' ? raw.lastModified : null,
    };
  } catch {
    return null;
  }
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFile(`${file}.tmp`, JSON.stringify(value));
  await rename(`${file}.tmp`, file);
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function hashPrefix(file: string, length: number, digests: Digests, signal: AbortSignal): Promise<number> {
  let done = 0;
  if (length === 0) return 0;
  for await (const chunk of createReadStream(file, {
    start: 0,
    end: length - 1,
    highWaterMark: 1024 * 1024,
    signal,
  }) as AsyncIterable<Buffer>) {
    digests.update(chunk);
    done += chunk.length;
  }
  return done;
}

async function syncDirectory(directory: string): Promise<void> {
  // Makes the rename durable on POSIX; directories cannot be opened for sync on Windows (harmless to skip).
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* not supported on this platform */
  }
}
