/**
 * `npm run bench:restore-backup`: putting the same backup onto the same virtual phone, by Lifeline
 * (BackupRestoreService) and by libimobiledevice's `idevicebackup2 restore --system --no-reboot`, alternating. Then
 * four phones backed up at once and four restored at once, each against its solo speed. The phones run in their own
 * process (tests/bench/backup-phones.ts). Size via BENCH_RESTORE_FILES (default 2000) and BENCH_RESTORE_BYTES
 * (default 512 MiB) per phone; BENCH_RUNS pairs (default 2). Prints `name: ours X, peer Y, ratio X/Y, peak RSS Z MB`
 * lines and the concurrency figures (target ≥ 0.8× solo), with what four delivered together and how busy one alone keeps
 * the cores. Never asserts.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BackupRestoreService } from '../../main/backup/backup-restore-service';
import { BackupService } from '../../main/backup/backup-service';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { whichTool } from '../peers/peer-tool';
import { CORES, measureCpu } from './process-cpu';

const FILES = Number(process.env.BENCH_RESTORE_FILES ?? 2000);
const BYTES = Number(process.env.BENCH_RESTORE_BYTES ?? 512 * 1024 ** 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const PHONES = 4;

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

const work = await mkdtemp(join(tmpdir(), 'lifeline-bench-restore-'));
const phones = spawn(process.execPath, ['--import', 'tsx', 'tests/bench/backup-phones.ts', String(PHONES), String(FILES), String(BYTES)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const first = await new Promise<string>((resolve, reject) => {
  createInterface({ input: phones.stdout! }).once('line', resolve);
  phones.once('exit', (code) => reject(new Error(`phones exited (${code})`)));
});
const { address, udids } = JSON.parse(first) as { address: string; udids: string[] };

const peer = whichTool('idevicebackup2');
const backups = new BackupService({ usbmuxAddress: parseUsbmuxSocketAddress(address)! });
const restores = new BackupRestoreService(backups);
const never = new AbortController().signal;
const dirs = udids.map((_, i) => join(work, `phone-${i}`));

async function backUp(i: number): Promise<number> {
  const started = performance.now();
  const result = await backups.backup({ udid: udids[i]!, directory: dirs[i]!, full: true }, { signal: never, progress: () => undefined });
  if (result.files !== FILES) throw new Error(`backup of phone ${i} has ${result.files} of ${FILES} files`);
  return (performance.now() - started) / 1000;
}

async function ours(i: number): Promise<number> {
  const started = performance.now();
  await restores.restore(
    { udid: udids[i]!, directory: dirs[i]!, options: { reboot: false } },
    { signal: never, progress: () => undefined },
  );
  return (performance.now() - started) / 1000;
}

async function theirs(i: number): Promise<number> {
  const started = performance.now();
  const output = await new Promise<string>((resolve) =>
    execFile(
      peer!,
      ['-u', udids[i]!, 'restore', '--system', '--no-reboot', dirs[i]!],
      { env: { ...process.env, USBMUXD_SOCKET_ADDRESS: address }, maxBuffer: 256 * 1024 * 1024 },
      (_e, stdout, stderr) => resolve(`${stdout}${stderr}`),
    ),
  );
  if (!output.includes('Restore Successful.')) throw new Error(`idevicebackup2 restore failed:\n${output.slice(-2000)}`);
  return (performance.now() - started) / 1000;
}

/** A solo run's wall time and the CPU it cost this process and the phones' together. */
async function soloCpu(run: () => Promise<number>): Promise<{ seconds: number; cpu: number | undefined }> {
  const { result: seconds, own, other } = await measureCpu(phones.pid, run);
  return { seconds, cpu: other === undefined ? undefined : own + other };
}

/** What four at once delivered together, against one alone, and how busy one alone keeps the cores. */
function together(soloSeconds: number, soloCpu: number | undefined, each: number[]): string {
  const combined = each.reduce((sum, s) => sum + soloSeconds / s, 0);
  const busy = soloCpu === undefined ? '' : `; one alone keeps ${(soloCpu / soloSeconds).toFixed(2)} of ${CORES} cores busy`;
  return `together ${combined.toFixed(2)}× one alone (0.8 each needs ${(0.8 * PHONES).toFixed(1)}×)${busy}`;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const label = `${FILES} files, ${(BYTES / 1024 ** 3).toFixed(2)} GiB`;
const mb = BYTES / 1e6;
const rss = (): string => (peakRss / 1024 / 1024).toFixed(0);

try {
  const soloBackupRun = await soloCpu(() => backUp(0));
  const soloBackup = soloBackupRun.seconds;
  const allBackups = await Promise.all(udids.map((_, i) => backUp(i)));

  const oursRuns: { seconds: number; cpu: number | undefined }[] = [];
  const peerTimes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    // Alternate who goes first so caches favour neither.
    if (run % 2 === 0) {
      oursRuns.push(await soloCpu(() => ours(0)));
      if (peer) peerTimes.push(await theirs(0));
    } else {
      if (peer) peerTimes.push(await theirs(0));
      oursRuns.push(await soloCpu(() => ours(0)));
    }
  }
  const allRestores = await Promise.all(udids.map((_, i) => ours(i)));

  const oursS = median(oursRuns.map((run) => run.seconds));
  const cpus = oursRuns.flatMap((run) => (run.cpu === undefined ? [] : [run.cpu]));
  const oursCpu = cpus.length > 0 ? median(cpus) : undefined;
  if (peerTimes.length > 0) {
    const peerS = median(peerTimes);
    console.log(
      `restore files/s (${label}): ours ${(FILES / oursS).toFixed(0)}, peer ${(FILES / peerS).toFixed(0)}, ratio ${(peerS / oursS).toFixed(2)}, peak RSS ${rss()} MB`,
    );
    console.log(
      `restore MB/s (${label}): ours ${(mb / oursS).toFixed(1)}, peer ${(mb / peerS).toFixed(1)}, ratio ${(peerS / oursS).toFixed(2)}, peak RSS ${rss()} MB`,
    );
  } else {
    console.log(`restore MB/s (${label}): ours ${(mb / oursS).toFixed(1)}, peer n/a (idevicebackup2 not installed), peak RSS ${rss()} MB`);
  }
  // Each phone's speed among four at once, as a share of one phone alone (target ≥ 0.80).
  const shares = (solo: number, each: number[]): string => each.map((s) => (solo / s).toFixed(2)).join(', ');
  console.log(
    `${PHONES} backups at once (${label} each): solo ${(mb / soloBackup).toFixed(1)} MB/s, each ${allBackups.map((s) => (mb / s).toFixed(1)).join(', ')} MB/s, share of solo ${shares(soloBackup, allBackups)} (${together(soloBackup, soloBackupRun.cpu, allBackups)}), peak RSS ${rss()} MB`,
  );
  console.log(
    `${PHONES} restores at once (${label} each): solo ${(mb / oursS).toFixed(1)} MB/s, each ${allRestores.map((s) => (mb / s).toFixed(1)).join(', ')} MB/s, share of solo ${shares(oursS, allRestores)} (${together(oursS, oursCpu, allRestores)}), peak RSS ${rss()} MB`,
  );
} finally {
  phones.kill('SIGINT');
  clearInterval(sampler);
  await rm(work, { recursive: true, force: true });
}
process.exit(0);
