import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf, type LifelineApi } from '../../common/api';
import type { Phone } from '../../common/phone';
import { backupIdOf } from '../../main/backup/backup-id';
import { BackupService } from '../../main/backup/backup-service';
import { startHostRegistry } from '../../main/devices/host-sources';
import type { PhoneRegistry } from '../../main/devices/phone-registry';
import { Engine } from '../../main/rescue/engine';
import { startPracticeHost, type PracticeHost } from '../../main/sim/practice-host';
import { virtualFilesystemOf } from '../../main/sim/services/index';
import { createInProcessClient } from '../../main/transport/in-process';
import { rejectionOf } from '../thrown';
import { phonesUntil } from './phones-until';

const PASSWORD = 'the right one';
const PERSONAL = { photos: 5, videos: 2, messages: 90, contacts: 12, notes: 3 };
const filesystem = (seed: string) => ({ seed, fileCount: 40, totalBytes: 400_000, personal: PERSONAL });

describe('before an erase, against virtual iPhones: what a backup holds, whether it will open, what Activation Lock asks for', () => {
  let root: string;
  let host: PracticeHost;
  let registry: PhoneRegistry;
  let engine: Engine;
  let api: LifelineApi;
  const ids = { plain: '', encrypted: '' };
  const phoneOf: Record<'findMyOn' | 'encrypts' | 'untrusted' | 'recovery', Phone | undefined> = {
    findMyOn: undefined,
    encrypts: undefined,
    untrusted: undefined,
    recovery: undefined,
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'lifeline-erase-safety-'));
    host = await startPracticeHost({
      phones: [
        {
          seed: 'safety-findmy',
          deviceName: 'Find My On',
          trusted: true,
          ios: '14.8',
          findMy: true,
          timeFactor: 0.01,
          filesystem: filesystem('safety-a'),
        },
        {
          seed: 'safety-encrypts',
          deviceName: 'Encrypts',
          trusted: true,
          ios: '14.8',
          findMy: false,
          backupEncryption: true,
          backupPassword: PASSWORD,
          timeFactor: 0.01,
          filesystem: filesystem('safety-b'),
        },
        {
          seed: 'safety-untrusted',
          deviceName: 'Untrusted',
          trusted: false,
          ios: '14.8',
          findMy: true,
          timeFactor: 0.01,
          filesystem: filesystem('safety-c'),
        },
        { seed: 'safety-recovery', deviceName: 'Recovery', mode: 'recovery', ios: '14.8', timeFactor: 0.01 },
      ],
    });
    registry = await startHostRegistry({ usb: host.usb, usbmuxAddress: host.usbmuxAddress, initialBackoffMs: 50, probeTimeoutMs: 5_000 });
    const backup = new BackupService({
      usbmuxAddress: host.usbmuxAddress,
      locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: root }, home: root },
      resolvePhone: (phoneId) => registry.usbmuxDeviceOf(phoneId),
      udidOfPhone: (phoneId) => registry.udidOf(phoneId),
    });
    engine = new Engine({ version: 'test', phones: registry, backup });
    api = createInProcessClient(engine);
    const phones = await phonesUntil(registry, (list) => list.length === 4 && list.every((p) => p.connected && !p.identifying));
    const named = (name: string) => phones.find((p) => p.deviceName === name);
    phoneOf.findMyOn = named('Find My On');
    phoneOf.encrypts = named('Encrypts');
    phoneOf.untrusted = named('Untrusted');
    phoneOf.recovery = phones.find((p) => p.mode === 'recovery');
    const made = (phone: Phone | undefined) =>
      backup.backup({ phoneId: phone!.id }, { signal: new AbortController().signal, progress: () => undefined });
    ids.plain = backupIdOf((await made(phoneOf.findMyOn)).path);
    ids.encrypted = backupIdOf((await made(phoneOf.encrypts)).path);
  });

  afterAll(async () => {
    await engine?.close();
    for (const phone of host?.sim.phones ?? []) await virtualFilesystemOf(phone).dispose();
    await host?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('backup.describe: date, iOS, size and encryption with exact counts; an encrypted one needs its password', async () => {
    const plain = await api.invoke('backup.describe', { backupId: ids.plain });
    expect(plain.backup).toMatchObject({ id: ids.plain, iosVersion: '14.8', encrypted: false, complete: true, deviceName: 'Find My On' });
    expect(plain.backup.sizeBytes).toBeGreaterThan(0);
    expect(plain.contents).toMatchObject({
      manifest: 'read',
      photos: { count: 5 },
      videos: { count: 2 },
      messages: { count: 90 },
      contacts: { count: 12 },
      notes: { count: 3 },
    });
    const locked = await api.invoke('backup.describe', { backupId: ids.encrypted });
    expect(locked.contents).toMatchObject({ manifest: 'password-needed', photos: { count: null }, messages: { count: null } });
    const opened = await api.invoke('backup.describe', { backupId: ids.encrypted, password: PASSWORD });
    expect(opened.contents).toMatchObject({ manifest: 'read', photos: { count: 5 }, messages: { count: 90 }, notes: { count: 3 } });
    const wrong = await rejectionOf(() => api.invoke('backup.describe', { backupId: ids.encrypted, password: 'nope' }));
    expect(problemOf(wrong)).toMatchObject({ code: 'backup-wrong-password', title: 'This is not the backup password' });
  });

  it('backup.eraseReadiness: an unencrypted backup is ready; an encrypted one only with its proven password', async () => {
    expect(await api.invoke('backup.eraseReadiness', { backupId: ids.plain })).toEqual({
      backupId: ids.plain,
      encrypted: false,
      ready: true,
      problem: null,
      newBackup: null,
    });
    expect(await api.invoke('backup.eraseReadiness', { backupId: ids.encrypted, password: PASSWORD })).toMatchObject({
      encrypted: true,
      ready: true,
      problem: null,
    });
    const wrong = await api.invoke('backup.eraseReadiness', { backupId: ids.encrypted, password: 'nope' });
    expect(wrong).toMatchObject({ ready: false, problem: { code: 'backup-wrong-password' }, newBackup: null });
    expect(wrong.problem!.nextSteps.join(' ')).toMatch(/not the phone’s passcode/);
  });

  it('backup.eraseReadiness without the password: a new backup helps only where the phone can be backed up and does not encrypt', async () => {
    const ask = (phone: Phone | undefined) => api.invoke('backup.eraseReadiness', { backupId: ids.encrypted, phoneId: phone!.id });
    const now = await ask(phoneOf.findMyOn);
    expect(now).toMatchObject({
      ready: false,
      newBackup: 'now',
      problem: { code: 'erase-backup-password-unknown', title: 'A backup Lifeline cannot open is of no use after the erase' },
    });
    expect(now.problem!.nextSteps[0]).toMatch(/^Make a new backup now/);
    const encrypts = await ask(phoneOf.encrypts);
    expect(encrypts).toMatchObject({ ready: false, newBackup: 'phone-encrypts' });
    expect(encrypts.problem!.nextSteps[0]).toMatch(/turning encryption off needs that password/);
    const notNow = await ask(phoneOf.untrusted);
    expect(notNow).toMatchObject({ ready: false, newBackup: 'not-now' });
    expect(notNow.problem!.nextSteps[0]).toBe(`No new backup can be made now: ${phoneOf.untrusted!.triage.reason.replace(/[.!]?$/, '.')}`);
  });

  it('phone.activationLock reads Find My from a trusted phone and says "unknown" honestly otherwise', async () => {
    const on = await api.invoke('phone.activationLock', { phoneId: phoneOf.findMyOn!.id });
    expect(on).toMatchObject({
      state: 'on',
      evidence: ['The phone reports Find My as on (linked to an Apple ID).', 'The phone reports its activation state: Activated.'],
    });
    expect(on.message).toMatch(/Activation Lock asks for the Apple ID and password that were on the phone before/);
    expect(on.links.map((link) => link.url)).toEqual([
      'https://iforgot.apple.com',
      'https://support.apple.com/en-us/HT204921',
      'https://support.apple.com/en-us/HT201441',
    ]);
    expect(await api.invoke('phone.activationLock', { phoneId: phoneOf.encrypts!.id })).toMatchObject({ state: 'off' });
    expect(await api.invoke('phone.activationLock', { phoneId: phoneOf.untrusted!.id })).toMatchObject({
      state: 'unknown',
      evidence: ['The phone does not trust this computer, so it does not say whether Find My is on.'],
    });
    expect(await api.invoke('phone.activationLock', { phoneId: phoneOf.recovery!.id })).toMatchObject({
      state: 'unknown',
      evidence: ['The phone is in recovery or DFU mode: only a phone running iOS says whether Find My is on.'],
    });
  });
});
