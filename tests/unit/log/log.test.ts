import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { log, logFilesOf, startFileLog } from '../../../main/log/log';
import { captureLog } from './capture-log';

const UDID = '00008030-001A2B3C4D5E6F78';
const folders: string[] = [];
afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'lifeline-log-'));
  folders.push(folder);
  return join(folder, 'logs');
}

describe('log', () => {
  it('writes one JSON line per event with its fields, redacted', async () => {
    const capture = captureLog();
    log.info('journey.transition', { from: 'assessing', to: 'choosing', udid: UDID, note: `USB serial ${UDID}`, password: 'hunter2' });
    await new Promise((resolve) => setImmediate(resolve));
    capture.stop();
    const [line] = capture.lines();
    expect(line).toMatchObject({
      level: 30,
      process: 'engine',
      event: 'journey.transition',
      from: 'assessing',
      to: 'choosing',
      udid: '[udid …5E6F78]',
      password: '[redacted]',
    });
    expect(capture.text()).not.toContain(UDID);
    expect(capture.text()).not.toContain('hunter2');
  });

  it('writes nothing once its sink is gone', () => {
    const capture = captureLog();
    capture.stop();
    log.error('engine.restart', { reason: 'test' });
    expect(capture.text()).toBe('');
  });

  it('writes owner-only files in the log folder and keeps at most maxFiles + 1 of them', async () => {
    const folder = await scratch();
    const stop = await startFileLog({ folder, process: 'engine', maxFileBytes: 1024, maxFiles: 2 });
    for (let i = 0; i < 400; i++) {
      log.info('job.progress', { i, text: 'x'.repeat(40), udid: UDID });
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await stop();
    const files = logFilesOf(folder, 'engine');
    expect(files.length).toBeGreaterThan(0);
    expect(files.length).toBeLessThanOrEqual(3);
    expect(await readdir(folder)).toEqual(expect.arrayContaining(files));
    const newest = await readFile(join(folder, files.at(-1)!), 'utf8');
    expect(newest).toContain('"event":"job.progress"');
    expect(newest).not.toContain(UDID);
    expect(newest).toContain('"i":399');
    expect((await stat(join(folder, files.at(-1)!))).mode & 0o077).toBe(0);
  });
});
