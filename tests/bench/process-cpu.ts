import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';

/** user + system CPU seconds of another process so far (Linux /proc), undefined elsewhere. */
async function processCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** This process's user + system CPU seconds so far. */
function ownCpuSeconds(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
}

/**
 * Runs `run` and says what it cost: CPU seconds of this process (`own`) and of the process `other` (`other`,
 * undefined where /proc is absent).
 */
export async function measureCpu<T>(
  other: number | undefined,
  run: () => Promise<T>,
): Promise<{ result: T; own: number; other: number | undefined }> {
  const otherBefore = await processCpuSeconds(other);
  const ownBefore = ownCpuSeconds();
  const result = await run();
  const own = ownCpuSeconds() - ownBefore;
  const otherAfter = await processCpuSeconds(other);
  return { result, own, other: otherBefore === undefined || otherAfter === undefined ? undefined : otherAfter - otherBefore };
}

/** Cores this machine gives its processes. */
export const CORES = availableParallelism();

/**
 * The shortest wall time `cpuSeconds` of work can take here, every core busy the whole time. A side needing more CPU
 * than `cores × wall` cannot be made faster by overlapping better: only by doing less.
 */
export const shortestWall = (cpuSeconds: number, cores = CORES): number => cpuSeconds / cores;
