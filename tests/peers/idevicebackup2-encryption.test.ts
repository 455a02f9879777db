import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBackupPassword, openBackup } from '../../main/backup/backup-manifest';
import { decodePlist } from '../../main/plist/plist-codec';
import { isPlistDict } from '../../main/plist/plist-value';
import { createSimServices, virtualFilesystemOf } from '../../main/sim/services/index';
import { BackupEvent, PASSCODE_ENTERED_EVENT } from '../../main/sim/services/mobilebackup2';
import { startSimulator, type Simulator } from '../../main/sim/simulator';
import { hashChunks, type VirtualFilesystem } from '../../main/sim/virtual-fs';
import { needTool, peerSkipReason, peerSuiteOptions, runTool, whichTool, untilBackInNormalMode } from './peer-tool';

const TOOL = whichTool('idevicebackup2');
const skip = peerSkipReason([needTool('idevicebackup2', 'libimobiledevice-utils'), needTool('ideviceinfo', 'libimobiledevice-utils')]);
const TIMEOUT_MS = 100_000;

/** Every file of the phone, decrypted from the backup with OUR library, equals the phone's bytes. */
async function expectBackupHoldsPhone(folder: string, password: string | undefined, fs: VirtualFilesystem): Promise<void> {
  const backup = await openBackup(folder, password === undefined ? {} : { password });
  const files = backup.records.filter((r) => r.flags === 1);
  expect(files.map((r) => r.fileID).sort()).toEqual(
    fs
      .files()
      .map((f) => f.fileID)
      .sort(),
  );
  for (const record of files) {
    expect(await hashChunks(backup.readFile(record)), `${record.domain}/${record.relativePath}`).toBe(await fs.contentHash(record.fileID));
  }
}

async function manifestOf(folder: string): Promise<Record<string, unknown>> {
  const manifest = decodePlist(await readFile(join(folder, 'Manifest.plist')));
  if (!isPlistDict(manifest)) throw new Error('Manifest.plist is not a dictionary');
  return manifest;
}

// 14.8: plain mobilebackup2 socket, passcode confirmation of the password change (iOS ≥ 13); 17.0: TLS-wrapped service and the backup passcode prompt.
describe.skipIf(skip !== null).each(['14.8', '17.0'])(
  'idevicebackup2 encryption on / changepw / off against the virtual iPhone on iOS %s',
  peerSuiteOptions(skip),
  (ios) => {
    let sim: Simulator;
    let dir: string;
    let prompts = 0;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lifeline-peer-encryption-'));
      sim = await startSimulator({
        phones: [
          { trusted: true, ios, timeFactor: 0.01, filesystem: { seed: `peer-enc-${ios}`, fileCount: 120, totalBytes: 3 * 1024 * 1024 } },
        ],
        phoneOptions: { createServices: createSimServices },
      });
      const phone = sim.phones[0]!;
      phone.events.on(BackupEvent.PasscodeRequested, () => {
        prompts++;
        setImmediate(() => phone.events.emit(PASSCODE_ENTERED_EVENT));
      });
    });

    afterAll(async () => {
      const phone = sim?.phones[0];
      if (phone) await virtualFilesystemOf(phone).dispose();
      await sim?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const folder = (): string => join(dir, sim.phones[0]!.udid);
    const willEncrypt = async (): Promise<string> =>
      (await runTool(whichTool('ideviceinfo')!, ['-q', 'com.apple.mobile.backup', '-k', 'WillEncrypt'], sim.address)).stdout.trim();

    it('turns encryption on with a password, after the passcode on the phone', { timeout: TIMEOUT_MS }, async () => {
      const before = prompts;
      const run = await runTool(TOOL!, ['encryption', 'on', 'first secret'], sim.address, TIMEOUT_MS);
      expect(run.output).toContain('Backup encryption has been enabled successfully.');
      expect(prompts).toBe(before + 1);
      expect(sim.phones[0]!.scenario.backupEncryption).toBe(true);
      const again = await runTool(TOOL!, ['encryption', 'on', 'other'], sim.address, TIMEOUT_MS);
      expect(again.output).toContain('Backup encryption is already enabled');
    });

    it(
      'makes an encrypted backup that our library opens with the password and decrypts file for file',
      { timeout: TIMEOUT_MS },
      async () => {
        const phone = sim.phones[0]!;
        const run = await runTool(TOOL!, ['backup', '--full', dir], sim.address, TIMEOUT_MS);
        expect(run.output).toContain('Backup Successful.');
        const manifest = await manifestOf(folder());
        expect(manifest.IsEncrypted).toBe(true);
        expect((manifest.ManifestKey as Uint8Array).length).toBe(44);
        expect((await readFile(join(folder(), 'Manifest.db'))).subarray(0, 6).toString('latin1')).not.toBe('SQLite');
        expect(await checkBackupPassword(folder(), 'first secret')).toBe(true);
        expect(await checkBackupPassword(folder(), 'First secret')).toBe(false);
        await expectBackupHoldsPhone(folder(), 'first secret', virtualFilesystemOf(phone));
      },
    );

    it(
      'restores that encrypted backup with --password (the phone decrypts it) and refuses a wrong one',
      { timeout: TIMEOUT_MS },
      async () => {
        const phone = sim.phones[0]!;
        const fs = virtualFilesystemOf(phone);
        const before = await fs.digest();
        const [changed] = fs.files();
        await fs.writeFile(changed!.domain, changed!.relativePath, Buffer.from('changed after the encrypted backup'));
        const wrong = await runTool(TOOL!, ['restore', '--system', '--password', 'not it', dir], sim.address, TIMEOUT_MS);
        expect(wrong.output).not.toContain('Restore Successful.');
        expect(wrong.output).toContain('Incorrect backup password');
        expect(await fs.digest()).not.toBe(before);
        const restarted = untilBackInNormalMode(phone);
        const right = await runTool(TOOL!, ['restore', '--system', '--password', 'first secret', dir], sim.address, TIMEOUT_MS);
        expect(right.output).toContain('Restore Successful.');
        expect(await fs.digest()).toBe(before);
        await restarted;
      },
    );

    it('changes the password only when the old one is right; new backups open with the new one only', { timeout: TIMEOUT_MS }, async () => {
      const phone = sim.phones[0]!;
      const wrong = await runTool(TOOL!, ['changepw', 'not the password', 'second secret'], sim.address, TIMEOUT_MS);
      expect(wrong.output).toContain('Could not change backup encryption password.');
      const right = await runTool(TOOL!, ['changepw', 'first secret', 'second secret'], sim.address, TIMEOUT_MS);
      expect(right.output).toContain('Backup encryption password has been changed successfully.');
      const backup = await runTool(TOOL!, ['backup', '--full', dir], sim.address, TIMEOUT_MS);
      expect(backup.output).toContain('Backup Successful.');
      expect(await checkBackupPassword(folder(), 'second secret')).toBe(true);
      expect(await checkBackupPassword(folder(), 'first secret')).toBe(false);
      await expectBackupHoldsPhone(folder(), 'second secret', virtualFilesystemOf(phone));
    });

    it('turns encryption off with the password; the next backup is plain', { timeout: TIMEOUT_MS }, async () => {
      const phone = sim.phones[0]!;
      const wrong = await runTool(TOOL!, ['encryption', 'off', 'first secret'], sim.address, TIMEOUT_MS);
      expect(wrong.output).toContain('Could not disable backup encryption.');
      expect(phone.scenario.backupEncryption).toBe(true);
      const off = await runTool(TOOL!, ['encryption', 'off', 'second secret'], sim.address, TIMEOUT_MS);
      expect(off.output).toContain('Backup encryption has been disabled successfully.');
      expect(phone.scenario.backupEncryption).toBe(false);
      expect(await willEncrypt()).toBe('false');
      const backup = await runTool(TOOL!, ['backup', '--full', dir], sim.address, TIMEOUT_MS);
      expect(backup.output).toContain('Backup Successful.');
      expect((await manifestOf(folder())).IsEncrypted).toBe(false);
      await expectBackupHoldsPhone(folder(), undefined, virtualFilesystemOf(phone));
    });
  },
);
