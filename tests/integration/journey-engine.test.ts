/**
 * The rescue journey through the engine's contract against practice phones (the app's practice mode, composed by
 * createAppEngine): a trusted, locked iPhone 5s from plug-in to done with its data back, and a locked iPhone 12 that cannot be backed up
 * taking the honest path.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LifelineApi } from '../../common/api';
import { createAppEngine } from '../../main/rescue/create-engine';
import type { Engine } from '../../main/rescue/engine';
import { createInProcessClient } from '../../main/transport/in-process';
import { backupContentDigest } from './backup-content-digest';
import { finished, journeyIn, journeyTrail, journeyUntil, practicePhone } from './journey-practice';

let dir: string;
let engine: Engine | undefined;
let api: LifelineApi;
const saved = { data: process.env.LIFELINE_DATA_DIR, backups: process.env.LIFELINE_BACKUP_DIR };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-journey-'));
  process.env.LIFELINE_DATA_DIR = dir;
  process.env.LIFELINE_BACKUP_DIR = join(dir, 'backups');
  engine = await createAppEngine({ demo: true, demoTimeFactor: 0.01, reconnectGraceMs: 60_000 });
  api = createInProcessClient(engine);
});

afterEach(async () => {
  await engine?.close();
  process.env.LIFELINE_DATA_DIR = saved.data;
  process.env.LIFELINE_BACKUP_DIR = saved.backups;
  if (saved.data === undefined) delete process.env.LIFELINE_DATA_DIR;
  if (saved.backups === undefined) delete process.env.LIFELINE_BACKUP_DIR;
  rmSync(dir, { recursive: true, force: true });
});

describe('the rescue journey through the engine (practice phones)', () => {
  it('takes a locked, trusted iPhone 5s from plug-in to a new passcode with its data back: backup, iOS, confirm, software recovery, restore, pairing with the erased phone, the backup put back', async () => {
    const phone = await practicePhone(api, 'Practice iPhone 5s');
    const hands = (await api.invoke('practice.phones', {})).find((p) => p.name.includes('Practice iPhone 5s'))!;
    const trail = journeyTrail(api, phone.id);
    const started = await api.invoke('journey.start', { phoneId: phone.id });
    expect(started).toMatchObject({ name: 'Practice iPhone 5s', modelName: expect.stringMatching(/^iPhone 5s/) });

    const choosing = await journeyIn(api, phone.id, 'choosing');
    expect(choosing.next).toMatchObject({ id: 'backUp', label: 'Back up now' });
    expect(choosing.safety).toMatchObject({ status: 'not-saved' });
    await api.invoke('journey.act', { phoneId: phone.id, action: 'backUp' });

    const confirm = await journeyIn(api, phone.id, 'confirmErase');
    expect(confirm.safety).toMatchObject({ status: 'saved', line: 'Your photos: saved in a backup today.' });
    expect(confirm.firmware).toMatchObject({ version: '12.5.8' });
    expect(confirm.confirmation).toMatchObject({ phrase: 'erase', comesBack: expect.stringMatching(/backup from today/) });
    expect(confirm.confirmation!.activationLock).toMatch(/Apple ID/);
    const [made] = (await api.invoke('backup.list', { phoneId: phone.id })).backups;
    const madeDigest = await backupContentDigest(made!.path);
    await expect(api.invoke('journey.act', { phoneId: phone.id, action: 'confirmErase', typed: 'yes' })).rejects.toMatchObject({
      code: 'journey-confirmation-mismatch',
    });
    await api.invoke('journey.act', { phoneId: phone.id, action: 'confirmErase', typed: 'erase' });

    // The erased phone forgot this computer and waits in its setup assistant, Unactivated: Lifeline pairs with it
    // (no Trust dialog during setup) and tells the person what to do on the phone until it is activated.
    const waiting = await journeyUntil(
      api,
      phone.id,
      (s) => s.state === 'restoringData' && /From Mac or PC/.test(s.progress?.message ?? ''),
    );
    expect(waiting.progress!.message).toMatch(/Transfer Your Apps & Data.*From Mac or PC.*Activation Lock asks for the Apple ID/);
    expect(waiting.message).toMatch(/From Mac or PC/);
    await api.invoke('practice.act', { phoneId: hands.id, action: 'choose-restore-from-computer' });

    const passcode = await journeyIn(api, phone.id, 'newPasscode');
    expect(passcode.safety.line).toMatch(/saved in a backup today/);
    expect(passcode.passcodeGuidance!.join(' ')).toMatch(/new passcode.*Touch ID & Passcode.*Change Passcode/);
    await api.invoke('journey.act', { phoneId: phone.id, action: 'passcodeSet' });
    const done = await journeyIn(api, phone.id, 'done');
    expect(done.safety.line).toMatch(/back on the phone/);
    expect(trail.states).toEqual([
      'assessing',
      'choosing',
      'backingUp',
      'preparingFirmware',
      'confirmErase',
      'enteringRecovery',
      'restoring',
      'restoringData',
      'newPasscode',
      'done',
    ]);
    // The phone holds exactly the backup's files: a new backup of it has the same content, byte for byte. It
    // restarted at the end of the restore and is seen again trusting this computer (the pairing made after the erase).
    await practicePhone(api, '', (p) => p.id === phone.id && p.mode === 'normal' && p.trusted === true && p.triage.canBackUp);
    await finished(api, (await api.invoke('backup.start', { phoneId: phone.id })).job);
    const [again] = (await api.invoke('backup.list', { phoneId: phone.id })).backups;
    expect(await backupContentDigest(again!.path)).toBe(madeDigest);
    // Progress reached the UI for the long steps, through the jobs they started.
    const withProgress = new Set(trail.snapshots.filter((s) => s.progress !== null).map((s) => s.state));
    expect([...withProgress]).toEqual(expect.arrayContaining(['backingUp', 'preparingFirmware', 'restoring']));
    // One saved journey for the phone, by its public id.
    expect(readdirSync(join(dir, 'journeys'))).toEqual([`${done.publicId}.json`]);
    trail.stop();
  }, 300_000);

  it('tells the truth for a locked iPhone 12 that cannot be backed up: a plain warning, then on without a backup to the coach', async () => {
    const phone = await practicePhone(api, 'Practice iPhone 12');
    expect(phone.triage.canBackUp).toBe(false);
    await api.invoke('journey.start', { phoneId: phone.id });
    const choosing = await journeyIn(api, phone.id, 'choosing');
    expect(choosing.next).toMatchObject({ id: 'continueWithoutBackup', label: 'Continue without a backup' });
    expect(choosing.secondary.map((action) => action.id)).not.toContain('backUp');
    expect(choosing.safety.status).toBe('cannot-be-saved');
    expect(choosing.safety.line).toMatch(/^Your photos: cannot be saved — /);
    await expect(api.invoke('journey.act', { phoneId: phone.id, action: 'backUp' })).rejects.toMatchObject({
      code: 'journey-action-not-now',
    });

    const warning = await api.invoke('journey.act', { phoneId: phone.id, action: 'continueWithoutBackup' });
    expect(warning).toMatchObject({ state: 'noBackupWarning', next: { id: 'acceptNoBackup' } });
    expect(warning.message).toMatch(/gone for good/);
    await api.invoke('journey.act', { phoneId: phone.id, action: 'acceptNoBackup' });
    const confirm = await journeyIn(api, phone.id, 'confirmErase');
    expect(confirm.confirmation!.comesBack).toMatch(/Nothing comes back/);
    await api.invoke('journey.act', { phoneId: phone.id, action: 'confirmErase', typed: 'erase' });
    // Not trusted: no software shortcut; the coach waits for the person to be ready.
    const coach = await journeyIn(api, phone.id, 'coachReady');
    expect(coach.next).toMatchObject({ id: 'startCoach' });
  }, 300_000);
});
