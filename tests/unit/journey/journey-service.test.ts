import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JourneySnapshot, JourneyState } from '../../../common/contract/journey';
import type { Phone } from '../../../common/phone';
import { JourneyService, type JourneyPorts } from '../../../main/journey/journey-service';
import { JOURNEY_FILE_VERSION, JourneyStore } from '../../../main/journey/journey-store';
import { publicIdOfPhone } from '../../../main/devices/public-phone-id';
import { ENCRYPTED_BACKUP, PLAIN_BACKUP, happySteps, pending, type FakeSteps } from './journey-fixtures';

const PHONE_ID = '000000000000ABCD';

function phone(overrides: Partial<Phone> = {}): Phone {
  return {
    id: PHONE_ID,
    mode: 'normal',
    model: { name: 'iPhone 5s (GSM)', productType: 'iPhone6,1', boardConfig: 'n51ap', cpid: 0x8960, bdid: 0, buttons: 'home', known: true },
    iosVersion: '12.5.7',
    buildVersion: '16H81',
    deviceName: "Anna's iPhone",
    connected: true,
    identifying: false,
    trusted: true,
    passcodeSet: true,
    triage: { canBackUp: true, headline: 'A backup is possible', reason: 'Trusted and unlocked since it started.', nextSteps: [] },
    ...overrides,
  };
}

/** A phone list the test changes, telling listeners like the registry does. */
class FakePhones {
  phones: Phone[] = [phone()];
  private readonly listeners = new Set<() => void>();
  list(): Phone[] {
    return this.phones;
  }
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(phones: Phone[]): void {
    this.phones = phones;
    for (const listener of this.listeners) listener();
  }
}

function portsOf(steps: FakeSteps, passwords: string[] = []): JourneyPorts {
  return {
    assess: () => steps.assess(),
    backUp: () => steps.backUp(),
    checkPassword: ({ password }) => {
      passwords.push(password);
      return steps.checkPassword();
    },
    prepareFirmware: () => steps.prepareFirmware(),
    enterRecovery: () => steps.enterRecovery(),
    coach: () => steps.coach(),
    restore: () => steps.restore(),
    restoreData: ({ password }) => {
      passwords.push(password ?? '(none)');
      return steps.restoreData();
    },
  };
}

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'journeys-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

function serviceWith(steps: FakeSteps, phones: FakePhones, options: { passwords?: string[]; setAside?: string[] } = {}) {
  const changes: JourneySnapshot[] = [];
  const service = new JourneyService({
    store: new JourneyStore(folder),
    phones,
    ports: portsOf(steps, options.passwords),
    publicIdOf: publicIdOfPhone,
    changed: (snapshot) => changes.push(snapshot),
    setAside: (problem) => options.setAside?.push(problem.detail),
  });
  return { service, changes };
}

function reached(changes: JourneySnapshot[], state: JourneyState): Promise<JourneySnapshot> {
  return new Promise((resolve) => {
    const check = () => {
      const found = changes.find((change) => change.state === state);
      if (found) resolve(found);
      else setImmediate(check);
    };
    check();
  });
}

function savedState(): string {
  const [file] = readdirSync(folder).filter((name) => name.endsWith('.json'));
  return (JSON.parse(readFileSync(join(folder, file!), 'utf8')) as { snapshot: { value: string } }).snapshot.value;
}

describe('JourneyService', () => {
  it('saves the journey on every transition, one file per phone named by its public id', async () => {
    const phones = new FakePhones();
    const { service, changes } = serviceWith(happySteps(), phones);
    service.start(PHONE_ID);
    await reached(changes, 'choosing');
    expect(readdirSync(folder)).toEqual([`${publicIdOfPhone(PHONE_ID)}.json`]);
    expect(savedState()).toBe('choosing');
    const saved = JSON.parse(readFileSync(join(folder, readdirSync(folder)[0]!), 'utf8')) as { version: number; phoneId: string };
    expect(saved).toMatchObject({ version: JOURNEY_FILE_VERSION, phoneId: PHONE_ID });
    service.act({ phoneId: PHONE_ID, action: 'useBackup', backupId: PLAIN_BACKUP.id });
    await reached(changes, 'confirmErase');
    expect(savedState()).toBe('confirmErase');
    service.close();
  });

  it('refuses an action that does not fit, and an erase without the typed word', async () => {
    const phones = new FakePhones();
    const { service, changes } = serviceWith(happySteps(), phones);
    service.start(PHONE_ID);
    await reached(changes, 'choosing');
    expect(() => service.act({ phoneId: PHONE_ID, action: 'passcodeSet' })).toThrow(
      expect.objectContaining({ code: 'journey-action-not-now' }),
    );
    service.act({ phoneId: PHONE_ID, action: 'useBackup', backupId: PLAIN_BACKUP.id });
    await reached(changes, 'confirmErase');
    expect(() => service.act({ phoneId: PHONE_ID, action: 'confirmErase', typed: 'ok' })).toThrow(
      expect.objectContaining({ code: 'journey-confirmation-mismatch' }),
    );
    expect(() => service.start('FFFFFFFFFFFFFFFF')).toThrow(expect.objectContaining({ code: 'journey-no-phone' }));
    service.close();
  });

  it('shows the one next action and the quiet ones the chart accepts', async () => {
    const phones = new FakePhones();
    const { service, changes } = serviceWith(happySteps(), phones);
    service.start(PHONE_ID);
    const choosing = await reached(changes, 'choosing');
    expect(choosing.next).toMatchObject({ id: 'backUp', label: 'Back up now' });
    expect(choosing.secondary.map((a) => a.label)).toEqual([
      'Use the backup from 3 May 2025',
      'Use the backup from 1 April 2025',
      'Continue without a backup',
      'Stop',
    ]);
    expect(choosing.safety.status).toBe('not-saved');
    service.act({ phoneId: PHONE_ID, action: 'useBackup', backupId: PLAIN_BACKUP.id });
    const confirm = await reached(changes, 'confirmErase');
    expect(confirm.next).toMatchObject({ id: 'confirmErase', destructive: true });
    expect(confirm.confirmation?.comesBack).toMatch(/3 May 2025/);
    expect(confirm.safety.line).toMatch(/saved in a backup from 3 May 2025/);
    expect(confirm).toMatchObject({ step: 'confirm', stepIndex: 4, stepTotal: 10 });
    service.close();
  });

  it('resumes a journey from its file when the phone is seen again, restarting the step it was in', async () => {
    const phones = new FakePhones();
    const steps = happySteps();
    steps.restore = pending;
    const first = serviceWith(steps, phones);
    first.service.start(PHONE_ID);
    await reached(first.changes, 'choosing');
    first.service.act({ phoneId: PHONE_ID, action: 'useBackup', backupId: PLAIN_BACKUP.id });
    await reached(first.changes, 'confirmErase');
    phones.set([phone({ mode: 'recovery' })]);
    first.service.act({ phoneId: PHONE_ID, action: 'confirmErase', typed: 'erase' });
    await reached(first.changes, 'restoring');
    // The engine dies: nothing is closed, the file is all that is left.
    const laterPhones = new FakePhones();
    laterPhones.phones = [];
    const second = serviceWith(happySteps(), laterPhones);
    expect(second.service.list().map((journey) => journey.state)).toEqual(['restoring']);
    laterPhones.set([phone({ mode: 'recovery', deviceName: null })]);
    const restoring = await reached(second.changes, 'restoring');
    expect(restoring.notice).toMatch(/stopped during the restore.*recovery mode: the restore starts again/);
    await reached(second.changes, 'restoringData');
    await reached(second.changes, 'newPasscode');
    first.service.close();
    second.service.close();
  });

  it('keeps the name the phone had: recovery mode tells none, and the erase resets it to “iPhone”', async () => {
    const phones = new FakePhones();
    const steps = happySteps();
    steps.restore = pending;
    const { service, changes } = serviceWith(steps, phones);
    service.start(PHONE_ID);
    await reached(changes, 'choosing');
    service.act({ phoneId: PHONE_ID, action: 'useBackup', backupId: PLAIN_BACKUP.id });
    await reached(changes, 'confirmErase');
    phones.set([phone({ mode: 'recovery', deviceName: null })]);
    service.act({ phoneId: PHONE_ID, action: 'confirmErase', typed: 'erase' });
    const restoring = await reached(changes, 'restoring');
    expect(restoring).toMatchObject({ name: "Anna's iPhone", mode: 'recovery' });
    phones.set([phone({ deviceName: 'iPhone', trusted: false })]);
    expect(service.list()[0]).toMatchObject({ name: "Anna's iPhone", mode: 'normal' });
    service.close();
  });

  it('never saves a backup password and asks for it again after a restart', async () => {
    const phones = new FakePhones();
    const passwords: string[] = [];
    const steps = happySteps();
    steps.restoreData = pending;
    const first = serviceWith(steps, phones, { passwords });
    first.service.start(PHONE_ID);
    await reached(first.changes, 'choosing');
    first.service.act({ phoneId: PHONE_ID, action: 'useBackup', backupId: ENCRYPTED_BACKUP.id });
    first.service.act({ phoneId: PHONE_ID, action: 'checkPassword', password: 'hunter2-secret' });
    await reached(first.changes, 'confirmErase');
    first.service.act({ phoneId: PHONE_ID, action: 'confirmErase', typed: 'erase' });
    await reached(first.changes, 'restoringData');
    expect(passwords).toEqual(['hunter2-secret', 'hunter2-secret']);
    expect(readFileSync(join(folder, readdirSync(folder)[0]!), 'utf8')).not.toContain('hunter2');
    const second = serviceWith(happySteps(), phones, { passwords });
    const asked = await reached(second.changes, 'backupPassword');
    expect(asked.problem?.code).toBe('journey-password-needed');
    second.service.act({ phoneId: PHONE_ID, action: 'checkPassword', password: 'hunter2-secret' });
    await reached(second.changes, 'newPasscode');
    first.service.close();
    second.service.close();
  });

  it('waits for the person before a coach countdown that was running', async () => {
    const phones = new FakePhones();
    phones.phones = [phone({ trusted: false, triage: { canBackUp: false, headline: 'No backup', reason: 'Not trusted.', nextSteps: [] } })];
    const steps = happySteps();
    steps.coach = pending;
    const first = serviceWith(steps, phones);
    first.service.start(PHONE_ID);
    await reached(first.changes, 'choosing');
    first.service.act({ phoneId: PHONE_ID, action: 'continueWithoutBackup' });
    first.service.act({ phoneId: PHONE_ID, action: 'acceptNoBackup' });
    await reached(first.changes, 'confirmErase');
    first.service.act({ phoneId: PHONE_ID, action: 'confirmErase', typed: 'erase' });
    first.service.act({ phoneId: PHONE_ID, action: 'startCoach' });
    await reached(first.changes, 'coaching');
    let coachRuns = 0;
    const second = serviceWith({ ...happySteps(), coach: () => (coachRuns++, pending()) }, phones);
    const ready = await reached(second.changes, 'coachReady');
    expect(ready.notice).toMatch(/countdown/);
    expect(coachRuns).toBe(0);
    first.service.close();
    second.service.close();
  });

  it('sets aside a corrupt file, a file from a newer Lifeline and a misnamed one, and starts afresh', () => {
    const id = publicIdOfPhone(PHONE_ID);
    writeFileSync(join(folder, `${id}.json`), '{"version": 1, "snap');
    writeFileSync(join(folder, 'ph-0123456789ab.json'), JSON.stringify({ version: JOURNEY_FILE_VERSION + 1 }));
    writeFileSync(
      join(folder, 'ph-aaaaaaaaaaaa.json'),
      JSON.stringify({ version: 1, publicId: 'ph-bbbbbbbbbbbb', phoneId: PHONE_ID, savedAt: '', snapshot: {} }),
    );
    writeFileSync(join(folder, `${id}.json.123.tmp`), 'half');
    const setAside: string[] = [];
    const phones = new FakePhones();
    const { service } = serviceWith({ ...happySteps(), assess: pending }, phones, { setAside });
    expect(setAside).toHaveLength(3);
    expect(setAside.join('\n')).toMatch(/not JSON/);
    expect(setAside.join('\n')).toMatch(/newer Lifeline \(version 2\)/);
    expect(readdirSync(folder).filter((name) => name.endsWith('.corrupt'))).toHaveLength(3);
    expect(readdirSync(folder).filter((name) => name.endsWith('.tmp'))).toHaveLength(0);
    expect(service.list()).toEqual([]);
    expect(service.start(PHONE_ID).state).toBe('assessing');
    service.close();
  });

  it('runs one journey per phone side by side', async () => {
    const phones = new FakePhones();
    phones.phones = [phone(), phone({ id: '000000000000BEEF', deviceName: "Ben's iPhone" })];
    const { service, changes } = serviceWith(happySteps(), phones);
    service.start(PHONE_ID);
    service.start('000000000000BEEF');
    await reached(changes, 'choosing');
    service.act({ phoneId: '000000000000BEEF', action: 'continueWithoutBackup' });
    const states = Object.fromEntries(service.list().map((j) => [j.name, j.state]));
    expect(states).toEqual({ "Anna's iPhone": 'choosing', "Ben's iPhone": 'noBackupWarning' });
    expect(readdirSync(folder).filter((name) => name.endsWith('.json'))).toHaveLength(2);
    service.close();
  });

  it('forgets a finished journey and its file, never a running one', async () => {
    const phones = new FakePhones();
    const { service, changes } = serviceWith(happySteps(), phones);
    service.start(PHONE_ID);
    await reached(changes, 'choosing');
    expect(service.forget(PHONE_ID)).toBe(false);
    service.act({ phoneId: PHONE_ID, action: 'cancel' });
    expect(service.forget(PHONE_ID)).toBe(true);
    expect(readdirSync(folder)).toEqual([]);
    expect(service.list()).toEqual([]);
    service.close();
  });
});
