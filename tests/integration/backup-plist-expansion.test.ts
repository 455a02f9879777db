import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderProblem } from '../../common/problems/catalog';
import { BackupService } from '../../main/backup/backup-service';
import { EXIT } from '../../main/cli/exit-codes';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { createSimServices, virtualFilesystemOf } from '../../main/sim/services/index';
import { parseUsbmuxSocketAddress, USBMUXD_ADDRESS_ENV } from '../../main/usbmux/usbmux-address';
import { expansionBomb } from '../unit/plist/binary-plist-writer';
import { treeDigest } from './backup-tree-hash';
import { hostileMobileBackup2, type HostileOutcome } from './hostile-mobilebackup2';

const repo = resolve(import.meta.dirname, '../..');
const MB = 1024 * 1024;

function framed(body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}

/** Runs `lifeline` in its own process; resolves when it exits, with its output and its peak RSS. */
async function runCli(
  args: string[],
  env: Record<string, string>,
  peakRssFile: string,
): Promise<{ code: number | null; stdout: string; stderr: string; peakRss: number }> {
  const child = spawn(
    process.execPath,
    ['--import', join(repo, 'tests/integration/report-peak-rss.mjs'), join(repo, 'bin/lifeline.mjs'), ...args],
    {
      cwd: repo,
      env: { ...process.env, ...env, LIFELINE_PEAK_RSS_FILE: peakRssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, stdout, stderr, peakRss: Number(await readFile(peakRssFile, 'utf8')) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('a phone that sends a plist expansion bomb in the middle of a backup', () => {
  let sim: Simulator;
  let dir: string;
  let hostile = false;
  const outcome: HostileOutcome = { statuses: [], finished: false };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-backup-bomb-'));
    const frame = framed(expansionBomb());
    sim = await startSimulator({
      phones: [{ trusted: true, ios: '14.8', timeFactor: 0.01, filesystem: { seed: 'bomb', fileCount: 20, totalBytes: 200_000 } }],
      phoneOptions: {
        createServices: (p) => {
          const services = createSimServices(p);
          // The first backup is honest; the next one is made by a hostile phone.
          const honest = services.get('com.apple.mobilebackup2')!;
          const evil = hostileMobileBackup2(p, { kind: 'frame-after-file', frame }, outcome);
          services.set('com.apple.mobilebackup2', {
            name: honest.name,
            ssl: honest.ssl,
            serve: (stream) => (hostile ? evil.serve(stream) : honest.serve(stream)),
          });
          return services;
        },
      },
    });
  });

  afterAll(async () => {
    if (sim) {
      await virtualFilesystemOf(sim.phones[0]!).dispose();
      await sim.close();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fails with a clear Problem, keeps the previous backup byte-identical, and the backup process stays under 250 MB', async () => {
    const root = join(dir, 'Backups');
    const udid = sim.phones[0]!.udid;
    const service = new BackupService({ usbmuxAddress: parseUsbmuxSocketAddress(sim.address)! });
    await service.backup({ udid, directory: root }, { signal: new AbortController().signal, progress: () => undefined });
    const previous = await treeDigest(root);

    hostile = true;
    const run = await runCli(
      ['--json', 'backup', '--udid', udid, '--dir', root],
      { [USBMUXD_ADDRESS_ENV]: sim.address, HOME: dir },
      join(dir, 'peak-rss'),
    );

    expect(run.code, run.stderr).toBe(EXIT.failed);
    // The bomb came mid-backup: the host had already taken (and acknowledged) a file.
    expect(outcome.statuses.map((status) => status.slice(0, 2))).toEqual([['DLMessageStatusResponse', 0]]);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; title: string; detail: string; nextSteps: string[] } };
    expect(error.code).toBe('backup-protocol');
    // The bounded plist reader's reason stays the error's cause (for logs); people read the catalog's words.
    expect(error.detail).toBe(renderProblem('backup-protocol').detail);
    expect(error.nextSteps).toContain('Your previous backup is unchanged.');
    expect(await treeDigest(root)).toBe(previous);
    expect(run.peakRss).toBeGreaterThan(0);
    expect(run.peakRss).toBeLessThan(250 * MB);
  });
});
