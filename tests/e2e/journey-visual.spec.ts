import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page, WebSocketRoute } from '@playwright/test';
import { expect, startBridgeProcess, test, type RunningBridge } from './web-bridge-fixture';

/**
 * Visual review of the rescue journey: every step, reached in practice mode through the bridge, in both themes at
 * 1024 × 700 and 1440 × 900, compared with the committed baselines (`--update-snapshots` after a deliberate change).
 *
 * Waiting screens move on by themselves, so the page's view of the engine is held still while they are photographed:
 * the bridge's events pass through a gate that closes the moment the journey reaches the wanted state (answers to the
 * page's own commands always pass). The engine goes on working; opening the gate delivers everything it said, in order.
 */

const VARIANTS = [
  { colorScheme: 'light', width: 1024, height: 700 },
  { colorScheme: 'dark', width: 1024, height: 700 },
  { colorScheme: 'light', width: 1440, height: 900 },
  { colorScheme: 'dark', width: 1440, height: 900 },
] as const;

type Wanted = { name: string; state: string };

/** Holds the engine's events back from the page once a journey reaches a state. */
class EventGate {
  private held: Array<{ route: WebSocketRoute; message: string | Buffer }> = [];
  private closed = false;
  private wanted: { target: Wanted; reached: () => void } | null = null;

  async attach(page: Page): Promise<void> {
    await page.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => server.send(message));
      server.onMessage((message) => this.arrive(ws, message));
    });
  }

  private arrive(ws: WebSocketRoute, message: string | Buffer): void {
    const data = JSON.parse(String(message)) as { type: string; event?: string; payload?: { name?: string; state?: string } };
    if (data.type !== 'event') return ws.send(message);
    if (this.closed) return void this.held.push({ route: ws, message });
    ws.send(message);
    const wanted = this.wanted;
    if (
      wanted &&
      data.event === 'journey.changed' &&
      data.payload?.name === wanted.target.name &&
      data.payload.state === wanted.target.state
    ) {
      this.closed = true;
      this.wanted = null;
      wanted.reached();
    }
  }

  /** Closes the gate as soon as `target` arrives; resolves then. Call before the action that leads there. */
  closeAt(target: Wanted): Promise<void> {
    return new Promise((reached) => {
      this.wanted = { target, reached };
    });
  }

  closeNow(): void {
    this.closed = true;
  }

  /** Delivers what was held, in order; stops again where a newly wanted state arrives. */
  open(): void {
    this.closed = false;
    const queue = this.held.splice(0);
    for (const [index, { route, message }] of queue.entries()) {
      if (this.closed) {
        this.held.push(...queue.slice(index));
        return;
      }
      this.arrive(route, message);
    }
  }
}

let bridge: RunningBridge;
let dataDir: string;
test.beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-visual-'));
  bridge = await startBridgeProcess(['--demo', '--time-factor', '1', '--grace-ms', '60000'], {
    LIFELINE_DATA_DIR: dataDir,
    LIFELINE_BACKUP_DIR: path.join(dataDir, 'backups'),
  });
});
test.afterAll(() => {
  bridge.process.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

const screenState = (page: Page) => page.locator('.journey-layout[data-state]');

/** Every variant of the page as it is now: a baseline each, axe clean in both themes, nothing scrolled or clipped. */
async function review(page: Page, name: string, options: { fits?: boolean } = {}): Promise<void> {
  for (const variant of VARIANTS) {
    await page.setViewportSize({ width: variant.width, height: variant.height });
    await page.emulateMedia({ colorScheme: variant.colorScheme, reducedMotion: 'reduce' });
    await expect(page).toHaveScreenshot(`${name}-${variant.colorScheme}-${variant.width}.png`, {
      animations: 'disabled',
      caret: 'hide',
      maxDiffPixelRatio: 0.01,
      mask: [
        page.locator('[data-live]'),
        page.locator('.journey-bar'),
        page.getByTestId('coach-seconds'),
        page.getByTestId('practice-screen'),
      ],
    });
    if (variant.width === 1024) {
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
      expect(
        results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        `${name} (${variant.colorScheme})`,
      ).toEqual([]);
    }
    if (options.fits && variant.width === 1024) {
      // The whole screen fits the small window: nothing scrolls.
      const overflow = await page.evaluate(() =>
        [document.documentElement, ...document.querySelectorAll('.app-screen, .journey-main')].map(
          (el) => el.scrollHeight - el.clientHeight,
        ),
      );
      expect(Math.max(...overflow), `${name} scrolls at 1024 × 700`).toBeLessThanOrEqual(0);
    }
  }
  await page.setViewportSize({ width: 1024, height: 700 });
}

/** From a journey screen or the first screen, opens a phone's journey. */
async function openPhone(page: Page, name: string | RegExp): Promise<void> {
  const allPhones = page.getByRole('button', { name: 'All phones', exact: true });
  if (await allPhones.isVisible()) await allPhones.click();
  await page.getByRole('button', { name: typeof name === 'string' ? `Open ${name}` : new RegExp(`^Open ${name.source}`) }).click();
  await expect(page.getByRole('banner', { name: 'This phone' })).toContainText(name);
}

async function practice(page: Page, phone: RegExp, action: string): Promise<void> {
  await page.getByRole('listitem', { name: phone }).getByRole('button', { name: action }).click();
}

test('every step of the journey, in both themes and at both sizes', async ({ page }) => {
  test.setTimeout(8 * 60_000);
  const gate = new EventGate();
  await gate.attach(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(bridge.url);

  // The first screen: each phone with its one next step.
  for (const name of ['Practice iPhone 5s', 'Practice iPhone 12', 'iPhone 7 (GSM)']) {
    await expect(page.getByRole('article', { name }).getByRole('button').first()).toBeVisible();
  }
  await expect(page.getByRole('article', { name: 'Practice iPhone 5s' })).toContainText('Step 2 of 10: What can be saved');
  await review(page, '00-first-screen');

  // The technician's table.
  await page.getByRole('button', { name: 'All phones in a table' }).click();
  await expect(page.getByRole('table')).toContainText('Practice iPhone 12');
  await review(page, '00-technician');
  await page.getByRole('button', { name: 'Practice iPhone 12' }).focus();
  await page.keyboard.press('Enter');

  // Step 1, Plug in: a journey started again while its phone is away. (Practice iPhone 12: stop, unplug, start again.)
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(screenState(page)).toHaveAttribute('data-state', 'cancelled');
  await review(page, '00-stopped');
  await page.getByRole('button', { name: 'All phones', exact: true }).click();
  await practice(page, /Practice iPhone 12/, 'Unplug the cable');
  await expect(page.getByRole('article', { name: 'Practice iPhone 12' })).toContainText('Not connected');
  await openPhone(page, 'Practice iPhone 12');
  await page.getByRole('button', { name: 'Start again' }).click();
  await expect(screenState(page)).toHaveAttribute('data-state', 'waitingForPhone');
  await review(page, '01-plug-in');

  // Step 2, What can be saved, then 3 Back up and 4 Get iOS ready (Practice iPhone 5s, trusted: a backup works).
  await openPhone(page, 'Practice iPhone 5s');
  await expect(screenState(page)).toHaveAttribute('data-state', 'choosing');
  await review(page, '02-what-can-be-saved');
  let reached = gate.closeAt({ name: 'Practice iPhone 5s', state: 'backingUp' });
  await page.getByRole('button', { name: 'Back up now' }).click();
  await reached;
  await expect(screenState(page)).toHaveAttribute('data-state', 'backingUp');
  await review(page, '03-back-up');
  reached = gate.closeAt({ name: 'Practice iPhone 5s', state: 'preparingFirmware' });
  gate.open();
  await reached;
  await expect(screenState(page)).toHaveAttribute('data-state', 'preparingFirmware');
  await review(page, '04-get-ios-ready');
  gate.open();

  // Step 5, Before we erase: the typed word, never a pre-focused OK.
  await expect(screenState(page)).toHaveAttribute('data-state', 'confirmErase', { timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Erase and restore' })).toBeDisabled();
  await review(page, '05-before-we-erase');

  // Step 6, recovery mode by software (trusted phone), 7 Restore, 8 Data back.
  reached = gate.closeAt({ name: 'Practice iPhone 5s', state: 'enteringRecovery' });
  await page.getByLabel('Type “erase” to confirm').fill('erase');
  await page.getByRole('button', { name: 'Erase and restore' }).click();
  await reached;
  await expect(screenState(page)).toHaveAttribute('data-state', 'enteringRecovery');
  await review(page, '06-recovery-by-software');
  reached = gate.closeAt({ name: 'Practice iPhone 5s', state: 'restoring' });
  gate.open();
  await reached;
  await expect(screenState(page)).toHaveAttribute('data-state', 'restoring');
  await review(page, '07-restore');
  reached = gate.closeAt({ name: 'Practice iPhone 5s', state: 'restoringData' });
  gate.open();
  await reached;
  await expect(screenState(page)).toHaveAttribute('data-state', 'restoringData');
  await review(page, '08-data-back');
  // The data step now waits for the person at the phone's setup; the rest of the journey is shown on the iPhone 7.
  gate.open();

  // Step 6 by the buttons: the iPhone 7, out of its recovery loop (Phone details and tools), starts normally and does
  // not trust this computer — only its buttons can take it back to recovery mode.
  await page.getByRole('button', { name: 'All phones', exact: true }).click();
  await page.getByRole('button', { name: 'Phone details and tools' }).click();
  await page.getByRole('article', { name: 'iPhone 7 (GSM)' }).getByRole('button', { name: 'Exit recovery mode' }).click();
  await expect(page.getByRole('status')).toContainText('starting normally', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Back to phones' }).click();
  await page.getByRole('button', { name: 'Back to the next steps' }).click();
  await expect(page.getByRole('article', { name: /iPhone 7/ })).toContainText('Started normally', { timeout: 60_000 });
  await openPhone(page, /(Practice )?iPhone 7/);
  await page.getByRole('button', { name: 'Continue without a backup' }).click();
  await page.getByRole('button', { name: /I understand/ }).click();
  await expect(screenState(page)).toHaveAttribute('data-state', 'confirmErase', { timeout: 60_000 });
  await page.getByLabel('Type “erase” to confirm').fill('erase');
  await page.getByRole('button', { name: 'Erase and restore' }).click();
  await expect(screenState(page)).toHaveAttribute('data-state', 'coachReady');
  await expect(page.getByRole('img', { name: /get ready on/ })).toBeVisible();
  await review(page, '06-recovery-coach-ready');

  // The countdown, on its long hold step (25 s): the words and the drawing stay put, the numerals are masked.
  await page.getByRole('button', { name: 'Start the countdown' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /^Press and hold Side and Volume Down/ })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('img', { name: 'iPhone 7 (GSM): hold Side and Volume Down' })).toBeVisible();
  await review(page, '06-recovery-countdown', { fits: true });
  const sizes = await page.evaluate(() => ({
    numerals: parseFloat(getComputedStyle(document.querySelector('[data-testid="coach-seconds"]')!).fontSize),
    drawing: document.querySelector('.coach-drawing')!.getBoundingClientRect().height,
  }));
  expect(sizes.numerals).toBeGreaterThanOrEqual(120);
  expect(sizes.drawing).toBeGreaterThanOrEqual(300);

  // Nobody pressed the practice phone's buttons: the referee says so, and the screen offers to try again.
  await expect(screenState(page)).toHaveAttribute('data-state', 'coachMissed', { timeout: 60_000 });
  await review(page, '06-recovery-missed');

  // The phone reaches recovery mode after all (the practice panel's hands): the restore starts by itself; without a
  // backup it ends at step 9, the new passcode, then 10, done.
  await page.getByRole('button', { name: 'All phones', exact: true }).click();
  await practice(page, /Practice iPhone 7/, 'Put into recovery mode');
  await openPhone(page, /(Practice )?iPhone 7/);
  await expect(screenState(page)).toHaveAttribute('data-state', 'newPasscode', { timeout: 180_000 });
  await review(page, '09-new-passcode');
  await page.getByRole('button', { name: 'I have set a new passcode' }).click();
  await expect(screenState(page)).toHaveAttribute('data-state', 'done');
  await review(page, '10-done');
});
