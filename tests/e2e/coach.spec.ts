import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, startBridgeProcess, test, type RunningBridge, openPhoneTools } from './web-bridge-fixture';

// The virtual phones and the coach's plan run 10× faster: a 4 s hold is 0.4 s, so the script presses keys when each
// step appears, like a person would, with ≥ 100 ms of slack in every window.
let bridge: RunningBridge;
test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  bridge = await startBridgeProcess(['--demo', '--time-factor', '0.1']);
});
test.afterAll(() => {
  bridge.process.kill('SIGTERM');
});

async function openCoach(page: Page, phone: string, action: string): Promise<void> {
  await openPhoneTools(page, bridge.url);
  const card = page.getByRole('article', { name: phone });
  await card.getByRole('button', { name: action }).click();
  await expect(page.getByRole('heading', { level: 1, name: `${phone}: recovery and DFU mode` })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeEnabled();
}

const step = (page: Page, text: RegExp) => page.getByRole('heading', { level: 2, name: text });

/** Waits for a step on every animation frame (locator polling backs off to 1 s, longer than a 10× step). */
async function atStep(page: Page, id: string, text: RegExp): Promise<void> {
  await page.waitForFunction((want) => document.querySelector('.coach-countdown')?.getAttribute('data-step') === want, id, {
    polling: 'raf',
  });
  await expect(step(page, text)).toBeVisible();
}

test('practice run into DFU (assisted, iPhone 7): "Got it — let go", black screen is normal', async ({ page }) => {
  await openCoach(page, 'iPhone 7 (GSM)', 'Get into DFU mode');
  await expect(page.getByText('Before you start')).toBeVisible();
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(step(page, /^Get ready/)).toBeVisible();
  await page.waitForFunction(() => document.querySelector('.coach-countdown')?.getAttribute('data-step') === 'hold-both', null, {
    polling: 'raf',
  });
  await page.keyboard.down('KeyS');
  await page.keyboard.down('KeyD');
  await atStep(page, 'hold-both', /^Press and hold Side and Volume Down/);
  await page.waitForFunction(() => document.querySelector('.coach-countdown')?.getAttribute('data-step') === 'hold-single', null, {
    polling: 'raf',
  });
  await page.keyboard.up('KeyS');
  await expect(page.getByRole('heading', { name: 'Got it — let go. The phone is in DFU mode.' })).toBeVisible();
  await expect(page.getByText('A black screen is normal in DFU', { exact: false })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText('Got it — let go. The phone is in DFU mode.');
  await page.keyboard.up('KeyD');
});

test('practice run ending in recovery (Side never pressed at the restart): "Close" with timing advice', async ({ page }) => {
  // Setup: the iPhone 7 is in DFU from the previous run; restarting it lands in recovery (auto-boot is off).
  await openPhoneTools(page, bridge.url);
  const card = page.getByRole('article', { name: 'iPhone 7 (GSM)' });
  await expect(card.getByTestId('phone-mode')).toHaveText(/^DFU mode/);
  await page
    .getByRole('listitem', { name: /iPhone 7 \(GSM\)/ })
    .getByRole('button', { name: 'Restart' })
    .click();
  await expect(card.getByTestId('phone-mode')).toHaveText('Recovery mode');
  await openCoach(page, 'iPhone 7 (GSM)', 'Get into DFU mode');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('.coach-countdown')?.getAttribute('data-step') === 'hold-both', null, {
    polling: 'raf',
  });
  await page.keyboard.down('KeyD');
  await expect(page.getByRole('heading', { name: /^Close: the phone is in recovery mode/ })).toBeVisible();
  await expect(page.getByText(/Next time press Side and Volume Down before the countdown reaches 0/)).toBeVisible();
  await page.keyboard.up('KeyD');
  await expect(page.getByRole('heading', { name: 'Try again' })).toBeVisible();
});

test('practice run ending on the Apple logo (iPhone 5s, everything let go too soon): "the moment was missed"', async ({ page }) => {
  await openCoach(page, 'iPhone 5s (GSM)', 'Get into recovery / DFU mode');
  await page.getByRole('radio', { name: /DFU mode — buttons only/ }).check();
  await expect(page.getByText(/Press and hold Home and Power\. The screen goes black\./)).toBeVisible();
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await atStep(page, 'hold-both', /^Press and hold Home and Power/);
  await page.keyboard.down('KeyH');
  await page.keyboard.down('KeyS');
  await atStep(page, 'hold-single', /^Let go of Power/);
  await page.keyboard.up('KeyS');
  await page.keyboard.up('KeyH');
  await expect(page.getByRole('heading', { name: 'Apple logo: the moment was missed.' })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText(/Keep holding Home after you let go of Power/)).toBeVisible();
});

test('exit recovery in one click from the card: the iPhone 7 starts normally', async ({ page }) => {
  await openPhoneTools(page, bridge.url);
  const card = page.getByRole('article', { name: 'iPhone 7 (GSM)' });
  await expect(card.getByTestId('phone-mode')).toHaveText('Recovery mode');
  await card.getByRole('button', { name: 'Exit recovery mode' }).click();
  await expect(page.getByRole('status')).toHaveText('Done: the phone is starting normally.', { timeout: 20_000 });
  await page.getByRole('button', { name: 'Back to phones' }).click();
  await expect(page.getByRole('article', { name: 'iPhone 7 (GSM)' }).getByTestId('phone-mode')).toHaveText('Started normally');
});

test('the coach screen passes an accessibility check, before and during a countdown', async ({ page }) => {
  await openCoach(page, 'iPhone 12', 'Get into recovery / DFU mode');
  const before = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  expect(before.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(step(page, /^Get ready/)).toBeVisible();
  const during = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  expect(during.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('status')).toHaveText('Coach stopped.');
});
