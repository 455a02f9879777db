import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePlist } from '../../main/plist/plist-codec';
import { isPlistDict } from '../../main/plist/plist-value';
import { afcFilesystemOf, createSimServices, virtualFilesystemOf } from '../../main/sim/services/index';
import { BackupEvent, PASSCODE_ENTERED_EVENT } from '../../main/sim/services/mobilebackup2';
import { startSimulator, type Simulator } from '../../main/sim/simulator';
import { hashFile } from '../../main/sim/virtual-fs';
import { needFile, peerSkipReason, peerSuiteOptions } from './peer-tool';

const TOOL = '/usr/bin/idevicebackup2';
const skip = peerSkipReason([needFile('idevicebackup2', TOOL, 'not installed: apt-get install libimobiledevice-utils')]);
const SQLITE = '/usr/bin/sqlite3';

type Run = { code: number; stdout: string; stderr: string };

function run(args: string[], address: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      TOOL,
      args,
      { env: { ...process.env, USBMUXD_SOCKET_ADDRESS: address }, timeout: 100_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// 14.8: plain mobilebackup2 socket; 17.0: TLS-wrapped service and the iOS ≥ 16.1 passcode prompt before the backup.
describe.skipIf(skip !== null).each(['14.8', '17.0'])(
  'idevicebackup2 (Debian libimobiledevice 1.3.0) against a virtual iPhone on iOS %s',
  peerSuiteOptions(skip),
  (ios) => {
    let sim: Simulator;
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lifeline-peer-backup-'));
      sim = await startSimulator({
        phones: [
          { trusted: true, ios, timeFactor: 0.01, filesystem: { seed: 'peer-backup', fileCount: 400, totalBytes: 24 * 1024 * 1024 } },
        ],
        phoneOptions: { createServices: createSimServices },
      });
    });

    afterAll(async () => {
      const phone = sim?.phones[0];
      if (phone) await virtualFilesystemOf(phone).dispose();
      await sim?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('backs up every virtual file byte for byte and marks the snapshot finished', async () => {
      const phone = sim.phones[0]!;
      const fs = virtualFilesystemOf(phone);
      let prompted = false;
      phone.events.once(BackupEvent.PasscodeRequested, () => {
        prompted = true;
        setTimeout(() => phone.events.emit(PASSCODE_ENTERED_EVENT), 300);
      });
      const result = await run(['backup', '--full', dir], sim.address);
      expect(prompted).toBe(ios === '17.0');
      expect(result.stdout + result.stderr).toContain('Backup Successful.');
      expect(result.code).toBe(0);

      const root = join(dir, phone.udid);
      const status = decodePlist(await readFile(join(root, 'Status.plist')));
      expect(isPlistDict(status) && status.SnapshotState).toBe('finished');
      const manifest = decodePlist(await readFile(join(root, 'Manifest.plist')));
      expect(isPlistDict(manifest) && manifest.IsEncrypted).toBe(false);

      const prefixes = (await readdir(root)).filter((n) => /^[0-9a-f]{2}$/.test(n));
      let stored = 0;
      for (const prefix of prefixes) stored += (await readdir(join(root, prefix))).length;
      expect(stored).toBe(fs.fileCount);
      for (const file of fs.files()) {
        expect(await hashFile(join(root, file.fileID.slice(0, 2), file.fileID)), `${file.domain}/${file.relativePath}`).toBe(
          await fs.contentHash(file.fileID),
        );
      }
    });

    it.skipIf(!existsSync(SQLITE))('wrote a Manifest.db the sqlite3 tool opens, listing every file', async () => {
      // Manifest.db is a real SQLite file other backup tools can open (docs/protocols/mobilebackup2.md#manifest-database).
      const phone = sim.phones[0]!;
      const db = join(dir, phone.udid, 'Manifest.db');
      const check = await new Promise<string>((resolve) =>
        execFile(SQLITE, [db, 'PRAGMA integrity_check; SELECT count(*) FROM Files WHERE flags = 1;'], (_e, stdout) => resolve(stdout)),
      );
      expect(check.trim().split('\n')).toEqual(['ok', String(virtualFilesystemOf(phone).fileCount)]);
    });

    it('answers info and list for the backup it wrote', async () => {
      const phone = sim.phones[0]!;
      const fs = virtualFilesystemOf(phone);
      const info = await run(['info', dir], sim.address);
      expect(info.code).toBe(0);
      expect(info.stdout).toContain('Snapshot State: finished');
      const list = await run(['list', dir], sim.address);
      expect(list.code).toBe(0);
      const some = fs.files()[7]!;
      expect(list.stdout).toContain(`${some.domain},${some.relativePath},${some.fileID},${some.size}`);
    });

    it('restores the backup onto a phone whose files changed since', async () => {
      const phone = sim.phones[0]!;
      const fs = virtualFilesystemOf(phone);
      const before = await fs.digest();
      const [changed, removed] = fs.files();
      await fs.writeFile(changed!.domain, changed!.relativePath, Buffer.from('edited after the backup'));
      fs.removeFile(removed!.domain, removed!.relativePath);
      await fs.writeFile('HomeDomain', 'Library/new-after-backup.txt', Buffer.from('not in the backup'));
      expect(await fs.digest()).not.toBe(before);

      const restored = new Promise((resolve) => phone.events.once(BackupEvent.RestoreFinished, resolve));
      const result = await run(['restore', '--system', dir], sim.address);
      expect(result.stdout + result.stderr).toContain('Restore Successful.');
      await restored;
      expect(await fs.digest()).toBe(before);
      // docs/protocols/mobilebackup2.md#restoring-a-backup step 3: the tool wrote the app list through our AFC service first.
      expect(afcFilesystemOf(phone).readFile('/iTunesRestore/RestoreApplications.plist')?.toString()).toContain('<plist');
    });

    it('restores that backup onto another phone, naming files from Manifest.db', async () => {
      const source = sim.phones[0]!;
      const target = await sim.addPhone({
        trusted: true,
        ios,
        seed: 'second-phone',
        timeFactor: 0.01,
        filesystem: { seed: 'other', fileCount: 50, totalBytes: 100_000 },
      });
      const targetFs = virtualFilesystemOf(target);
      const expected = await virtualFilesystemOf(source).digest();
      expect(await targetFs.digest()).not.toBe(expected);
      const result = await run(['-u', target.udid, 'restore', '--system', '--source', source.udid, dir], sim.address);
      expect(result.stdout + result.stderr).toContain('Restore Successful.');
      expect(await targetFs.digest()).toBe(expected);
      await targetFs.dispose();
    });
  },
);
