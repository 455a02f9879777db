import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineStatus, JobSummary, LifelineApi } from '../../common/api';
import type { Phone } from '../../common/phone';
import { printProblem } from '../../main/cli/cli-output';
import { followJob } from '../../main/cli/follow-job';
import { childProcessPort } from '../../main/transport/engine-port';
import { EngineSupervisor } from '../../main/transport/engine-supervisor';
import { JOB_INTERRUPTED_CODE } from '../../main/transport/interrupted-job';

const entry = fileURLToPath(new URL('../../main/transport/engine-host-entry.ts', import.meta.url));

/** The first practice phone that can be backed up, as soon as the registry has identified it. */
function backupablePhone(api: LifelineApi): Promise<Phone> {
  return new Promise((resolve, reject) => {
    const check = (phones: Phone[]): void => {
      const phone = phones.find((p) => p.connected && p.triage.canBackUp);
      if (!phone) return;
      off();
      resolve(phone);
    };
    const off = api.on('devices.changed', check);
    api.invoke('devices.list', {}).then(check, reject);
  });
}

function engineStatus(api: LifelineApi, state: EngineStatus['state']): Promise<EngineStatus> {
  return new Promise((resolve) => {
    const off = api.on('engine.status', (status) => {
      if (status.state !== state) return;
      off();
      resolve(status);
    });
  });
}

describe('the engine in its own process (practice mode, forked like the app’s utility process)', () => {
  let dir: string;
  let children: ChildProcess[];
  let supervisor: EngineSupervisor;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-engine-process-'));
    children = [];
    supervisor = new EngineSupervisor({
      spawn: () => {
        // TMPDIR: the practice data of a killed engine (which never gets to clean up) stays in this test's folder.
        const child = fork(entry, ['--demo'], {
          execArgv: ['--import', 'tsx'],
          env: { ...process.env, TMPDIR: dir, LIFELINE_DATA_DIR: dir },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.push(child);
        return childProcessPort(child);
      },
      restartDelayMs: () => 0,
    });
  });

  afterEach(async () => {
    await supervisor.close();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('restarts the engine killed mid-backup; the job ends interrupted with next steps; the new engine answers', async () => {
    const statuses: EngineStatus[] = [];
    supervisor.on('engine.status', (status) => statuses.push(status));
    const jobEvents: JobSummary[] = [];
    supervisor.on('jobs.changed', (summary) => jobEvents.push(summary));

    await supervisor.start();
    expect(await supervisor.invoke('app.info', {})).toMatchObject({ demo: true, transport: 'electron' });
    const phone = await backupablePhone(supervisor);
    const first = children[0]!;

    // Killed at the job's first progress report after its start was answered: the backup is certainly running then.
    let started: string | null = null;
    let killedAt: string | null = null;
    const offProgress = supervisor.on('progress', (progress) => {
      if (killedAt !== null || progress.job !== started) return;
      killedAt = progress.job;
      first.kill('SIGKILL');
    });
    const restarting = engineStatus(supervisor, 'restarting');
    const runningAgain = engineStatus(supervisor, 'running');
    const cliLines: string[] = [];
    const ending = await followJob(
      supervisor,
      { json: false, out: (t) => cliLines.push(t), err: (t) => cliLines.push(t) },
      new AbortController().signal,
      () =>
        supervisor.invoke('backup.start', { phoneId: phone.id, directory: join(dir, 'backups') }).then((answer) => {
          started = answer.job;
          return answer;
        }),
    );
    offProgress();

    // What the CLI's job follower makes of it: a failure with the Problem it prints (and exits non-zero for).
    expect(ending.state).toBe('failed');
    const problem = ending.state === 'failed' ? ending.problem : null;
    expect(problem).toMatchObject({ code: JOB_INTERRUPTED_CODE });
    expect(problem!.nextSteps.join(' ')).toMatch(/previous backup is unchanged.*start the backup again/);
    printProblem({ json: false, out: (t) => cliLines.push(t), err: (t) => cliLines.push(t) }, { problem });
    expect(cliLines.join('\n')).toMatch(/— interrupted\n.*engine stopped.*\n {2}• Your previous backup is unchanged/);
    expect((await restarting).reason).toMatch(/SIGKILL/);

    const interrupted = jobEvents.filter((summary) => summary.state === 'interrupted');
    expect(interrupted).toHaveLength(1);
    expect(interrupted[0]).toMatchObject({ job: killedAt, kind: 'backup', phoneId: phone.id, problem: { code: JOB_INTERRUPTED_CODE } });
    expect(interrupted[0]!.finishedAt).not.toBeNull();

    await runningAgain;
    expect(statuses.map((status) => status.state)).toEqual(['running', 'restarting', 'running']);
    expect(children).toHaveLength(2);
    expect(children[1]!.pid).not.toBe(first.pid);
    expect(first.signalCode).toBe('SIGKILL');

    // The new process answers, and still knows what happened to the job.
    expect(await supervisor.invoke('app.info', {})).toMatchObject({ demo: true });
    expect(await supervisor.invoke('devices.list', {})).toBeInstanceOf(Array);
    const jobs = await supervisor.invoke('jobs.list', {});
    expect(jobs.find((job) => job.job === killedAt)).toMatchObject({ state: 'interrupted', problem: { code: JOB_INTERRUPTED_CODE } });
    expect(await supervisor.invoke('jobs.cancel', { job: killedAt! })).toEqual({ cancelled: false });
  }, 120_000);
});
