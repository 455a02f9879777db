import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectBridge, type BridgeClient } from './bridge-client';
import { expectAccessible, journeyStates, onScreen, openJourney } from './journey-practice';
import { expect, startBridgeProcess, test, type RunningBridge } from './web-bridge-fixture';

/**
 * The whole rescue journey in the browser against the practice phones, as a person does it: the buttons on the screen,
 * the practice phone's buttons under the coach by keyboard. The spec's own line to the engine only watches.
 */

let bridge: RunningBridge;
let engine: BridgeClient;
let dataDir: string;
test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-journey-e2e-'));
  // A fifth of real time: the coach's taps stay long enough for keys sent from here on a busy machine.
  bridge = await startBridgeProcess(['--demo', '--time-factor', '0.2', '--grace-ms', '60000'], {
    LIFELINE_DATA_DIR: dataDir,
    LIFELINE_BACKUP_DIR: path.join(dataDir, 'backups'),
  });
  engine = await connectBridge(bridge);
  // Subscribed from the start, so a trail begun just before a click misses none of what the click sets off.
  engine.on('journey.changed', () => undefined);
});
test.afterAll(() => {
  engine?.close();
  bridge?.process.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});
test.use({ viewport: { width: 1024, height: 700 } });

test('a locked, trusted iPhone 5s: back up, iOS, confirm, recovery by software, restore, data back, new passcode, done', async ({
  page,
}) => {
  test.setTimeout(6 * 60_000);
  await page.goto(bridge.url);
  await openJourney(page, 'Practice iPhone 5s');
  await onScreen(page, 'choosing');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByText('Your photos: not saved yet', { exact: false }).first()).toBeVisible();
  await expectAccessible(page, 'choosing');

  const trail = journeyStates(engine, 'Practice iPhone 5s');
  await page.getByRole('button', { name: 'Back up now' }).click();
  await onScreen(page, /backingUp|preparingFirmware|confirmErase/);
  await expectAccessible(page, 'working', ['light']);

  await onScreen(page, 'confirmErase');
  await expect(page.getByRole('heading', { level: 1, name: 'Before we erase' })).toBeVisible();
  await expect(page.getByText(/is put back after the restore/)).toBeVisible();
  await expect(page.getByRole('region', { name: 'Apple ID' })).toContainText(/Apple ID/);
  const erase = page.getByRole('button', { name: 'Erase and restore' });
  await expect(erase).toBeDisabled();
  await expectAccessible(page, 'before-we-erase');
  await page.getByLabel('Type “erase” to confirm').fill('erase');
  await erase.click();

  // Trusted: Lifeline takes the phone into recovery mode itself; then the restore and putting the data back.
  await onScreen(page, /enteringRecovery|restoring/);
  await onScreen(page, 'restoring');
  await expect(page.getByRole('progressbar')).toBeVisible();
  await expectAccessible(page, 'restoring', ['light']);
  // The erased phone (named plain “iPhone” again) waits in its setup assistant: the screen says what to do on it.
  await onScreen(page, 'restoringData', 180_000);
  await expect(page.locator('#journey-stage')).toContainText('From Mac or PC', { timeout: 120_000 });
  await expectAccessible(page, 'data-back', ['light']);
  await page.getByRole('button', { name: 'All phones', exact: true }).click();
  await page
    .getByRole('listitem', { name: /^iPhone 5s/ })
    .getByRole('button', { name: 'Setup: choose “From Mac or PC”' })
    .click();
  await openJourney(page, 'Practice iPhone 5s');

  await onScreen(page, 'newPasscode', 180_000);
  await expect(page.getByRole('heading', { level: 1, name: 'Choose a new passcode' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'On the phone' })).toContainText('Passcode');
  await expectAccessible(page, 'new-passcode');
  await page.getByRole('button', { name: 'I have set a new passcode' }).click();

  await onScreen(page, 'done');
  await expect(page.getByRole('list', { name: 'What was done' })).toContainText(/came back from the backup from today/);
  await expectAccessible(page, 'done');
  expect(trail.states).toEqual([
    'backingUp',
    'preparingFirmware',
    'confirmErase',
    'enteringRecovery',
    'restoring',
    'restoringData',
    'newPasscode',
    'done',
  ]);
  trail.stop();
});

test('a locked iPhone 12 that cannot be backed up: why, a plain warning, Activation Lock, the buttons into recovery, restore, new passcode, done', async ({
  page,
}) => {
  test.setTimeout(6 * 60_000);
  await page.goto(bridge.url);
  await openJourney(page, 'Practice iPhone 12');
  await onScreen(page, 'choosing');
  // Why no backup: the phone does not trust this computer and is locked; the safety line says so plainly.
  await expect(page.getByText(/^Your photos: cannot be saved — /).first()).toBeVisible();
  await expect(page.getByRole('list', { name: 'What Lifeline checked' })).toContainText('This computer is not trusted by the phone.');
  await expect(page.getByRole('button', { name: 'Back up now' })).toHaveCount(0);
  await expectAccessible(page, 'cannot-back-up');

  const trail = journeyStates(engine, 'Practice iPhone 12');
  await page.getByRole('button', { name: 'Continue without a backup' }).click();
  await onScreen(page, 'noBackupWarning');
  await expect(page.getByText(/gone for good/)).toBeVisible();
  await expectAccessible(page, 'no-backup-warning');
  await page.getByRole('button', { name: 'I understand — continue without a backup' }).click();

  await onScreen(page, 'confirmErase');
  await expect(page.getByText(/Nothing comes back/)).toBeVisible();
  await expect(page.getByRole('region', { name: 'Apple ID' })).toContainText(/Apple ID/);
  await expectAccessible(page, 'before-we-erase-no-backup');
  await page.getByLabel('Type “erase” to confirm').fill('erase');
  await page.getByRole('button', { name: 'Erase and restore' }).click();

  // Not trusted: only its buttons take it into recovery mode. The coach counts; the keys are the practice buttons.
  await onScreen(page, 'coachReady');
  await expect(page.getByRole('heading', { level: 1, name: 'Into recovery mode with the buttons' })).toBeVisible();
  await expectAccessible(page, 'coach-ready');
  await page.getByRole('button', { name: 'Start the countdown' }).click();
  await onScreen(page, 'coaching');
  await page.waitForFunction(() => document.querySelector('.coach-countdown')?.getAttribute('data-step') === 'tap-volume-up', null, {
    polling: 'raf',
    timeout: 60_000,
  });
  // Volume Up tap, Volume Down tap, then hold Side: each started well inside the phone's window after the last.
  await page.keyboard.down('KeyU');
  await page.keyboard.up('KeyU');
  await page.keyboard.down('KeyD');
  await page.keyboard.up('KeyD');
  await page.keyboard.down('KeyS');
  await expectAccessible(page, 'coaching', ['light']);
  await onScreen(page, /restoring|coachMissed/, 60_000);
  await page.keyboard.up('KeyS');
  await onScreen(page, 'restoring');

  await onScreen(page, 'newPasscode', 180_000);
  await expect(page.getByRole('list', { name: 'On the phone' })).toContainText('Passcode');
  await page.getByRole('button', { name: 'I have set a new passcode' }).click();
  await onScreen(page, 'done');
  await expect(page.getByRole('list', { name: 'What was done' })).toContainText('The phone was set up fresh, without a backup.');
  await expectAccessible(page, 'done-without-backup');
  expect(trail.states).toEqual([
    'noBackupWarning',
    'preparingFirmware',
    'confirmErase',
    'coachReady',
    'coaching',
    'restoring',
    'newPasscode',
    'done',
  ]);
  trail.stop();
});
