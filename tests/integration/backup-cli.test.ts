import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupSummary } from '../../common/api';
import type { Phone } from '../../common/phone';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';

async function run(argv: string[], signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, signal);
  return { code, out, err };
}

describe('lifeline backup / lifeline backups (practice mode)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-cli-backup-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('backs up the trusted practice iPhone 5s into --dir and prints one JSON result', async () => {
    const devices = await run(['--demo', '--json', 'devices']);
    const phone = (JSON.parse(devices.out.join('')) as { phones: Phone[] }).phones.find((p) => p.triage.canBackUp)!;
    const { code, out } = await run(['--demo', '--json', 'backup', '--phone', phone.id, '--dir', dir]);
    expect(code).toBe(EXIT.ok);
    expect(out).toHaveLength(1);
    const result = JSON.parse(out[0]!) as { state: string; result: { files: number; path: string; phoneId: string } };
    expect(result.state).toBe('succeeded');
    expect(result.result.phoneId).toMatch(/^ph-[0-9a-f]{12}$/);
    expect(result.result).not.toHaveProperty('udid');
    expect(result.result.files).toBe(400);
    expect(await readdir(dir)).toEqual([result.result.path.split('/').at(-1)]);
  });

  it('lists that backup with its device name, model, iOS version and completeness', async () => {
    const { code, out } = await run(['--json', 'backups', '--dir', dir]);
    expect(code).toBe(EXIT.ok);
    const listing = JSON.parse(out.join('')) as { backups: (Omit<BackupSummary, 'udid'> & { phoneId: string })[] };
    expect(listing.backups).toHaveLength(1);
    expect(listing.backups[0]!.phoneId).toMatch(/^ph-[0-9a-f]{12}$/);
    expect(listing.backups[0]).not.toHaveProperty('udid');
    const shown = JSON.parse((await run(['--json', 'backups', '--dir', dir, '--show-ecid'])).out.join('')) as { backups: BackupSummary[] };
    expect(shown.backups[0]).toMatchObject({ phoneId: listing.backups[0]!.phoneId, udid: shown.backups[0]!.path.split('/').at(-1) });
    expect(listing.backups[0]).toMatchObject({
      deviceName: 'Practice iPhone 5s',
      modelName: 'iPhone 5s (GSM)',
      iosVersion: '12.5.8',
      complete: true,
      encrypted: false,
    });
    const prose = await run(['backups', '--dir', dir]);
    expect(prose.out.join('\n')).toContain('Practice iPhone 5s — iPhone 5s (GSM), iOS 12.5.8');
    expect(prose.out.join('\n')).toContain(`  …${shown.backups[0]!.udid.slice(-6)}  `);
  });

  it('refuses a phone that cannot be backed up, with exit code 1 and the triage reason', async () => {
    const devices = await run(['--demo', '--json', 'devices']);
    const phone = (JSON.parse(devices.out.join('')) as { phones: Phone[] }).phones.find((p) => p.mode === 'recovery')!;
    const { code, out } = await run(['--demo', '--json', 'backup', '--phone', phone.id, '--dir', dir]);
    expect(code).toBe(EXIT.failed);
    expect(JSON.parse(out.join('')).error.code).toBe('backup-wrong-mode');
  });

  it('exits with "no device" for an unknown phone id', async () => {
    const { code } = await run(['--demo', 'backup', '--phone', 'FFFF', '--dir', dir]);
    expect(code).toBe(EXIT.noDevice);
  });
});
