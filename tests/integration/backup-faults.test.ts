import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError, problemOf } from '../../common/api';
import { BackupService } from '../../main/backup/backup-service';
import { startSimulator, type Simulator } from '../../main/sim/index';
import { createSimServices, virtualFilesystemOf } from '../../main/sim/services/index';
import type { VirtualIphone } from '../../main/sim/virtual-iphone';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';
import { treeDigest } from './backup-tree-hash';
import type { PlistValue } from '../../main/plist/plist-value';
import { hostileMobileBackup2, type HostileOutcome, type HostileScript } from './hostile-mobilebackup2';

const TOTAL_BYTES = 16 * 1024 * 1024;

async function waitListed(sim: Simulator, udid: string): Promise<void> {
  const client = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });
  for (let i = 0; i < 200; i++) {
    if ((await client.listDevices()).some((d) => d.udid === udid)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('phone did not come back');
}

/** The Problem code a failed backup produced (cancelled → 'cancelled'). */
async function outcomeOf(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return 'succeeded';
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') return 'cancelled';
    if (error instanceof ProblemError) return error.problem.code;
    return `unexpected: ${String(error)}`;
  }
}

describe('a backup that fails at any point leaves the previous backup byte-identical', () => {
  let sim: Simulator;
  let dir: string;
  let phone: VirtualIphone;
  let before: string;
  const service = (extra: ConstructorParameters<typeof BackupService>[0] = {}): BackupService =>
    new BackupService({
      usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: dir }, home: dir },
      ...extra,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-backup-faults-'));
    sim = await startSimulator({
      phones: [{ trusted: true, ios: '14.8', timeFactor: 0.01, filesystem: { seed: 'faults', fileCount: 200, totalBytes: TOTAL_BYTES } }],
    });
    phone = sim.phones[0]!;
    await service().backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined });
    // The phone changes, so a new backup would differ from the previous one.
    const fs = virtualFilesystemOf(phone);
    for (const file of fs.files().slice(0, 20))
      await fs.writeFile(file.domain, file.relativePath, Buffer.from(`changed ${file.relativePath}`));
    before = await treeDigest(dir);
  });

  afterEach(async () => {
    phone.faults.reset();
    if (!phone.hardware.plugged) {
      phone.hardware.plug();
      await waitListed(sim, phone.udid);
    }
    expect(await treeDigest(dir)).toBe(before);
  });

  afterAll(async () => {
    await virtualFilesystemOf(phone).dispose();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([0.1, 0.5, 0.9])('keeps the previous backup when the phone is unplugged at %d of the transfer', async (fraction) => {
    phone.faults.set({ unplugAfterBytes: Math.round(TOTAL_BYTES * fraction) });
    const code = await outcomeOf(
      service().backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined }),
    );
    expect(code).toBe('backup-phone-disconnected');
    expect(phone.hardware.plugged).toBe(false);
  });

  it('keeps the previous backup and says the phone stopped answering when its backup service stalls', async () => {
    phone.faults.set({ stallService: ['com.apple.mobilebackup2'] });
    const code = await outcomeOf(
      service({ handshakeTimeoutMs: 300 }).backup(
        { udid: phone.udid },
        { signal: new AbortController().signal, progress: () => undefined },
      ),
    );
    expect(code).toBe('backup-phone-stopped-answering');
  });

  it('keeps the previous backup when cancelled halfway, and reports cancelled rather than failed', async () => {
    const controller = new AbortController();
    const code = await outcomeOf(
      service().backup(
        { udid: phone.udid },
        {
          signal: controller.signal,
          progress: (p) => {
            if ((p.bytesDone ?? 0) > TOTAL_BYTES / 2) controller.abort();
          },
        },
      ),
    );
    expect(code).toBe('cancelled');
  });

  it('refuses to start when the backup folder lacks the space the phone holds', async () => {
    const code = await outcomeOf(
      service({ freeSpace: async () => 1024 * 1024 }).backup(
        { udid: phone.udid },
        { signal: new AbortController().signal, progress: () => undefined },
      ),
    );
    expect(code).toBe('backup-disk-full');
  });

  it('reports disk full when the phone finds too little space during the backup', async () => {
    phone.faults.set({ diskFull: true });
    const code = await outcomeOf(
      service().backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined }),
    );
    expect(code).toBe('backup-disk-full');
  });

  it('gives a problem with plain next steps that say the previous backup is unchanged', async () => {
    phone.faults.set({ unplugAfterBytes: Math.round(TOTAL_BYTES * 0.3) });
    const problem = await service()
      .backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined })
      .then(
        () => null,
        (error: unknown) => problemOf(error),
      );
    expect(problem?.nextSteps).toContain('Your previous backup is unchanged.');
  });
});

describe('a phone that names paths outside the backup folder is refused', () => {
  const escapeName = `lifeline-escape-${process.pid}`;
  const cases: [string, HostileScript][] = [
    ['../ upload', { kind: 'upload', path: () => `../${escapeName}` }],
    ['nested ../ upload', { kind: 'upload', path: (udid) => `${udid}/../../${escapeName}` }],
    ['absolute upload', { kind: 'upload', path: () => join(tmpdir(), escapeName) }],
    ['very long upload', { kind: 'upload', path: (udid) => `${udid}/${'a'.repeat(300)}` }],
    ['Windows reserved name', { kind: 'upload', path: (udid) => `${udid}/ab/CON` }],
    ['../ download', { kind: 'download', path: () => '../../etc/passwd' }],
    ['../ move', { kind: 'move', from: (udid) => `${udid}/Info.plist`, to: () => `../${escapeName}` }],
    ['absolute remove', { kind: 'remove', path: () => '/tmp' }],
  ];

  it.each(cases)('%s: refused, backup stopped, previous backup byte-identical, nothing outside', async (_name, script) => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-backup-hostile-'));
    const root = join(dir, 'Backup');
    const outcome: HostileOutcome = { statuses: [], finished: false };
    const toldNo = new Promise<PlistValue[]>((resolve) => {
      outcome.onStatus = resolve;
    });
    let hostile = false;
    const sim = await startSimulator({
      phones: [{ trusted: true, ios: '14.8', timeFactor: 0.01, filesystem: { seed: 'hostile', fileCount: 20, totalBytes: 200_000 } }],
      phoneOptions: {
        createServices: (p) => {
          const services = createSimServices(p);
          // The first backup is honest; the next one is made by a hostile phone.
          const honest = services.get('com.apple.mobilebackup2')!;
          const evil = hostileMobileBackup2(p, script, outcome);
          services.set('com.apple.mobilebackup2', {
            name: honest.name,
            ssl: honest.ssl,
            serve: (stream) => (hostile ? evil.serve(stream) : honest.serve(stream)),
          });
          return services;
        },
      },
    });
    try {
      const phone = sim.phones[0]!;
      const service = new BackupService({
        usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
        locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: root }, home: dir },
      });
      await service.backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined });
      const previous = await treeDigest(root);
      hostile = true;
      const code = await outcomeOf(
        service.backup({ udid: phone.udid }, { signal: new AbortController().signal, progress: () => undefined }),
      );
      expect(code).toBe('backup-unsafe-path');
      expect(await treeDigest(root)).toBe(previous);
      expect(existsSync(join(dir, escapeName))).toBe(false);
      expect(existsSync(join(tmpdir(), escapeName))).toBe(false);
      expect(existsSync('/tmp')).toBe(true);
      expect((await readdir(dir)).sort()).toEqual(['Backup']);
      // The phone was told no: a DeviceLink status with a non-zero code, before the host hung up.
      const [statusName, statusCode] = await toldNo;
      expect(statusName).toBe('DLMessageStatusResponse');
      expect(statusCode).toEqual(expect.any(Number));
      expect(statusCode).not.toBe(0);
      await virtualFilesystemOf(phone).dispose();
    } finally {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says the phone stopped answering when it stalls in the middle of a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-backup-stall-'));
    const sim = await startSimulator({
      phones: [{ trusted: true, ios: '14.8', timeFactor: 0.01, filesystem: { seed: 'stall', fileCount: 5, totalBytes: 5000 } }],
      phoneOptions: {
        createServices: (p) => {
          const services = createSimServices(p);
          services.set('com.apple.mobilebackup2', hostileMobileBackup2(p, { kind: 'stall-mid-file' }, { statuses: [], finished: false }));
          return services;
        },
      },
    });
    try {
      const service = new BackupService({
        usbmuxAddress: parseUsbmuxSocketAddress(sim.address)!,
        idleTimeoutMs: 300,
        locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: dir }, home: dir },
      });
      const code = await outcomeOf(
        service.backup({ udid: sim.phones[0]!.udid }, { signal: new AbortController().signal, progress: () => undefined }),
      );
      expect(code).toBe('backup-phone-stopped-answering');
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
