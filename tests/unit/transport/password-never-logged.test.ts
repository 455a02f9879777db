import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupService } from '../../../main/backup/backup-service';
import { Engine } from '../../../main/rescue/engine';
import { dispatch } from '../../../main/transport/dispatcher';
import { captureLog } from '../log/capture-log';

const PASSWORD = 'Tr0ub4dor&3-never-in-a-log';
const context = { transport: 'web-bridge' as const };

describe('a backup password never reaches the log', () => {
  let dir: string;
  let capture: ReturnType<typeof captureLog>;
  let engine: Engine;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-password-log-'));
    capture = captureLog();
    engine = new Engine({ version: '1', backup: new BackupService() });
  });

  afterEach(async () => {
    capture.stop();
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('logs a failed backup.checkPassword and a failed backup.restore job by command, job and code only', async () => {
    const check = await dispatch(engine, context, 'backup.checkPassword', {
      backupId: 'no-such-backup',
      directory: dir,
      password: PASSWORD,
    });
    expect(check.ok).toBe(false);
    const ended = new Promise<void>((resolve) => {
      const off = engine.on('jobs.changed', (summary) => {
        if (summary.state === 'running') return;
        off();
        resolve();
      });
    });
    const restore = await dispatch(engine, context, 'backup.restore', { phoneId: 'no-such-phone', directory: dir, password: PASSWORD });
    expect(restore.ok).toBe(true);
    await ended;
    const events = capture.lines().map((line) => [line.event, line.command ?? line.kind]);
    expect(events).toEqual([
      ['command.failed', 'backup.checkPassword'],
      ['job.started', 'backup.restore'],
      ['job.failed', 'backup.restore'],
    ]);
    expect(capture.text()).not.toContain(PASSWORD);
  });

  it('logs a refused request by the names of its bad fields, never their values', async () => {
    const tooLong = `${PASSWORD}${'x'.repeat(5000)}`;
    const refused = await dispatch(engine, context, 'backup.checkPassword', { backupId: 'b', password: tooLong, extra: PASSWORD });
    expect(refused).toMatchObject({ ok: false, problem: { code: 'bad-request' } });
    expect(capture.lines()).toEqual([
      expect.objectContaining({ event: 'command.refused', command: 'backup.checkPassword', code: 'bad-request' }),
    ]);
    expect(capture.text()).not.toContain(PASSWORD);
  });
});
