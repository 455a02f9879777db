/**
 * `npm run bench:backup`: a full backup of the same virtual phone by Lifeline, by libimobiledevice's
 * `idevicebackup2 backup --full`, and by a null client (tests/bench/null-backup-client.ts: the same MobileBackup2
 * stream read and thrown away, the limit any host can reach here), in turn, each backup into a fresh folder. The phone
 * runs in its own process (sim-cli), so both hosts face the same device and our figures hold only our own work.
 * Size via BENCH_BACKUP_FILES (default 5000) and BENCH_BACKUP_BYTES (default 2 GB); BENCH_RUNS rounds (default 3).
 * BENCH_BACKUP_ONLY=ours|peer|null (or a comma list) runs only those sides and BENCH_SIM_NODE_ARGS adds node flags to the phone's process
 * (for profiling: docs/performance.md#backup-where-the-time-goes).
 * Prints MB/s and files/s, ours vs the limit (target ≥ 0.8), ours vs idevicebackup2 (target ≥ 1.2) and our peak
 * RSS (target ≤ 200 MB); medians. Never asserts.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BackupService } from '../../main/backup/backup-service';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { whichTool } from '../peers/peer-tool';
import { nullBackup } from './null-backup-client';
import { CORES, measureCpu, shortestWall } from './process-cpu';

const FILES = Number(process.env.BENCH_BACKUP_FILES ?? 5000);
const BYTES = Number(process.env.BENCH_BACKUP_BYTES ?? 2 * 1024 ** 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ONLY = process.env.BENCH_BACKUP_ONLY?.split(',');
const runs = (side: string): boolean => ONLY === undefined || ONLY.includes(side);
const IOS = process.env.BENCH_BACKUP_IOS ?? '14.8';

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

const work = await mkdtemp(join(tmpdir(), 'lifeline-bench-backup-'));
const scenarioPath = join(work, 'scenario.json');
await writeFile(
  scenarioPath,
  JSON.stringify({
    seed: 'bench-backup',
    ios: IOS,
    trusted: true,
    passcodeSet: false,
    timeFactor: 0.01,
    filesystem: { seed: 'bench-backup', fileCount: FILES, totalBytes: BYTES },
  }),
);
// BENCH_SIM_NODE_ARGS: extra node flags for the phone's process, e.g. --cpu-prof (NODE_OPTIONS refuses it).
const simNodeArgs = (process.env.BENCH_SIM_NODE_ARGS ?? '').split(' ').filter(Boolean);
// A UNIX socket, like usbmuxd on Linux and macOS (TCP loopback costs both hosts more per byte).
const listen = process.platform === 'win32' ? '127.0.0.1:0' : `UNIX:${join(work, 'usbmuxd.sock')}`;
const sim = spawn(
  process.execPath,
  [...simNodeArgs, '--import', 'tsx', 'main/sim/sim-cli.ts', '--scenario', scenarioPath, '--listen', listen, '--json'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const first = await new Promise<string>((resolve, reject) => {
  const lines = createInterface({ input: sim.stdout! });
  lines.once('line', resolve);
  sim.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
});
const { address, udid } = JSON.parse(first) as { address: string; udid: string };

const peer = runs('peer') ? whichTool('idevicebackup2') : undefined;
const service = new BackupService({ usbmuxAddress: parseUsbmuxSocketAddress(address)! });

/** Our time after the last byte arrived: fsync wait + verification, then folder fsyncs + swap. */
const tails: { verify: number; save: number }[] = [];

async function ours(): Promise<number> {
  const dir = await mkdtemp(join(work, 'ours-'));
  const started = performance.now();
  const phaseStarts = new Map<string, number>();
  const progress = (update: { phase: string }): void => {
    if (!phaseStarts.has(update.phase)) phaseStarts.set(update.phase, performance.now());
  };
  const result = await service.backup({ udid, directory: dir, full: true }, { signal: new AbortController().signal, progress });
  const ended = performance.now();
  const seconds = (ended - started) / 1000;
  // 'verifying' starts with the wait for the last fsyncs, then Manifest.db is checked; 'saving' is the folder fsyncs and the swap.
  const verifying = phaseStarts.get('verifying') ?? ended;
  const saving = phaseStarts.get('saving') ?? ended;
  tails.push({ verify: (saving - verifying) / 1000, save: (ended - saving) / 1000 });
  if (result.files !== FILES) throw new Error(`our backup has ${result.files} of ${FILES} files`);
  await rm(dir, { recursive: true, force: true });
  return seconds;
}

async function theirs(): Promise<number> {
  const dir = await mkdtemp(join(work, 'peer-'));
  const started = performance.now();
  const output = await new Promise<string>((resolve) =>
    execFile(
      peer!,
      ['backup', '--full', dir],
      { env: { ...process.env, USBMUXD_SOCKET_ADDRESS: address }, maxBuffer: 256 * 1024 * 1024 },
      (_e, stdout, stderr) => resolve(`${stdout}${stderr}`),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  if (!output.includes('Backup Successful.')) throw new Error(`idevicebackup2 failed:\n${output.slice(-2000)}`);
  await rm(dir, { recursive: true, force: true });
  return seconds;
}

async function limit(): Promise<number> {
  const device = (await service.usbmux.listDevices()).find((d) => d.udid === udid);
  if (!device) throw new Error('the bench phone is not attached');
  const started = performance.now();
  const result = await nullBackup(service.usbmux, device.deviceId, udid);
  const seconds = (performance.now() - started) / 1000;
  if (result.files < FILES || result.bytes < BYTES) throw new Error(`the null client got ${result.files} files, ${result.bytes} bytes`);
  return seconds;
}

const times = { ours: [] as number[], peer: [] as number[], null: [] as number[] };
/** CPU seconds of this process (ours, null) and of the phone's process during each run: steadier than wall time on a busy machine. */
const cpu = { ours: [] as number[], peer: [] as number[], null: [] as number[] };
const phoneCpu = { ours: [] as number[], peer: [] as number[], null: [] as number[] };
const sides: { name: keyof typeof times; run: () => Promise<number> }[] = [];
if (runs('ours')) sides.push({ name: 'ours', run: ours });
if (peer) sides.push({ name: 'peer', run: theirs });
if (runs('null')) sides.push({ name: 'null', run: limit });

try {
  for (let run = 0; run < RUNS; run++) {
    // Rotate who goes first so disk caches and write-back favour no one.
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(run + i) % sides.length]!;
      const { result: seconds, own, other: phone } = await measureCpu(sim.pid, side.run);
      times[side.name].push(seconds);
      if (side.name !== 'peer') cpu[side.name].push(own);
      if (phone !== undefined) phoneCpu[side.name].push(phone);
      const phoneText = phone !== undefined ? `, phone CPU ${phone.toFixed(1)} s` : '';
      const ownText = side.name === 'peer' ? '' : `, CPU ${own.toFixed(1)} s`;
      console.error(`  run ${run + 1} ${side.name}: ${seconds.toFixed(2)} s${ownText}${phoneText}`);
    }
  }
} finally {
  sim.kill('SIGINT');
  clearInterval(sampler);
  await rm(work, { recursive: true, force: true });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rss = (peakRss / 1024 / 1024).toFixed(0);
const mb = BYTES / 1e6;
const label = `${FILES} files, ${(BYTES / 1024 ** 3).toFixed(2)} GiB, median of ${RUNS}`;
const figures = (seconds: number): string =>
  `${(mb / seconds).toFixed(1)} MB/s, ${(FILES / seconds).toFixed(0)} files/s (${seconds.toFixed(1)} s)`;
const oursS = times.ours.length > 0 ? median(times.ours) : undefined;
const peerS = times.peer.length > 0 ? median(times.peer) : undefined;
const nullS = times.null.length > 0 ? median(times.null) : undefined;
console.log(`backup (${label}):`);
if (nullS !== undefined) console.log(`limit: null client ${figures(nullS)}`);
if (oursS !== undefined) {
  const tail = (key: 'verify' | 'save'): string => median(tails.map((t) => t[key])).toFixed(2);
  console.log(
    `ours: ${figures(oursS)}, peak RSS ${rss} MB (target ≤ 200); after the last byte: last fsyncs + verify ${tail('verify')} s, folder fsyncs + swap ${tail('save')} s`,
  );
}
if (peerS !== undefined) console.log(`idevicebackup2: ${figures(peerS)}`);
else if (runs('peer')) console.log('idevicebackup2: n/a (not installed)');
const cpuText = (name: keyof typeof times): string =>
  `${cpu[name].length > 0 ? `${median(cpu[name]).toFixed(1)} s` : 'n/a'} (phone ${phoneCpu[name].length > 0 ? `${median(phoneCpu[name]).toFixed(1)} s` : 'n/a'})`;
console.log(`CPU: ${sides.map((side) => `${side.name} ${cpuText(side.name)}`).join(', ')}`);
if (oursS !== undefined && nullS !== undefined) {
  console.log(`ours vs limit: ${(nullS / oursS).toFixed(2)} (target ≥ 0.8)`);
  if (cpu.ours.length > 0 && phoneCpu.ours.length > 0) {
    // Ours and the phone share this machine's cores: together they cannot take less wall time than their CPU over the cores.
    const floor = shortestWall(median(cpu.ours) + median(phoneCpu.ours));
    console.log(
      `CPU ceiling: ours + phone need ${(median(cpu.ours) + median(phoneCpu.ours)).toFixed(1)} CPU-s, ≥ ${floor.toFixed(2)} s on ${CORES} cores, so ours vs limit ≤ ${(nullS / floor).toFixed(2)} here`,
    );
  }
}
if (oursS !== undefined && peerS !== undefined) console.log(`ours vs idevicebackup2: ${(peerS / oursS).toFixed(2)} (target ≥ 1.2)`);
process.exit(0);
