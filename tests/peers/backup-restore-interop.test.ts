import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupRestoreService } from '../../main/backup/backup-restore-service';
import { BackupService } from '../../main/backup/backup-service';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { BackupEvent, PASSCODE_ENTERED_EVENT } from '../../main/sim/services/mobilebackup2';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { backupContentDigest } from '../integration/backup-content-digest';
import { needTool, peerSkipReason, peerSuiteOptions, runTool, whichTool } from './peer-tool';

const TOOL = whichTool('idevicebackup2');
const skip = peerSkipReason([needTool('idevicebackup2', 'libimobiledevice-utils')]);

describe.skipIf(skip !== null)(
  'restores both ways: idevicebackup2 (libimobiledevice 1.3.0) and Lifeline put the same files back',
  peerSuiteOptions(skip),
  () => {
    let sim: Simulator;
    let ours: string;
    let theirs: string;
    let service: BackupService;
    let restores: BackupRestoreService;
    let oursPath: string;

    beforeAll(async () => {
      ours = await mkdtemp(join(tmpdir(), 'lifeline-restore-ours-'));
      theirs = await mkdtemp(join(tmpdir(), 'lifeline-restore-theirs-'));
      sim = await startSimulator({
        phones: [
          {
            trusted: true,
            ios: '16.7',
            timeFactor: 0.01,
            deviceName: 'Both Ways',
            filesystem: { seed: 'both-ways', fileCount: 260, totalBytes: 12 * 1024 * 1024 },
          },
        ],
      });
      const phone = sim.phones[0]!;
      phone.events.on(BackupEvent.PasscodeRequested, () => setTimeout(() => phone.events.emit(PASSCODE_ENTERED_EVENT), 50));
      service = new BackupService({ usbmuxAddress: parseUsbmuxSocketAddress(sim.address)! });
      restores = new BackupRestoreService(service);
      oursPath = (
        await service.backup({ udid: phone.udid, directory: ours }, { signal: new AbortController().signal, progress: () => undefined })
      ).path;
      const made = await runTool(TOOL!, ['backup', '--full', theirs], sim.address, 100_000);
      expect(made.output).toContain('Backup Successful.');
    });

    afterAll(async () => {
      for (const phone of sim?.phones ?? []) await virtualFilesystemOf(phone).dispose();
      await sim?.close();
      await rm(ours, { recursive: true, force: true });
      await rm(theirs, { recursive: true, force: true });
    });

    /** Changes the phone (as if erased and set up anew) and resolves once a restart that follows has brought it back. */
    async function changePhoneAndExpectRestart(): Promise<{ restarted: Promise<void> }> {
      const phone = sim.phones[0]!;
      const fs = virtualFilesystemOf(phone);
      const [changed, removed] = fs.files();
      await fs.writeFile(changed!.domain, changed!.relativePath, Buffer.from('after the backup'));
      fs.removeFile(removed!.domain, removed!.relativePath);
      await fs.writeFile('HomeDomain', 'Library/new-after-backup.txt', Buffer.from('not in any backup'));
      const modes: string[] = [];
      const restarted = new Promise<void>((resolve) => {
        const onMode = (mode: string): void => {
          modes.push(mode);
          if (mode === 'normal' && modes.includes('booting')) {
            phone.events.off('mode', onMode);
            resolve();
          }
        };
        phone.events.on('mode', onMode);
      });
      return { restarted };
    }

    let afterTheirRestore: string;

    it('idevicebackup2 restore --system puts Lifeline’s backup onto the phone, which then restarts', async () => {
      const fs = virtualFilesystemOf(sim.phones[0]!);
      const { restarted } = await changePhoneAndExpectRestart();
      const restored = await runTool(TOOL!, ['restore', '--system', ours], sim.address, 100_000);
      expect(restored.output).toContain('Restore Successful.');
      await restarted;
      afterTheirRestore = await fs.digest();
      expect(afterTheirRestore).toBe(await backupContentDigest(oursPath));
    });

    it('Lifeline puts idevicebackup2’s backup onto the phone: the same files as the other way round', async () => {
      const phone = sim.phones[0]!;
      const fs = virtualFilesystemOf(phone);
      const { restarted } = await changePhoneAndExpectRestart();
      const result = await restores.restore(
        { udid: phone.udid, directory: theirs },
        { signal: new AbortController().signal, progress: () => undefined },
      );
      expect(result.rebooting).toBe(true);
      await restarted;
      const digest = await fs.digest();
      expect(digest).toBe(await backupContentDigest(join(theirs, phone.udid)));
      expect(digest).toBe(afterTheirRestore);
    });
  },
);
