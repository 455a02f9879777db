import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupSummary } from '../../common/api';
import { BackupService } from '../../main/backup/backup-service';
import { runCli } from '../../main/cli';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { BackupEvent, PASSCODE_ENTERED_EVENT } from '../../main/sim/services/mobilebackup2';
import { hashFile } from '../../main/sim/virtual-fs';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { needTool, peerSkipReason, peerSuiteOptions, runTool, whichTool, untilBackInNormalMode } from './peer-tool';

const TOOL = whichTool('idevicebackup2');
const skip = peerSkipReason([needTool('idevicebackup2', 'libimobiledevice-utils')]);

describe.skipIf(skip !== null).each(['14.8', '17.0'])(
  'Lifeline backups and idevicebackup2 (libimobiledevice 1.3.0) understand each other, iOS %s',
  peerSuiteOptions(skip),
  (ios) => {
    let sim: Simulator;
    let ours: string;
    let theirs: string;

    beforeAll(async () => {
      ours = await mkdtemp(join(tmpdir(), 'lifeline-interop-ours-'));
      theirs = await mkdtemp(join(tmpdir(), 'lifeline-interop-theirs-'));
      sim = await startSimulator({
        phones: [
          {
            trusted: true,
            ios,
            timeFactor: 0.01,
            deviceName: 'Interop Phone',
            filesystem: { seed: `interop-${ios}`, fileCount: 300, totalBytes: 16 * 1024 * 1024 },
          },
        ],
      });
      const phone = sim.phones[0]!;
      phone.events.on(BackupEvent.PasscodeRequested, () => setTimeout(() => phone.events.emit(PASSCODE_ENTERED_EVENT), 100));
    });

    afterAll(async () => {
      for (const phone of sim?.phones ?? []) await virtualFilesystemOf(phone).dispose();
      await sim?.close();
      await rm(ours, { recursive: true, force: true });
      await rm(theirs, { recursive: true, force: true });
    });

    it('our backup holds every file of the virtual phone byte for byte', async () => {
      const phone = sim.phones[0]!;
      const fs = virtualFilesystemOf(phone);
      const service = new BackupService({
        usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
        locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: ours }, home: ours },
      });
      const result = await service.backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined });
      expect(result.files).toBe(fs.fileCount);
      for (const file of fs.files())
        expect(await hashFile(join(result.path, file.fileID.slice(0, 2), file.fileID))).toBe(await fs.contentHash(file.fileID));
    });

    it('idevicebackup2 info reads our backup as finished', async () => {
      const info = await runTool(TOOL!, ['info', ours], sim.address, 60_000);
      expect(info.code).toBe(0);
      expect(info.stdout).toContain('Device Name: Interop Phone');
      expect(info.stdout).toContain('Snapshot State: finished');
    });

    it('idevicebackup2 restore --system restores our backup onto the changed phone', async () => {
      const phone = sim.phones[0]!;
      const fs = virtualFilesystemOf(phone);
      const before = await fs.digest();
      const [changed] = fs.files();
      await fs.writeFile(changed!.domain, changed!.relativePath, Buffer.from('changed after our backup'));
      expect(await fs.digest()).not.toBe(before);
      const restarted = untilBackInNormalMode(phone);
      const restored = await runTool(TOOL!, ['restore', '--system', ours], sim.address, 100_000);
      expect(restored.output).toContain('Restore Successful.');
      expect(await fs.digest()).toBe(before);
      await restarted;
    });

    it('lifeline backups finds and describes a backup idevicebackup2 made', async () => {
      const phone = sim.phones[0]!;
      const made = await runTool(TOOL!, ['backup', '--full', theirs], sim.address, 100_000);
      expect(made.output).toContain('Backup Successful.');
      const out: string[] = [];
      // Phone identifiers are private by default; --show-ecid puts the UDID into the JSON.
      const code = await runCli(['--json', 'backups', '--dir', theirs, '--show-ecid'], { out: (t) => out.push(t), err: () => undefined });
      expect(code).toBe(0);
      const { backups } = JSON.parse(out.join('')) as { backups: BackupSummary[] };
      expect(backups).toHaveLength(1);
      expect(backups[0]).toMatchObject({
        udid: phone.udid,
        deviceName: 'Interop Phone',
        productType: 'iPhone12,1',
        modelName: 'iPhone 11',
        iosVersion: ios,
        complete: true,
        encrypted: false,
      });
      expect(backups[0]!.sizeBytes).toBeGreaterThan(16 * 1024 * 1024);
      expect(Date.now() - Date.parse(backups[0]!.date!)).toBeLessThan(10 * 60_000);
    });
  },
);
