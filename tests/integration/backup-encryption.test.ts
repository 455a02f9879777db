import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupOpenError, openBackup } from '../../main/backup/backup-manifest';
import { BackupService } from '../../main/backup/backup-service';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { hashChunks } from '../../main/sim/virtual-fs';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';

const PASSWORD = 'tr0ub4dor & 3';

type CliRun = { code: number; out: string[]; err: string[]; all: string };

async function cli(argv: string[], extra: { askSecret?: (question: string) => Promise<string> } = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), ...extra });
  return { code, out, err, all: [...out, ...err].join('\n') };
}

describe('an encrypted backup of the virtual iPhone made by Lifeline, opened and checked offline', () => {
  let sim: Simulator;
  let dir: string;
  let backupPath: string;
  let backupId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-encrypted-'));
    sim = await startSimulator({
      phones: [
        {
          trusted: true,
          ios: '14.8',
          backupEncryption: true,
          backupPassword: PASSWORD,
          timeFactor: 0.01,
          filesystem: { seed: 'encrypted-backup', fileCount: 80, totalBytes: 2 * 1024 * 1024 },
        },
      ],
    });
    const phone = sim.phones[0]!;
    const service = new BackupService({
      usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: dir }, home: dir },
    });
    const result = await service.backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined });
    expect(result.encrypted).toBe(true);
    backupPath = result.path;
    const listing = await cli(['--json', 'backups', '--dir', dir]);
    backupId = (JSON.parse(listing.out.join('')) as { backups: { id: string }[] }).backups[0]!.id;
  });

  afterAll(async () => {
    for (const phone of sim?.phones ?? []) await virtualFilesystemOf(phone).dispose();
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores Manifest.db and every file encrypted: nothing readable without the password', async () => {
    expect((await readFile(join(backupPath, 'Manifest.db'))).subarray(0, 15).toString('latin1')).not.toBe('SQLite format 3');
    await expect(openBackup(backupPath)).rejects.toMatchObject({ kind: 'password-needed' });
    await expect(openBackup(backupPath, { password: 'not it' })).rejects.toBeInstanceOf(BackupOpenError);
    await expect(openBackup(backupPath, { password: 'not it' })).rejects.toMatchObject({ kind: 'wrong-password' });
  });

  it('decrypts Manifest.db with the password: it lists every file of the phone, and each decrypts to the phone’s bytes', async () => {
    const fs = virtualFilesystemOf(sim.phones[0]!);
    const backup = await openBackup(backupPath, { password: PASSWORD });
    expect(backup.encrypted).toBe(true);
    const files = backup.records.filter((r) => r.flags === 1);
    expect(files.map((r) => `${r.domain}/${r.relativePath}`).sort()).toEqual(
      fs
        .files()
        .map((f) => `${f.domain}/${f.relativePath}`)
        .sort(),
    );
    expect(files.every((r) => r.encryptionKey?.length === 44 && (r.protectionClass === 1 || r.protectionClass === 3))).toBe(true);
    for (const record of files) expect(await hashChunks(backup.readFile(record))).toBe(await fs.contentHash(record.fileID));
  });

  it('lifeline backups check-password says yes for the right password from a file, and exits 0', async () => {
    const file = join(dir, 'right.txt');
    await writeFile(file, `${PASSWORD}\n`);
    const run = await cli(['--json', 'backups', 'check-password', backupId, '--dir', dir, '--password-file', file]);
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.out.join(''))).toEqual({ backupId, correct: true });
    expect(run.all).not.toContain(PASSWORD);
  });

  it('says what to try for a wrong password, exits 1 and never prints the password', async () => {
    const file = join(dir, 'wrong.txt');
    await writeFile(file, 'my phone passcode 123456\n');
    const prose = await cli(['backups', 'check-password', backupId, '--dir', dir, '--password-file', file]);
    expect(prose.code).toBe(EXIT.failed);
    expect(prose.err.join('\n')).toContain('This is not the backup password');
    expect(prose.err.join('\n')).toContain('“Encrypt local backup” was turned on');
    expect(prose.err.join('\n')).toContain('not the phone’s passcode or the Apple ID password');
    expect(prose.all).not.toContain('123456');
    const json = await cli(['--json', 'backups', 'check-password', backupId, '--dir', dir, '--password-file', file]);
    expect(json.code).toBe(EXIT.failed);
    expect(JSON.parse(json.out.join(''))).toMatchObject({ backupId, correct: false });
  });

  it('asks for the password without echo at a terminal, and refuses to guess without a terminal or a file', async () => {
    const questions: string[] = [];
    const asked = await cli(['backups', 'check-password', backupId, '--dir', dir], {
      askSecret: async (q) => (questions.push(q), PASSWORD),
    });
    expect(asked.code).toBe(EXIT.ok);
    expect(questions).toEqual(['Backup password (not shown): ']);
    expect(asked.all).not.toContain(PASSWORD);
    const noTerminal = await cli(['--json', 'backups', 'check-password', backupId, '--dir', dir]);
    expect(noTerminal.code).toBe(EXIT.usage);
    expect(JSON.parse(noTerminal.out.join('')).error.code).toBe('backup-password-needed');
  });

  it('names an unknown backup and an unencrypted one as Problems', async () => {
    const file = join(dir, 'right.txt');
    const unknown = await cli(['--json', 'backups', 'check-password', 'bk-000000000000', '--dir', dir, '--password-file', file]);
    expect(unknown.code).toBe(EXIT.failed);
    expect(JSON.parse(unknown.out.join('')).error.code).toBe('restore-backup-not-found');

    const plainDir = await mkdtemp(join(tmpdir(), 'lifeline-plain-'));
    try {
      const phone = await sim.addPhone({
        trusted: true,
        ios: '14.8',
        seed: 'plain-phone',
        timeFactor: 0.01,
        filesystem: { seed: 'plain', fileCount: 5, totalBytes: 5000 },
      });
      const service = new BackupService({
        usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
        locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: plainDir }, home: plainDir },
      });
      const result = await service.backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined });
      expect(result.encrypted).toBe(false);
      expect((await openBackup(result.path)).records.filter((r) => r.flags === 1)).toHaveLength(5);
      const plain = await cli(['--json', 'backups', 'check-password', phone.udid, '--dir', plainDir, '--password-file', file]);
      expect(plain.code).toBe(EXIT.failed);
      expect(JSON.parse(plain.out.join('')).error.code).toBe('backup-not-encrypted');
    } finally {
      await rm(plainDir, { recursive: true, force: true });
    }
  });
});
