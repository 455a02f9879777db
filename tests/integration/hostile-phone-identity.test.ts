import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf, type JobSummary, type LifelineApi } from '../../common/api';
import { BackupService } from '../../main/backup/backup-service';
import { startHostRegistry } from '../../main/devices/host-sources';
import type { PhoneRegistry } from '../../main/devices/phone-registry';
import { Engine } from '../../main/rescue/engine';
import { startPracticeHost, type PracticeHost } from '../../main/sim/practice-host';
import { createInProcessClient } from '../../main/transport/in-process';
import { phonesUntil } from './phones-until';

const HOSTILE = 'x/../../victim';

/** Every file and folder under `dir` except `skip`: path → kind, size and content hash. */
async function snapshot(dir: string, skip: string): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (path === skip) continue;
      const key = relative(dir, path);
      if (entry.isDirectory()) {
        tree[key] = 'dir';
        await walk(path);
      } else {
        const info = await stat(path);
        tree[key] = `file ${info.size} ${info.mtimeMs} ${createHash('sha256')
          .update(await readFile(path))
          .digest('hex')}`;
      }
    }
  };
  await walk(dir);
  return tree;
}

function jobEnd(api: LifelineApi, job: string): Promise<JobSummary> {
  return new Promise((resolve) => {
    const off = api.on('jobs.changed', (summary) => {
      if (summary.job !== job || summary.state === 'running') return;
      off();
      resolve(summary);
    });
  });
}

describe('a virtual iPhone reporting a hostile identity behind the fake usbmuxd', () => {
  let parent: string;
  let root: string;
  let host: PracticeHost;
  let registry: PhoneRegistry;
  let engine: Engine;
  let api: LifelineApi;
  let before: Record<string, string>;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'lifeline-hostile-id-'));
    // The backup root sits two levels down, so `<root>/x/../../victim` would be `<parent>/victim`'s sibling folder.
    root = join(parent, 'home', 'Backup', 'root');
    await mkdir(root, { recursive: true });
    for (const folder of [join(parent, 'victim'), join(parent, 'home', 'victim'), join(parent, 'home', 'Backup', 'victim')]) {
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'precious.txt'), `keep ${folder}`);
    }
    before = await snapshot(parent, root);

    host = await startPracticeHost({
      phones: [
        {
          seed: 'hostile-id',
          reportedUdid: HOSTILE,
          trusted: true,
          locked: false,
          ios: '14.8',
          timeFactor: 0.01,
          filesystem: { fileCount: 10, totalBytes: 10_000 },
        },
      ],
    });
    registry = await startHostRegistry({ usb: host.usb, usbmuxAddress: host.usbmuxAddress, initialBackoffMs: 50, probeTimeoutMs: 5_000 });
    const backup = new BackupService({
      usbmuxAddress: host.usbmuxAddress,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: root }, home: parent },
      resolvePhone: (phoneId) => registry.usbmuxDeviceOf(phoneId),
      udidOfPhone: (phoneId) => registry.udidOf(phoneId),
    });
    engine = new Engine({ version: 'test', phones: registry, backup });
    api = createInProcessClient(engine);
  });

  afterAll(async () => {
    await engine?.close();
    await host?.close();
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  it('lists the phone with the invalid-identity verdict and a safe id', async () => {
    const [phone] = await phonesUntil(registry, (phones) => phones.length === 1 && phones[0]!.connected);
    expect(phone).toMatchObject({
      mode: 'normal',
      identifying: false,
      triage: { canBackUp: false, code: 'phone-invalid-identity', headline: 'This device reports an invalid identity' },
    });
    expect(phone!.id).toMatch(/^invalid-[0-9a-f]{16}$/);
    const phones = await api.invoke('devices.list', {});
    expect(phones.map((p) => p.triage.code)).toEqual(['phone-invalid-identity']);
  });

  it('refuses a backup of that phone by its id with the invalid-identity problem', async () => {
    const [phone] = registry.list();
    const refusal = await api.invoke('backup.start', { phoneId: phone!.id, directory: root }).catch((error: unknown) => error);
    expect(problemOf(refusal)?.code).toBe('phone-invalid-identity');
  });

  it('fails a backup of "the connected phone" with the invalid-identity problem, before touching the disk', async () => {
    const { job } = await api.invoke('backup.start', { directory: root });
    const ending = await jobEnd(api, job);
    expect(ending).toMatchObject({ state: 'failed', problem: { code: 'phone-invalid-identity' } });
  });

  it('refuses the hostile identity given straight to the backup service', async () => {
    const refusal = await engineBackup({ udid: HOSTILE }).catch((error: unknown) => error);
    expect(problemOf(refusal)?.code).toBe('phone-invalid-identity');
  });

  it('lists no backups for the phone and finds nothing outside the root', async () => {
    const [phone] = registry.list();
    const listing = await api.invoke('backup.list', { phoneId: phone!.id, directory: root });
    expect(listing.backups).toEqual([]);
    expect((await api.invoke('backup.list', { directory: root })).backups).toEqual([]);
  });

  it('left everything outside the backup root untouched', async () => {
    expect(await snapshot(parent, root)).toEqual(before);
    expect(await readFile(join(parent, 'home', 'Backup', 'victim', 'precious.txt'), 'utf8')).toContain('keep');
  });

  function engineBackup(request: { udid: string }): Promise<unknown> {
    const backup = new BackupService({
      usbmuxAddress: host.usbmuxAddress,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: root }, home: parent },
    });
    return backup.backup(request, { signal: new AbortController().signal, progress: () => undefined });
  }
});
