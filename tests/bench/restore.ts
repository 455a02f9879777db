/**
 * `npm run bench:restore`: the complete restore, measured.
 *  - restore wall time: a practice iPhone 5s (A7) erased from DFU mode through the engine's `restore.start` — firmware
 *    check, boot chain, restored, ASR, baseband, final reboot — median of BENCH_RUNS (default 3). The peer: Debian's
 *    idevicerestore (`-e -y -s`) erasing the same virtual phone from DFU with the same practice IPSW, already on disk,
 *    in the same run (USB/IP through the libusb shim from LIFELINE_LIBUSB_USBIP_SRC, restore mode over the fake
 *    usbmuxd, the practice signing server as its http proxy), median of BENCH_RUNS; without the tool or the shim the
 *    line says why. Two lines: ours as the app runs it from the button (the restore fetches the IPSW itself), and ours
 *    with the firmware prepared first (like for like with the peer).
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
import type { JobSummary, LifelineApi } from '../../common/api';
import { AsrClient } from '../../main/asr/asr-client';
import { ipswEntryImageSource } from '../../main/asr/asr-image-source';
import { readBuildManifest, selectIdentity } from '../../main/ipsw/build-manifest';
import { IpswArchive } from '../../main/ipsw/ipsw-reader';
import { startFakeTssServer } from '../../main/sim/fake-tss-server';
import { practiceIpswSpec } from '../../main/sim/restore/restore-firmware';
import type { ScenarioInput } from '../../main/sim/scenario';
import { writeSyntheticIpsw } from '../../main/sim/synthetic-ipsw';
import { phoneIn, restoreThroughEngine, startRestorePractice } from '../integration/restore-practice';
import { buildLibusbShim, restoreWithIdevicerestore } from '../peers/idevicerestore-run';
import { idevicerestoreOverUsbipNeeds, peerSkipReason, whichTool } from '../peers/peer-tool';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const OS_BYTES = Number(process.env.BENCH_RESTORE_OS_BYTES ?? 4 * 1024 ** 3);
const ASR_BYTES = process.env.BENCH_ASR_BYTES ?? String(1024 ** 3);
/** The OS image size of the practice IPSW the engine downloads (practice firmware's default). */
const PRACTICE_IPSW_OS_BYTES = 4 * 1024 * 1024;
const MB = 1e6;
const MiB = 2 ** 20;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The phone both hosts erase: the practice iPhone 5s, in DFU mode. */
const BENCH_PHONE: ScenarioInput = { model: { productType: 'iPhone6,1' }, mode: 'dfu', filesystem: { fileCount: 12, totalBytes: 100_000 } };

/**
 * The peer's wall time for the same restore, in seconds (median of RUNS), or why it was not measured. `-s` sends the
 * signing requests straight to a plain-http address (through the practice server as proxy): without it each request
 * first waits out three refused https tries, 2 s apart, which a machine on the internet would not.
 */
async function peerRestoreSeconds(): Promise<number | string> {
  const tool = whichTool('idevicerestore');
  const shimSource = process.env.LIFELINE_LIBUSB_USBIP_SRC ?? '';
  const missing = peerSkipReason(idevicerestoreOverUsbipNeeds(shimSource));
  if (missing !== null || tool === null) return `not measured: ${missing}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeline-bench-idevicerestore-'));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const shimDir = path.join(dir, 'libusb-usbip');
    buildLibusbShim(shimSource, shimDir);
    const spec = practiceIpswSpec('iPhone6,1', PRACTICE_IPSW_OS_BYTES)!;
    const seconds: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const tss = await startFakeTssServer();
      cleanups.push(() => tss.close());
      const result = await restoreWithIdevicerestore({
        tool,
        shimDir,
        spec,
        phone: { timeFactor: 0.01, ...BENCH_PHONE },
        tss,
        route: 'cydia',
        cleanups,
      });
      if (result.code !== 0 || result.record?.outcome !== 'finished')
        return `not measured: idevicerestore exited ${result.code} (${result.output.trim().split('\n').at(-1) ?? ''})`;
      seconds.push(result.wallMs / 1000);
      while (cleanups.length > 0) await cleanups.pop()!();
    }
    return median(seconds);
  } finally {
    while (cleanups.length > 0) await cleanups.pop()!();
    await rm(dir, { recursive: true, force: true });
  }
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

/** firmware.prepare (what the app does before the buttons) to its end: the IPSW downloaded and checked. */
async function prepareFirmware(api: LifelineApi, phoneId: string): Promise<void> {
  let finish: (summary: JobSummary) => void = () => undefined;
  const ended = new Promise<JobSummary>((resolve) => (finish = resolve));
  const seen: JobSummary[] = [];
  let jobId: string | null = null;
  const off = api.on('jobs.changed', (summary) => {
    if (summary.state === 'running') return;
    if (jobId === null) seen.push(summary);
    else if (summary.job === jobId) finish(summary);
  });
  try {
    jobId = (await api.invoke('firmware.prepare', { phoneId })).job;
    const already = seen.find((s) => s.job === jobId);
    if (already) finish(already);
    const summary = await ended;
    if (summary.state !== 'succeeded') throw new Error(`firmware.prepare ${summary.state}: ${summary.problem?.title ?? ''}`);
  } finally {
    off();
  }
}

/**
 * `prepared`: the firmware is downloaded and checked before the clock starts, as the peer is handed the IPSW on disk
 * (like for like); otherwise the restore fetches the practice IPSW from the practice CDN (throttled to 2 MiB/s) itself.
 */
async function restoreWallTime(peer: number | string, prepared: boolean): Promise<void> {
  const seconds: number[] = [];
  const rss = rssSampler();
  rss.start();
  for (let run = 0; run < RUNS; run++) {
    const practice = await startRestorePractice(BENCH_PHONE);
    try {
      const phone = await phoneIn(practice.api, 'dfu');
      if (prepared) await prepareFirmware(practice.api, phone.id);
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
  const peerWords =
    typeof peer === 'string'
      ? `peer idevicerestore ${peer}`
      : `peer idevicerestore ${peer.toFixed(1)} s, ratio ${(ours / peer).toFixed(2)}`;
  const what = prepared ? 'firmware prepared first, as the peer gets the IPSW on disk' : 'ours fetches the IPSW, the peer gets it on disk';
  console.log(
    `restore wall time (practice iPhone 5s, erase from DFU, ${what}, median of ${RUNS}): ours ${ours.toFixed(1)} s, ${peerWords}, peak RSS ${(peak / MiB).toFixed(0)} MB`,
  );
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
  const phone = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'asr-phone.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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

const peer = await peerRestoreSeconds();
await restoreWallTime(peer, false);
await restoreWallTime(peer, true);
await asrAgainstRawSocket();
await streamFromIpsw();
