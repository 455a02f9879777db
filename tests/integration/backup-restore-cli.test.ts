import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Phone } from '../../common/phone';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';

async function run(argv: string[], ask?: (question: string) => Promise<string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), ...(ask ? { ask } : {}) });
  return { code, out, err };
}

describe('lifeline backups show / restore (practice mode)', () => {
  let dir: string;
  let phoneId: string;
  let backupId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-cli-restore-'));
    const devices = await run(['--demo', '--json', 'devices']);
    phoneId = (JSON.parse(devices.out.join('')) as { phones: Phone[] }).phones.find((p) => p.triage.canBackUp)!.id;
    const made = await run(['--demo', '--json', 'backup', '--phone', phoneId, '--dir', dir]);
    expect(made.code).toBe(EXIT.ok);
    const listing = await run(['--json', 'backups', '--dir', dir]);
    backupId = (JSON.parse(listing.out.join('')) as { backups: { id: string }[] }).backups[0]!.id;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows one backup by its id: date, iOS, size, encryption and the phone’s name', async () => {
    const { code, out } = await run(['backups', 'show', backupId, '--dir', dir]);
    expect(code).toBe(EXIT.ok);
    const text = out.join('\n');
    expect(text).toContain(`Backup ${backupId}`);
    expect(text).toMatch(/Phone: +Practice iPhone 5s/);
    expect(text).toMatch(/iOS: +12\.5\.8/);
    expect(text).toMatch(/Encrypted: +no/);
    expect(text).toMatch(/Size: +[\d.]+ MB/);
  });

  it('asks before replacing the phone’s data, and changes nothing on “no”', async () => {
    const asked: string[] = [];
    const { code, out } = await run(['--demo', 'backups', 'restore', backupId, '--dir', dir, '--phone', phoneId], async (question) => {
      asked.push(question);
      return 'no';
    });
    expect(asked[0]).toMatch(/replaces what the phone holds now/);
    expect(code).toBe(EXIT.cancelled);
    expect(out.join('\n')).toContain('Nothing was changed.');
  });

  it('pairs first with a phone that does not trust this computer, and says to unlock a locked one so it can ask', async () => {
    const devices = await run(['--demo', '--json', 'devices']);
    const untrusted = (JSON.parse(devices.out.join('')) as { phones: Phone[] }).phones.find((p) => p.trusted === false)!;
    const { code, err } = await run(['--demo', 'backups', 'restore', backupId, '--dir', dir, '--phone', untrusted.id, '--yes']);
    expect(code).toBe(EXIT.failed);
    expect(err.join('\n')).toContain('Unlock the phone so it can trust this computer');
  });

  it('refuses to go on without --yes when no one can answer', async () => {
    const { code, err } = await run(['--demo', 'backups', 'restore', backupId, '--dir', dir, '--phone', phoneId]);
    expect(code).toBe(EXIT.usage);
    expect(err.join('\n')).toContain('A restore replaces the data on the phone');
  });

  it('restores the backup onto the phone with --yes and prints one JSON result', async () => {
    const { code, out } = await run([
      '--demo',
      '--json',
      'backups',
      'restore',
      backupId,
      '--dir',
      dir,
      '--phone',
      phoneId,
      '--yes',
      '--no-reboot',
    ]);
    expect(code).toBe(EXIT.ok);
    const result = JSON.parse(out.join('')) as { state: string; result: { backupId: string; files: number; rebooting: boolean } };
    expect(result.state).toBe('succeeded');
    expect(result.result).toMatchObject({ backupId, rebooting: false });
    expect(result.result.files).toBeGreaterThan(400);
    expect(result.result).not.toHaveProperty('udid');
  });
});
