import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { connectBridge, type BridgeClient } from './bridge-client';
import { expectAccessible, journeyStates, journeyWhen, onScreen, openJourney, practicePhoneNamed } from './journey-practice';
import {
  askPracticeHost,
  expect,
  joinPracticeHost,
  restartBridgeProcess,
  startBridgeProcess,
  startPracticeHostProcess,
  test,
  type PracticeHostProcess,
  type RunningBridge,
} from './web-bridge-fixture';

/**
 * The journey interrupted mid-restore, in the browser: the engine killed (the bridge process stopped and started again
 * with the same data folder) and the cable pulled during ASR. The practice phones run in a process of their own, so
 * after a restart the engine meets the same virtual phone where the restore left it, as it would a real one.
 */

const PHONE = 'Practice iPhone 5s';
const DEEP_STAGES = ['ramdisk', 'preparing', 'installing', 'verifying', 'flashing', 'baseband', 'finishing'];
let dataDir: string;
let host: PracticeHostProcess;
let bridge: RunningBridge;
let engine: BridgeClient;

test.beforeEach(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-journey-interrupted-'));
  host = await startPracticeHostProcess('0.2');
  const joined = joinPracticeHost(host);
  bridge = await startBridgeProcess([...joined.args, '--grace-ms', '60000'], {
    ...joined.env,
    LIFELINE_DATA_DIR: dataDir,
    LIFELINE_BACKUP_DIR: path.join(dataDir, 'backups'),
  });
  engine = await connectBridge(bridge);
  engine.on('journey.changed', () => undefined);
});
test.afterEach(async () => {
  engine?.close();
  bridge?.process.kill('SIGTERM');
  await host?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});
test.use({ viewport: { width: 1024, height: 700 } });

/** Choosing → backup → iOS → the typed erase, through the screen. */
async function backUpAndConfirm(page: Page): Promise<void> {
  await page.goto(bridge.url);
  await openJourney(page, PHONE);
  await onScreen(page, 'choosing');
  await page.getByRole('button', { name: 'Back up now' }).click();
  await onScreen(page, 'confirmErase');
  await page.getByLabel('Type “erase” to confirm').fill('erase');
}

/** Data back (the erased phone's setup: "From Mac or PC" by the practice hands), the new passcode, done. */
async function dataBackToDone(page: Page): Promise<void> {
  await onScreen(page, 'restoringData', 240_000);
  await expect(page.locator('#journey-stage')).toContainText('From Mac or PC', { timeout: 120_000 });
  await page.getByRole('button', { name: 'All phones', exact: true }).click();
  await page
    .getByRole('listitem', { name: /^iPhone 5s/ })
    .getByRole('button', { name: 'Setup: choose “From Mac or PC”' })
    .click();
  await openJourney(page, PHONE);
  await onScreen(page, 'newPasscode', 180_000);
  await page.getByRole('button', { name: 'I have set a new passcode' }).click();
  await onScreen(page, 'done');
  await expect(page.getByRole('list', { name: 'What was done' })).toContainText(/came back from the backup from today/);
}

test('the engine killed during the restore: started again with the same data folder, the journey resumes and reaches done', async ({
  page,
}) => {
  test.setTimeout(8 * 60_000);
  await backUpAndConfirm(page);
  // Killed once the phone runs the restore ramdisk or later: the phone away from iOS, its erase under way. (Each
  // stage is short on a practice phone, and progress is coalesced: the first stage seen from the ramdisk on.)
  const deep = journeyWhen(engine, PHONE, (s) => s.state === 'restoring' && DEEP_STAGES.includes(s.progress?.phase ?? ''));
  await page.getByRole('button', { name: 'Erase and restore' }).click();
  const killedIn = await deep;
  test.info().annotations.push({ type: 'killed during', description: killedIn.progress!.phase });
  engine.close();
  bridge = await restartBridgeProcess(bridge);
  engine = await connectBridge(bridge);
  const trail = journeyStates(engine, PHONE);

  await page.goto(bridge.url);
  await openJourney(page, PHONE);
  // The new engine says what happened, once, and carries the restore through with the same phone.
  await expect(page.getByRole('note')).toContainText('Lifeline stopped during the restore.', { timeout: 120_000 });
  await expectAccessible(page, 'resumed', ['light']);
  await dataBackToDone(page);
  expect(trail.states).toContain('restoring');
  expect(trail.states.slice(-3)).toEqual(['restoringData', 'newPasscode', 'done']);
  trail.stop();
});

test('the cable pulled during ASR: plugged back in, the phone is in recovery mode, the restore runs again and the journey reaches done', async ({
  page,
}) => {
  test.setTimeout(8 * 60_000);
  const phone = await practicePhoneNamed(engine, PHONE);
  await backUpAndConfirm(page);
  await askPracticeHost(host, { command: 'restore-fault', phoneId: phone.id, unplugAt: 'asr' });
  const trail = journeyStates(engine, PHONE);
  await page.getByRole('button', { name: 'Erase and restore' }).click();

  // The restore stops with the phone gone; the screen says to plug it back in.
  await onScreen(page, 'restoreFailed', 180_000);
  await expect(page.getByRole('region', { name: /./ }).filter({ hasText: 'Try this:' })).toContainText(/Plug the phone back in/);
  await expectAccessible(page, 'restore-failed');
  await askPracticeHost(host, { command: 'restore-fault', phoneId: phone.id, unplugAt: null });
  await page.getByRole('button', { name: 'All phones', exact: true }).click();
  await page
    .getByRole('listitem', { name: /^iPhone 5s/ })
    .getByRole('button', { name: 'Plug in the cable' })
    .click();
  await expect(page.getByRole('listitem', { name: /^iPhone 5s/ })).toContainText('Plugged in');
  await openJourney(page, PHONE);
  await expect(page.getByRole('banner', { name: 'This phone' })).toContainText(/Recovery mode|DFU mode/, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Try again' }).click();
  await onScreen(page, 'restoring');
  await dataBackToDone(page);
  expect(trail.states.filter((state) => state === 'restoring')).toHaveLength(2);
  trail.stop();
});
