/**
 * `npm run bench:asr`: streaming an OS image to the phone over ASR, against the same bytes over a raw socket.
 *  - ours: AsrClient (Initiate, packet info, three out-of-band reads, then the payload; with checksum chunks, a SHA-1
 *    per 128 KiB chunk) to the virtual phone's ASR side on loopback.
 *  - peer: the same generated image written to a plain loopback socket with back-pressure, nothing else; and for
 *    checksum chunks also that loop plus a SHA-1 after every 128 KiB (what any ASR sender must compute), so the
 *    hashing cost shows apart from our protocol overhead.
 * Both read one synthetic image generated on the fly (never stored), and both are timed until the receiver has
 * everything and closes. The receiver runs in a child process. Size: BENCH_ASR_BYTES (default 4 GiB); BENCH_RUNS
 * alternating pairs (default 3), medians reported. Target: ratio ≥ 0.8; peak RSS of this process while streaming.
 * Prints one line per figure; never asserts.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AsrClient } from '../../main/asr/asr-client';
import { ASR_CHECKSUM_CHUNK_SIZE } from '../../main/asr/asr-wire';
import { syntheticOsImage } from '../../main/sim/restore/synthetic-os-image';
import { waitForDrain } from '../../main/wire/write-when-ready';

const size = Number(process.env.BENCH_ASR_BYTES ?? 4 * 1024 ** 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MB = 1e6;
const image = syntheticOsImage(size, 11);

const startRss = process.memoryUsage().rss;
let peakRss = 0;
let sampling = false;
const sampler = setInterval(() => {
  if (sampling) peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

const phone = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'asr-phone.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const first = await new Promise<string>((resolve, reject) => {
  createInterface({ input: phone.stdout! }).once('line', resolve);
  phone.once('exit', (code) => reject(new Error(`bench phone exited (${code})`)));
});
const ports = JSON.parse(first) as { asr: number; asrChecksum: number; raw: number };

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

async function ours(port: number): Promise<number> {
  const socket = await connect(port);
  const closed = once(socket, 'close');
  const started = performance.now();
  sampling = true;
  const outcome = await (await AsrClient.connect(socket)).sendImage(image);
  await closed;
  sampling = false;
  if (outcome.outcome !== 'sent' || outcome.bytesSent !== size) throw new Error(`ASR run ended ${outcome.outcome}`);
  return (performance.now() - started) / 1000;
}

async function peer(withSha1: boolean): Promise<number> {
  const socket = await connect(ports.raw);
  const closed = once(socket, 'close');
  const started = performance.now();
  for await (const chunk of image.stream()) {
    if (withSha1) {
      for (let at = 0; at < chunk.length; at += ASR_CHECKSUM_CHUNK_SIZE) {
        const part = chunk.subarray(at, at + ASR_CHECKSUM_CHUNK_SIZE);
        socket.write(part);
        if (!socket.write(createHash('sha1').update(part).digest())) await waitForDrain(socket);
      }
    } else if (!socket.write(chunk)) await waitForDrain(socket);
  }
  socket.end();
  await closed;
  return (performance.now() - started) / 1000;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rate = (seconds: number): number => size / MB / seconds;

try {
  const runs = { plain: [] as number[], checksum: [] as number[], peer: [] as number[], peerSha1: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? (['plain', 'peer', 'checksum', 'peerSha1'] as const) : (['peerSha1', 'checksum', 'peer', 'plain'] as const);
    for (const who of order) {
      if (who === 'peer' || who === 'peerSha1') runs[who].push(await peer(who === 'peerSha1'));
      else runs[who].push(await ours(who === 'plain' ? ports.asr : ports.asrChecksum));
    }
  }
  const gb = (size / 1e9).toFixed(2);
  const rss = `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB (${(startRss / 2 ** 20).toFixed(0)} MB before streaming)`;
  const line = (label: string, oursRuns: number[], peerLabel: string, peerRuns: number[]): void => {
    const oursRate = rate(median(oursRuns));
    const peerRate = rate(median(peerRuns));
    console.log(
      `${label} (${gb} GB loopback, median of ${RUNS}): ours ${oursRate.toFixed(0)} MB/s, peer ${peerLabel} ${peerRate.toFixed(0)} MB/s, ratio ${(oursRate / peerRate).toFixed(2)} (target ≥ 0.8), ${rss}`,
    );
  };
  line('asr stream', runs.plain, 'raw socket', runs.peer);
  line('asr stream, checksum chunks', runs.checksum, 'raw socket + SHA-1 per chunk', runs.peerSha1);
  line('asr stream, checksum chunks vs plain socket', runs.checksum, 'raw socket', runs.peer);
} finally {
  clearInterval(sampler);
  phone.kill('SIGTERM');
}
