/**
 * `npm run bench:restore`: the complete restore, measured.
 *  - restore wall time: a practice iPhone 5s (A7) erased from DFU mode through the engine's `restore.start` — firmware
 *    check, boot chain, restored, ASR, baseband, final reboot — median of BENCH_RUNS (default 3). The peer figure
 *    (idevicerestore against the same virtual phone) plugs in at `peerRestoreSeconds`; until then it prints as not
 *    measured.
 *  - ASR throughput against a raw loopback socket: `tests/bench/asr.ts` run as it is (BENCH_ASR_BYTES, default here
 *    1 GiB, one run), its lines passed through.
 *  - peak RSS while streaming a BENCH_RESTORE_OS_BYTES (default 4 GiB) OS image the way a restore does: straight from
 *    the stored entry of a synthetic ZIP64 IPSW on disk, over ASR to the bench phone (`asr-phone.ts`). Target < 250 MB.
 * One line per figure; never asserts.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AsrClient } from '../../main/asr/asr-client';
import { ipswEntryImageSource } from '../../main/asr/asr-image-source';
import { readBuildManifest, selectIdentity } from '../../main/ipsw/build-manifest';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { practiceIpswSpec } from '../../main/sim/restore/restore-firmware';
import { writeSyntheticIpsw } from '../../main/sim/synthetic-ipsw';
import { phoneIn, restoreThroughEngine, startRestorePractice } from '../integration/restore-practice';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const OS_BYTES = Number(process.env.BENCH_RESTORE_OS_BYTES ?? 4 * 1024 ** 3);
const ASR_BYTES = process.env.BENCH_ASR_BYTES ?? String(1024 ** 3);
const MB = 1e6;
const MiB = 2 ** 20;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The peer's wall time for the same restore (idevicerestore against the same virtual phone), in seconds; null until measured. */
async function peerRestoreSeconds(): Promise<number | null> {
  return null;
}

function rssSampler(): { start(): void; stop(): number } {
  let peak = 0;
  let timer: NodeJS.Timeout | null = null;
  return {
    start() {
      peak = process.memoryUsage().rss;
      timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    },
    stop() {
      if (timer) clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

async function restoreWallTime(): Promise<void> {
  const seconds: number[] = [];
  const rss = rssSampler();
  rss.start();
  for (let run = 0; run < RUNS; run++) {
    const practice = await startRestorePractice({ model: { productType: 'iPhone6,1' }, mode: 'dfu', filesystem: { fileCount: 12, totalBytes: 100_000 } });
    try {
      const phone = await phoneIn(practice.api, 'dfu');
      const started = performance.now();
      const ending = await restoreThroughEngine(practice.api, { choice: 'erase', confirmed: true, phoneId: phone.id });
      if (ending.state !== 'succeeded') throw new Error(`restore ${ending.state}: ${ending.problem?.title ?? ''}`);
      seconds.push((performance.now() - started) / 1000);
    } finally {
      await practice.close();
    }
  }
  const peak = rss.stop();
  const ours = median(seconds);
  const peer = await peerRestoreSeconds();
  const peerWords = peer === null ? 'peer idevicerestore not measured yet' : `peer idevicerestore ${peer.toFixed(1)} s, ratio ${(ours / peer).toFixed(2)}`;
  console.log(`restore wall time (practice iPhone 5s, erase from DFU, median of ${RUNS}): ours ${ours.toFixed(1)} s, ${peerWords}, peak RSS ${(peak / MiB).toFixed(0)} MB`);
}

async function asrAgainstRawSocket(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'asr.ts')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, BENCH_ASR_BYTES: ASR_BYTES, BENCH_RUNS: process.env.BENCH_ASR_RUNS ?? '1' },
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) console.log(`asr stream: the ASR bench exited with ${code}`);
}

async function streamFromIpsw(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-bench-restore-'));
  const phone = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'asr-phone.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: phone.stdout! }).once('line', resolve);
      phone.once('exit', (code) => reject(new Error(`bench phone exited (${code})`)));
    });
    const ports = JSON.parse(first) as { asrChecksum: number };
    const spec = practiceIpswSpec('iPhone6,1', OS_BYTES)!;
    const ipsw = await writeSyntheticIpsw(dir, { ...spec, zip64: true });
    const archive = await IpswArchive.open(ipsw.path);
    try {
      const identity = selectIdentity(await readBuildManifest(archive), 'n51ap', 'Erase')!;
      const osPath = identity.components.find((c) => c.name === 'OS')!.path!;
      const socket = net.connect(ports.asrChecksum, '127.0.0.1');
      await once(socket, 'connect');
      const closed = once(socket, 'close');
      const rss = rssSampler();
      const before = process.memoryUsage().rss;
      rss.start();
      const started = performance.now();
      const outcome = await (await AsrClient.connect(socket)).sendImage(ipswEntryImageSource(archive, osPath));
      await closed;
      const elapsed = (performance.now() - started) / 1000;
      const peak = rss.stop();
      if (outcome.outcome !== 'sent') throw new Error(`ASR ended ${outcome.outcome}`);
      console.log(
        `asr from the IPSW entry (${(OS_BYTES / 1e9).toFixed(2)} GB stored in a ZIP64 IPSW, checksum chunks): ours ${(OS_BYTES / MB / elapsed).toFixed(0)} MB/s, ` +
          `peak RSS ${(peak / MiB).toFixed(0)} MB (${(before / MiB).toFixed(0)} MB before streaming; target < 250 MB)`,
      );
    } finally {
      archive.close();
    }
  } finally {
    phone.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

await restoreWallTime();
await asrAgainstRawSocket();
await streamFromIpsw();
