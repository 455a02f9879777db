/**
 * The complete restore, end to end, against practice phones: from the command line (the practice iPhone 5s on iOS 12,
 * erased from normal mode) and through the engine's contract (an A7 erase and update with the phone's state checked
 * afterwards, an A12 iPhone XS on iOS 18 erased). Each starts where a person would: the phone running iOS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RestoreResult } from '../../common/api';
import { RESTORE_RUN_STAGES } from '../../common/api';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';
import { virtualFilesystemOf } from '../../main/sim/services';
import type { VirtualIphone } from '../../main/sim/virtual-iphone';
import { phoneIn, restoreThroughEngine, startRestorePractice, type RestoreEnding, type RestorePractice } from './restore-practice';

const practices: RestorePractice[] = [];
afterEach(async () => {
  for (const practice of practices.splice(0)) await practice.close();
});

async function practice(...args: Parameters<typeof startRestorePractice>): Promise<RestorePractice> {
  const started = await startRestorePractice(...args);
  practices.push(started);
  return started;
}

const FILESYSTEM = { seed: 'restore-e2e', fileCount: 12, totalBytes: 200_000 };

/** Progress never goes backwards, walks the stages in their order, and ends at 1. */
function expectHonestProgress(ending: RestoreEnding): void {
  const fractions = ending.progress.map((p) => p.fraction ?? 0);
  for (let i = 1; i < fractions.length; i++) expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
  expect(fractions.at(-1)).toBe(1);
  const order = ending.progress.map((p) => RESTORE_RUN_STAGES.indexOf(p.phase));
  for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThanOrEqual(order[i - 1]!);
  expect(ending.progress.filter((p) => p.phase !== 'firmware').some((p) => p.etaSeconds !== undefined)).toBe(true);
}

/** The virtual phone after an erase: a new phone's state (setup assistant, Unactivated, no passcode, no data, no pairing). */
function expectFreshPhone(phone: VirtualIphone): void {
  const values = phone.lockdownDomain(undefined) ?? {};
  expect(values.ActivationState).toBe('Unactivated');
  expect(phone.lockdownDomain('com.apple.purplebuddy')).toMatchObject({ SetupDone: false });
  expect(phone.scenario).toMatchObject({ passcodeSet: false, activated: false, setupDone: false });
  expect(virtualFilesystemOf(phone).fileCount).toBe(0);
  expect(phone.restores.at(-1)).toMatchObject({ behavior: 'Erase', outcome: 'finished', finalStatusAcknowledged: true });
}

describe('lifeline restore (command line, practice mode)', () => {
  it('erases the practice iPhone 5s on iOS 12 from normal mode and sees it start again', async () => {
    const out: string[] = [];
    await runCli(['--demo', '--json', 'devices'], { out: (t) => out.push(t), err: () => undefined });
    const { phones } = JSON.parse(out[0]!) as { phones: { id: string; model: { name: string } }[] };
    const fiveS = phones.find((p) => p.model.name.startsWith('iPhone 5s'))!;
    const printed: string[] = [];
    const errors: string[] = [];
    const code = await runCli(['--demo', '--json', 'restore', '--erase', '--yes', '--phone', fiveS.id], {
      out: (t) => printed.push(t),
      err: (t) => errors.push(t),
    });
    expect(code, errors.join('\n')).toBe(EXIT.ok);
    const result = JSON.parse(printed.join('')) as RestoreResult;
    expect(result).toMatchObject({ choice: 'erase', firmware: { version: '12.5.8' }, phoneMode: 'normal' });
    expect(result.stages.map((s) => s.stage)).toEqual([
      'firmware',
      'recovery',
      'boot-chain',
      'ramdisk',
      'preparing',
      'installing',
      'verifying',
      'flashing',
      'baseband',
      'finishing',
      'reboot',
    ]);
  }, 180_000);

  it('refuses an erase nobody confirmed: no terminal to ask in and no --yes', async () => {
    const out: string[] = [];
    await runCli(['--demo', '--json', 'devices'], { out: (t) => out.push(t), err: () => undefined });
    const { phones } = JSON.parse(out[0]!) as { phones: { id: string; model: { name: string } }[] };
    const refused: string[] = [];
    const refusedCode = await runCli(['--demo', '--json', 'restore', '--erase', '--phone', phones[0]!.id], {
      out: (t) => refused.push(t),
      err: () => undefined,
    });
    expect(refusedCode).toBe(EXIT.usage);
    expect(JSON.parse(refused.join(''))).toMatchObject({ error: { code: 'restore-not-confirmed' } });
  }, 60_000);

  it('asks for the phone’s name (or "erase") and changes nothing on another answer', async () => {
    const out: string[] = [];
    await runCli(['--demo', '--json', 'devices'], { out: (t) => out.push(t), err: () => undefined });
    const { phones } = JSON.parse(out[0]!) as { phones: { id: string; deviceName: string | null; model: { name: string } }[] };
    const fiveS = phones.find((p) => p.model.name.startsWith('iPhone 5s'))!;
    const questions: string[] = [];
    const warnings: string[] = [];
    const code = await runCli(['--demo', 'restore', '--erase', '--phone', fiveS.id], {
      out: () => undefined,
      err: (t) => warnings.push(t),
      ask: async (question) => {
        questions.push(question);
        return 'yes';
      },
    });
    expect(code).toBe(EXIT.cancelled);
    expect(questions).toHaveLength(1);
    expect(questions[0]).toContain(fiveS.deviceName!);
    expect(questions[0]).toContain('erase');
    expect(warnings.join('\n')).toMatch(/erases everything.*Activation Lock asks for the Apple ID and password/s);
  }, 60_000);

  it('asks to choose erase or update, as a usage error', async () => {
    expect(await runCli(['--demo', 'restore', '--latest'], { out: () => undefined, err: () => undefined })).toBe(EXIT.usage);
    expect(await runCli(['--demo', 'restore', '--erase', '--update', '--yes'], { out: () => undefined, err: () => undefined })).toBe(
      EXIT.usage,
    );
    expect(await runCli(['--demo', 'restore', '--erase', '--until', 'ramdisk'], { out: () => undefined, err: () => undefined })).toBe(
      EXIT.usage,
    );
  }, 60_000);
});

describe('restore.start (engine, practice phones)', () => {
  it('erases an A7 iPhone 5s on iOS 12 from normal mode: the phone comes back as a new phone', async () => {
    const { api, phone } = await practice({
      model: { productType: 'iPhone6,1' },
      ios: '12.4',
      deviceName: 'Ana’s iPhone',
      trusted: true,
      passcodeSet: true,
      locked: true,
      filesystem: FILESYSTEM,
    });
    const before = await phoneIn(api, 'normal');
    const ending = await restoreThroughEngine(api, { choice: 'erase', confirmed: true, phoneId: before.id });
    expect(ending.problem).toBeNull();
    expect(ending.result).toMatchObject({ choice: 'erase', phoneId: before.id, phoneMode: 'normal', firmware: { version: '12.5.8' } });
    expectHonestProgress(ending);
    expectFreshPhone(phone);
    expect(phone.restores.at(-1)?.asr).toMatchObject({ outcome: 'received', digestMatches: true });
    expect(phone.restores.at(-1)?.dataRequests.map((r) => r.dataType)).toEqual(
      expect.arrayContaining(['BasebandData', 'SystemImageData', 'NORData']),
    );
    const after = await phoneIn(api, 'normal', before.id);
    expect(after).toMatchObject({ id: before.id, iosVersion: '12.5.8', trusted: false });
  }, 120_000);

  it('updates an A7 iPhone 5s and keeps its data, passcode and activation', async () => {
    const { api, phone } = await practice({
      model: { productType: 'iPhone6,1' },
      ios: '12.4',
      trusted: true,
      passcodeSet: true,
      locked: true,
      filesystem: FILESYSTEM,
    });
    const filesBefore = virtualFilesystemOf(phone).fileCount;
    expect(filesBefore).toBeGreaterThan(0);
    const before = await phoneIn(api, 'normal');
    const ending = await restoreThroughEngine(api, { choice: 'update', phoneId: before.id });
    expect(ending.problem).toBeNull();
    expect(ending.result).toMatchObject({ choice: 'update', phoneMode: 'normal', firmware: { version: '12.5.8' } });
    expectHonestProgress(ending);
    expect(phone.restores.at(-1)).toMatchObject({ behavior: 'Update', outcome: 'finished' });
    expect(phone.scenario).toMatchObject({ passcodeSet: true, activated: true, ios: '12.5.8' });
    expect(virtualFilesystemOf(phone).fileCount).toBe(filesBefore);
  }, 120_000);

  it('erases an A12 iPhone XS on iOS 18 (sealed system volume) from normal mode', async () => {
    const { api, phone } = await practice({
      model: { productType: 'iPhone11,2' },
      ios: '17.6',
      trusted: true,
      passcodeSet: false,
      locked: false,
      filesystem: FILESYSTEM,
    });
    const before = await phoneIn(api, 'normal');
    const ending = await restoreThroughEngine(api, { choice: 'erase', confirmed: true, phoneId: before.id });
    expect(ending.problem).toBeNull();
    expect(ending.result).toMatchObject({ choice: 'erase', phoneMode: 'normal', firmware: { version: '18.7.10' } });
    expectHonestProgress(ending);
    expectFreshPhone(phone);
    expect(phone.restores.at(-1)?.dataRequests.map((r) => r.dataType)).toEqual(
      expect.arrayContaining(['SystemImageRootHash', 'SystemImageData']),
    );
  }, 120_000);

  it('refuses an erase without confirmed: true at the contract, before anything moves', async () => {
    const { api, phone } = await practice({ model: { productType: 'iPhone6,1' }, ios: '12.4', trusted: true, filesystem: FILESYSTEM });
    const before = await phoneIn(api, 'normal');
    await expect(api.invoke('restore.start', { choice: 'erase', phoneId: before.id })).rejects.toMatchObject({
      problem: { code: 'bad-request' },
    });
    await expect(api.invoke('restore.start', { choice: 'erase', confirmed: false, phoneId: before.id })).rejects.toMatchObject({
      problem: { code: 'bad-request' },
    });
    expect(phone.hardware.mode).toBe('normal');
    expect(phone.restores).toHaveLength(0);
  }, 60_000);
});
