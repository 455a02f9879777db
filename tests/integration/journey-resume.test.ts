/**
 * The journey survives the engine process being killed mid-restore: the new engine reads the saved journey, knows
 * the phone again by its ECID, says what happened, and carries the restore through (the engine forked as the app's
 * utility process is, as in engine-process.test.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineStatus, JourneySnapshot } from '../../common/api';
import { childProcessPort } from '../../main/transport/engine-port';
import { EngineSupervisor } from '../../main/transport/engine-supervisor';
import { journeyIn, journeyTrail, practicePhone } from './journey-practice';

const entry = fileURLToPath(new URL('./journey-engine-entry.ts', import.meta.url));

describe('a journey resumed after the engine process is killed mid-restore', () => {
  let dir: string;
  let children: ChildProcess[];
  let supervisor: EngineSupervisor;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-journey-resume-'));
    children = [];
    supervisor = new EngineSupervisor({
      spawn: () => {
        const child = fork(entry, [], {
          execArgv: ['--import', 'tsx'],
          env: { ...process.env, TMPDIR: dir, LIFELINE_DATA_DIR: dir, LIFELINE_BACKUP_DIR: join(dir, 'backups') },
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

  it('picks the restore up again in the new engine, with a clear message, and finishes the journey', async () => {
    await supervisor.start();
    const phone = await practicePhone(supervisor, 'Practice iPhone 5s');
    await supervisor.invoke('journey.start', { phoneId: phone.id });
    await journeyIn(supervisor, phone.id, 'choosing');
    await supervisor.invoke('journey.act', { phoneId: phone.id, action: 'continueWithoutBackup' });
    await supervisor.invoke('journey.act', { phoneId: phone.id, action: 'acceptNoBackup' });
    await journeyIn(supervisor, phone.id, 'confirmErase');

    // Killed once the restore is walking the phone through its boot chain: well inside the restore, the phone away from iOS.
    const first = children[0]!;
    let killedIn: JourneySnapshot | null = null;
    const offKill = supervisor.on('journey.changed', (snapshot) => {
      if (killedIn !== null || snapshot.phoneId !== phone.id || snapshot.state !== 'restoring' || snapshot.progress?.phase !== 'boot-chain')
        return;
      killedIn = snapshot;
      first.kill('SIGKILL');
    });
    const restarted = new Promise<EngineStatus>((resolve) => {
      let sawRestart = false;
      const off = supervisor.on('engine.status', (status) => {
        if (status.state === 'restarting') sawRestart = true;
        if (sawRestart && status.state === 'running') {
          off();
          resolve(status);
        }
      });
    });
    await supervisor.invoke('journey.act', { phoneId: phone.id, action: 'confirmErase', typed: 'erase' });
    await restarted;
    offKill();
    expect(killedIn).toMatchObject({ state: 'restoring', job: expect.any(String) });
    expect(first.signalCode).toBe('SIGKILL');

    // The new engine: the saved journey is there before the phone is, and comes back to life when it is seen.
    const trail = journeyTrail(supervisor, phone.id);
    const saved = await supervisor.invoke('journey.list', {});
    expect(saved.find((journey) => journey.phoneId === phone.id)).toMatchObject({ state: 'restoring' });
    const passcode = await journeyIn(supervisor, phone.id, 'newPasscode');
    const notices = trail.snapshots.map((snapshot) => snapshot.notice).filter((notice): notice is string => notice !== null);
    expect(notices[0]).toMatch(/^Lifeline stopped during the restore\./);
    // The phone of the new practice host started normally (as a real one does when a restore stops before the erase):
    // the chart sends it back into recovery mode (trusted: Lifeline does it) and the restore runs again.
    expect(trail.states).toEqual(['restoring', 'enteringRecovery', 'restoring', 'newPasscode']);
    expect(notices).toContain(
      'The phone started normally again before the restore was done (recovery mode ends by itself after about 15 minutes). Let’s put it back into recovery mode.',
    );
    expect(passcode).toMatchObject({ firmware: { version: '12.5.8' }, safety: { status: 'cannot-be-saved' } });
    // The restore was carried through in the new engine: its progress reached the journey again (which stages show
    // depends on the 20 Hz coalescing of progress, so any stage counts).
    expect(trail.snapshots.some((snapshot) => snapshot.state === 'restoring' && snapshot.progress !== null && snapshot.job !== null)).toBe(
      true,
    );
    trail.stop();
  }, 300_000);
});
