/**
 * `npm run bench:backup`: a full backup of the same virtual phone by Lifeline and by libimobiledevice's
 * `idevicebackup2 backup --full`, alternating, each into a fresh folder. The phone runs in its own process
 * (sim-cli), so both hosts face the same device and our figures hold only our own work.
 * Size via BENCH_BACKUP_FILES (default 5000) and BENCH_BACKUP_BYTES (default 2 GB); BENCH_RUNS pairs (default 2).
 * Prints files/s, MB/s, the ratio ours/peer and our peak RSS. Target: ratio ≥ 1.0, RSS < 200 MB. Never asserts.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BackupService } from '../../main/backup/backup-service';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { whichTool } from '../peers/peer-tool';

const FILES = Number(process.env.BENCH_BACKUP_FILES ?? 5000);
const BYTES = Number(process.env.BENCH_BACKUP_BYTES ?? 2 * 1024 ** 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const IOS = process.env.BENCH_BACKUP_IOS ?? '14.8';

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

const work = await mkdtemp(join(tmpdir(), 'lifeline-bench-backup-'));
const scenarioPath = join(work, 'scenario.json');
await writeFile(scenarioPath, JSON.stringify({ seed: 'bench-backup', ios: IOS, trusted: true, passcodeSet: false, timeFactor: 0.01, filesystem: { seed: 'bench-backup', fileCount: FILES, totalBytes: BYTES } }));
const sim = spawn(process.execPath, ['--import', 'tsx', 'main/sim/sim-cli.ts', '--scenario', scenarioPath, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
const first = await new Promise<string>((resolve, reject) => {
  const lines = createInterface({ input: sim.stdout! });
  lines.once('line', resolve);
  sim.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
});
const { address, udid } = JSON.parse(first) as { address: string; udid: string };

const peer = whichTool('idevicebackup2');
const service = new BackupService({ usbmuxAddress: parseUsbmuxSocketAddress(address)! });

async function ours(): Promise<number> {
  const dir = await mkdtemp(join(work, 'ours-'));
  const started = performance.now();
  const result = await service.backup({ udid, directory: dir, full: true }, { signal: new AbortController().signal, progress: () => undefined });
  const seconds = (performance.now() - started) / 1000;
  if (result.files !== FILES) throw new Error(`our backup has ${result.files} of ${FILES} files`);
  await rm(dir, { recursive: true, force: true });
  return seconds;
}

async function theirs(): Promise<number> {
  const dir = await mkdtemp(join(work, 'peer-'));
  const started = performance.now();
  const output = await new Promise<string>((resolve) =>
    execFile(peer!, ['backup', '--full', dir], { env: { ...process.env, USBMUXD_SOCKET_ADDRESS: address }, maxBuffer: 256 * 1024 * 1024 }, (_e, stdout, stderr) => resolve(`${stdout}${stderr}`)),
  );
  const seconds = (performance.now() - started) / 1000;
  if (!output.includes('Backup Successful.')) throw new Error(`idevicebackup2 failed:\n${output.slice(-2000)}`);
  await rm(dir, { recursive: true, force: true });
  return seconds;
}

const oursTimes: number[] = [];
const peerTimes: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    // Alternate who goes first so disk caches favour neither.
    if (run % 2 === 0) {
      oursTimes.push(await ours());
      if (peer) peerTimes.push(await theirs());
    } else {
      if (peer) peerTimes.push(await theirs());
      oursTimes.push(await ours());
    }
  }
} finally {
  sim.kill('SIGINT');
  clearInterval(sampler);
  await rm(work, { recursive: true, force: true });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const oursS = median(oursTimes);
const rss = (peakRss / 1024 / 1024).toFixed(0);
const mb = BYTES / 1e6;
const label = `${FILES} files, ${(BYTES / 1024 ** 3).toFixed(2)} GiB`;
if (peerTimes.length > 0) {
  const peerS = median(peerTimes);
  console.log(`backup files/s (${label}): ours ${(FILES / oursS).toFixed(0)}, peer ${(FILES / peerS).toFixed(0)}, ratio ${(peerS / oursS).toFixed(2)}, peak RSS ${rss} MB`);
  console.log(`backup MB/s (${label}): ours ${(mb / oursS).toFixed(1)}, peer ${(mb / peerS).toFixed(1)}, ratio ${(peerS / oursS).toFixed(2)}, peak RSS ${rss} MB`);
} else {
  console.log(`backup files/s (${label}): ours ${(FILES / oursS).toFixed(0)}, peer n/a (idevicebackup2 not installed), peak RSS ${rss} MB`);
  console.log(`backup MB/s (${label}): ours ${(mb / oursS).toFixed(1)}, peer n/a, peak RSS ${rss} MB`);
}
process.exit(0);
