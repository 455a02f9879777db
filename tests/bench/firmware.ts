/**
 * `npm run bench:firmware`: downloading + verifying a firmware file from a local server.
 *  - ours: FirmwareDownloader (streaming SHA-1 while writing, staging file, fsync, rename) into a temp cache.
 *  - peer: `curl -o` then `sha1sum` of the same file, same server, same run.
 * Size: BENCH_FIRMWARE_BYTES (default 2 GiB; e.g. 268435456 for a quick run). Target: ratio ≥ 0.9, peak RSS < 150 MB.
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

try {
  const started = performance.now();
  const result = await new FirmwareDownloader().download({ url, destination: path.join(work, 'ours.ipsw'), expectedSize: size, sha1, sha256: null });
  const oursSeconds = (performance.now() - started) / 1000;
  if (result.sha1 !== sha1) throw new Error('our download did not verify');
  await rm(result.path);
  await run('sync').catch(() => undefined);

  const oursRate = size / MB / oursSeconds;
  const curl = whichTool('curl');
  const sha1sum = whichTool('sha1sum');
  if (!curl || !sha1sum) {
    console.log(`firmware download+verify (${(size / 1e9).toFixed(2)} GB): ours ${oursRate.toFixed(0)} MB/s (${oursSeconds.toFixed(1)} s), peer skipped (${!curl ? 'curl' : 'sha1sum'} not installed), peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`);
  } else {
    const peerFile = path.join(work, 'peer.ipsw');
    const peerStarted = performance.now();
    await run(curl, ['-s', '-S', '-f', '-o', peerFile, url], { maxBuffer: 1024 * 1024 });
    const { stdout } = await run(sha1sum, [peerFile]);
    const peerSeconds = (performance.now() - peerStarted) / 1000;
    if (!stdout.startsWith(sha1)) throw new Error('peer download did not verify');
    const peerRate = size / MB / peerSeconds;
    console.log(
      `firmware download+verify (${(size / 1e9).toFixed(2)} GB): ours ${oursRate.toFixed(0)} MB/s (${oursSeconds.toFixed(1)} s), peer curl -o + sha1sum ${peerRate.toFixed(0)} MB/s (${peerSeconds.toFixed(1)} s), ratio ${(oursRate / peerRate).toFixed(2)} (target ≥ 0.9), peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB (target < 150)`,
    );
  }
} finally {
  clearInterval(sampler);
  cdn.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
