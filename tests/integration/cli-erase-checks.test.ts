import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Phone } from '../../common/phone';
import { backupIdOf } from '../../main/backup/backup-id';
import { BackupService } from '../../main/backup/backup-service';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';

const PASSWORD = 'a long backup password';

type Io = { ask?: (question: string) => Promise<string>; askSecret?: (question: string) => Promise<string> };

async function run(argv: string[], io: Io = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), ...io });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// Saved journeys and logs of these runs stay in this file's own folder.
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'lifeline-cli-erase-data-'));
  process.env.LIFELINE_DATA_DIR = dataDir;
});
afterAll(async () => {
  delete process.env.LIFELINE_DATA_DIR;
  await rm(dataDir, { recursive: true, force: true });
});

describe('lifeline restore --erase --backup: the backup’s password proven before anything is erased', () => {
  let dir: string;
  let sim: Simulator;
  let backupId: string;
  let fiveS: Phone;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-cli-erase-'));
    sim = await startSimulator({
      phones: [
        {
          trusted: true,
          ios: '14.8',
          backupEncryption: true,
          backupPassword: PASSWORD,
          timeFactor: 0.01,
          filesystem: {
            seed: 'cli-erase',
            fileCount: 30,
            totalBytes: 300_000,
            personal: { photos: 4, videos: 1, messages: 20, contacts: 5, notes: 2 },
          },
        },
      ],
    });
    const service = new BackupService({
      usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: dir }, home: dir },
    });
    backupId = backupIdOf(
      (await service.backup({ udid: sim.phones[0]!.udid }, { signal: new AbortController().signal, progress: () => undefined })).path,
    );
    await writeFile(join(dir, 'right.txt'), `${PASSWORD}\n`);
    await writeFile(join(dir, 'wrong.txt'), 'not it\n');
    const { phones } = JSON.parse((await run(['--demo', '--json', 'devices'])).out) as { phones: Phone[] };
    fiveS = phones.find((p) => p.model.name.startsWith('iPhone 5s'))!;
  });

  afterAll(async () => {
    for (const phone of sim?.phones ?? []) await virtualFilesystemOf(phone).dispose();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const erase = (extra: string[], io: Io = {}) =>
    run(['--demo', 'restore', '--erase', '--phone', fiveS.id, '--backup', backupId, '--dir', dir, ...extra], io);

  it('a wrong password: “this is not the backup password”, what to try, nothing erased and no question asked', async () => {
    const asked: string[] = [];
    const { code, err } = await erase(['--password-file', join(dir, 'wrong.txt')], { ask: async (q) => (asked.push(q), 'erase') });
    expect(code).toBe(EXIT.failed);
    expect(err).toContain('This is not the backup password');
    expect(err).toContain('It is not the phone’s passcode or the Apple ID password');
    expect(err).toContain('Nothing was erased.');
    expect(asked).toEqual([]);
    expect(err).not.toContain('not it');
  });

  it('the right password from the prompt (never echoed): proven, then Activation Lock is explained before the confirmation', async () => {
    const secrets: string[] = [];
    const questions: string[] = [];
    const { code, out, err } = await erase([], {
      askSecret: async (q) => (secrets.push(q), PASSWORD),
      ask: async (q) => (questions.push(q), 'no'),
    });
    expect(code).toBe(EXIT.cancelled);
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toMatch(/is encrypted\. Its password \(not shown/);
    expect(err).toContain(`That is the password of backup ${backupId}`);
    expect(err).toMatch(
      /erases everything.*Find My is on, so Activation Lock is on\. After the erase, Activation Lock asks for the Apple ID and password that were on the phone before/s,
    );
    expect(err).toContain('https://support.apple.com/en-us/HT204921');
    expect(questions).toHaveLength(1);
    expect(`${out}\n${err}`).not.toContain(PASSWORD);
  });

  it('lifeline backups show: date, iOS, size, encryption and what it holds, once the password opens it', async () => {
    const locked = await run(['backups', 'show', backupId, '--dir', dir]);
    expect(locked.code).toBe(EXIT.ok);
    expect(locked.out).toMatch(/Encrypted: {2}yes/);
    expect(locked.out).toContain('Contents:   not counted: the backup is encrypted');
    const prompted: string[] = [];
    const opened = await run(['backups', 'show', backupId, '--dir', dir], { askSecret: async (q) => (prompted.push(q), PASSWORD) });
    expect(prompted).toHaveLength(1);
    expect(opened.out).toMatch(/Photos: +4 \(A Live Photo/);
    expect(opened.out).toMatch(/Videos: +1\n/);
    expect(opened.out).toMatch(/Messages: +20\n/);
    expect(opened.out).toMatch(/Contacts: +5\n/);
    expect(opened.out).toMatch(/Notes: +2\n/);
    expect(opened.out).not.toContain(PASSWORD);
    const json = await run(['--json', 'backups', 'show', backupId, '--dir', dir, '--password-file', join(dir, 'right.txt')]);
    expect(JSON.parse(json.out)).toMatchObject({
      id: backupId,
      encrypted: true,
      iosVersion: '14.8',
      contents: { manifest: 'read', photos: { count: 4 }, messages: { count: 20 }, contacts: { count: 5 } },
    });
    const wrong = await run(['--json', 'backups', 'show', backupId, '--dir', dir, '--password-file', join(dir, 'wrong.txt')]);
    expect(wrong.code).toBe(EXIT.failed);
    expect(JSON.parse(wrong.out)).toMatchObject({ error: { code: 'backup-wrong-password' } });
  });

  it('no password and no one to ask: a backup it cannot open is useless after the erase; this phone can make a new one', async () => {
    const { code, out } = await run([
      '--demo',
      '--json',
      'restore',
      '--erase',
      '--yes',
      '--phone',
      fiveS.id,
      '--backup',
      backupId,
      '--dir',
      dir,
    ]);
    expect(code).toBe(EXIT.failed);
    const { error } = JSON.parse(out) as { error: { code: string; nextSteps: string[] } };
    expect(error.code).toBe('erase-backup-password-unknown');
    expect(error.nextSteps[0]).toMatch(/^Make a new backup now: this phone does not encrypt its backups/);
  });
});

describe('lifeline passcode-guide', () => {
  it('prints where the passcode setting is for an iPhone 5s on iOS 12.5.8, and the caveats', async () => {
    const { code, out } = await run(['passcode-guide', '--device', 'iPhone6,1', '--ios', '12.5.8']);
    expect(code).toBe(EXIT.ok);
    expect(out).toMatch(/^The new passcode \(iPhone 5s \(GSM\), iOS 12\.5\.8\)/);
    expect(out).toContain('Settings → Touch ID & Passcode → Change Passcode');
    expect(out).toContain('6 digits');
    expect(out).toContain('never inside a backup');
    expect(out).toContain('Screen Time');
  });

  it('takes a connected phone’s model and iOS, and refuses a model it cannot read', async () => {
    const { phones } = JSON.parse((await run(['--demo', '--json', 'devices'])).out) as { phones: Phone[] };
    const twelve = phones.find((p) => p.model.name.startsWith('iPhone 12'))!;
    const { code, out } = await run(['--demo', '--json', 'passcode-guide', '--phone', twelve.id]);
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(out)).toMatchObject({
      productType: 'iPhone13,2',
      iosVersion: '17.5.1',
      setting: 'Settings → Face ID & Passcode',
      defaultDigits: 6,
    });
    expect((await run(['passcode-guide', '--device', 'Pixel 8'])).code).toBe(EXIT.usage);
  });
});
