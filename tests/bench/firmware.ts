/**
 * `npm run bench:firmware`: downloading + verifying a firmware file from a local server.
 *  - ours: FirmwareDownloader (streaming SHA-1 while writing, staging file, fsync, rename) into a temp cache.
 *  - peer: `curl -o` then `sha1sum` of the same file, same server, same run.
 * Size: BENCH_FIRMWARE_BYTES (default 2 GiB; e.g. 268435456 for a quick run); BENCH_RUNS alternating pairs (default 3),
 * medians reported. Target: ratio ≥ 0.9, peak RSS < 150 MB. Our time includes the final fsync (a safety promise curl
 * does not make); it is shown separately, with the ratio both with and without it.
 * The server runs in a child process so it never shares our event loop. Prints one line per figure; never asserts.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { FirmwareDownloader } from '../../main/firmware/downloader';
import { fillerBlock } from '../../main/sim/zip-writer';
import { whichTool } from '../peers/peer-tool';

const run = promisify(execFile);
const size = Number(process.env.BENCH_FIRMWARE_BYTES ?? 2 * 1024 ** 3);
const MB = 1e6;

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

// The expected SHA-1 of the filler the server sends (not timed).
function fillerSha1(bytes: number): string {
  const block = fillerBlock(7);
  const hash = createHash('sha1');
  for (let left = bytes; left > 0; left -= block.length) hash.update(left >= block.length ? block : block.subarray(0, left));
  return hash.digest('hex');
}

const cdn = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'firmware-cdn.ts')], {
  env: { ...process.env, BENCH_FIRMWARE_BYTES: String(size) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const first = await new Promise<string>((resolve, reject) => {
  createInterface({ input: cdn.stdout! }).once('line', resolve);
  cdn.once('exit', (code) => reject(new Error(`bench CDN exited (${code})`)));
});
const { url } = JSON.parse(first) as { url: string };
const work = await mkdtemp(path.join(os.tmpdir(), 'bench-firmware-'));
const sha1 = fillerSha1(size);

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Our whole download, and the part of it spent in the final flush (fsync of the file, rename, fsync of the folder). */
async function ours(): Promise<{ seconds: number; flushSeconds: number }> {
  let flushStarted: number | undefined;
  const started = performance.now();
  const result = await new FirmwareDownloader().download({
    url,
    destination: path.join(work, 'ours.ipsw'),
    expectedSize: size,
    sha1,
    sha256: null,
    // 'verifying' is announced right before the fsync; everything after it is the durability step curl skips.
    onProgress: (p) => {
      if (p.phase === 'verifying') flushStarted ??= performance.now();
    },
  });
  const ended = performance.now();
  if (result.sha1 !== sha1) throw new Error('our download did not verify');
  await rm(result.path);
  return { seconds: (ended - started) / 1000, flushSeconds: flushStarted === undefined ? 0 : (ended - flushStarted) / 1000 };
}

async function peer(curl: string, sha1sum: string): Promise<number> {
  const peerFile = path.join(work, 'peer.ipsw');
  const started = performance.now();
  await run(curl, ['-s', '-S', '-f', '-o', peerFile, url], { maxBuffer: 1024 * 1024 });
  const { stdout } = await run(sha1sum, [peerFile]);
  const seconds = (performance.now() - started) / 1000;
  if (!stdout.startsWith(sha1)) throw new Error('peer download did not verify');
  await rm(peerFile);
  return seconds;
}

try {
  const curl = whichTool('curl');
  const sha1sum = whichTool('sha1sum');
  const oursRuns: { seconds: number; flushSeconds: number }[] = [];
  const peerRuns: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate who goes first; write back dirty pages between runs so neither inherits the other's.
    for (const who of i % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours']) {
      if (who === 'ours') oursRuns.push(await ours());
      else if (curl && sha1sum) peerRuns.push(await peer(curl, sha1sum));
      await run('sync').catch(() => undefined);
    }
  }
  const gb = (size / 1e9).toFixed(2);
  const oursSeconds = median(oursRuns.map((r) => r.seconds));
  const flushSeconds = median(oursRuns.map((r) => r.flushSeconds));
  const noFlushSeconds = median(oursRuns.map((r) => r.seconds - r.flushSeconds));
  const rate = (seconds: number): number => size / MB / seconds;
  const rss = `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB (target < 150)`;
  const oursText = `ours ${rate(oursSeconds).toFixed(0)} MB/s (${oursSeconds.toFixed(1)} s, of which final fsync+rename ${flushSeconds.toFixed(2)} s)`;
  if (peerRuns.length === 0) {
    console.log(
      `firmware download+verify (${gb} GB, median of ${RUNS}): ${oursText}, peer skipped (${!curl ? 'curl' : 'sha1sum'} not installed), ${rss}`,
    );
  } else {
    const peerSeconds = median(peerRuns);
    console.log(
      `firmware download+verify (${gb} GB, median of ${RUNS}): ${oursText}, peer curl -o + sha1sum ${rate(peerSeconds).toFixed(0)} MB/s (${peerSeconds.toFixed(1)} s, no fsync), ratio ${(peerSeconds / oursSeconds).toFixed(2)} (target ≥ 0.9), ${rss}`,
    );
    console.log(
      `firmware download+verify without our final fsync (${gb} GB): ours ${rate(noFlushSeconds).toFixed(0)} MB/s (${noFlushSeconds.toFixed(1)} s), peer ${rate(peerSeconds).toFixed(0)} MB/s, ratio ${(peerSeconds / noFlushSeconds).toFixed(2)}`,
    );
  }
} finally {
  clearInterval(sampler);
  cdn.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
