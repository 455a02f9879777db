import { mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, startBridgeProcess, test, type RunningBridge, openPhoneTools } from './web-bridge-fixture';

// The Restore screen in practice mode: choose, confirm, the stages, the result — at 1024×700, keyboard only, axe in both themes.
let bridge: RunningBridge;
test.beforeAll(async () => {
  bridge = await startBridgeProcess(['--demo', '--time-factor', '0.05']);
});
test.afterAll(() => {
  bridge.process.kill('SIGTERM');
});

test.use({ viewport: { width: 1024, height: 700 } });

const shots = path.resolve(import.meta.dirname, '../../test-results/restore-screens');

async function expectAccessible(page: Page, label: string, schemes: readonly ('light' | 'dark')[] = ['light', 'dark']): Promise<void> {
  for (const colorScheme of schemes) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
    const found = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(found, `${label} (${colorScheme})`).toEqual([]);
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, `${label}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** The phone cards: the first screen, or the tools screen when the first screen shows journeys. */
async function openPhoneCards(page: Page): Promise<void> {
  await openPhoneTools(page, bridge.url);
  const tools = page.getByRole('button', { name: 'Phone details and tools' });
  const cards = page.getByRole('article', { name: 'iPhone 5s (GSM)' });
  await expect(tools.or(cards).first()).toBeVisible({ timeout: 15_000 });
  if (await tools.isVisible()) await tools.click();
}

/** Nothing on the page is wider than the window (no sideways scrolling, nothing cut off at the right). */
async function expectNoSidewaysOverflow(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

test('erases the practice iPhone 5s from its card: costs shown, typed confirmation, stages, and what happens next', async ({ page }) => {
  await openPhoneCards(page);
  const card = page.getByRole('article', { name: 'iPhone 5s (GSM)' });
  await expect(card).toContainText('Trusted');
  await expect(card.getByRole('button', { name: 'Erase or update iOS…' })).toBeVisible();
  await expectNoSidewaysOverflow(page);
  await expectAccessible(page, 'phones');
  await card.getByRole('button', { name: 'Erase or update iOS…' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Restore Practice iPhone 5s' })).toBeVisible();
  const choice = page.getByRole('group', { name: 'What should happen to the phone?' });
  await expect(choice).toContainText('Deletes everything on the phone');
  await expect(choice).toContainText('Activation Lock asks for the Apple ID and password that were on the phone');
  await expect(choice).toContainText('It does not remove a forgotten passcode');
  await expect(page.getByRole('button', { name: 'Continue' })).toBeDisabled();
  await expectNoSidewaysOverflow(page);
  await expectAccessible(page, 'choose');

  // Keyboard only from here: the radio, Continue, the confirmation text, the erase button.
  await page.getByRole('radio', { name: 'Erase and restore' }).focus();
  await page.keyboard.press('Space');
  await expect(page.getByRole('radio', { name: 'Erase and restore' })).toBeChecked();
  await page.getByRole('button', { name: 'Continue' }).focus();
  await page.keyboard.press('Enter');

  const confirm = page.getByRole('form', { name: 'Confirm the erase' });
  await expect(confirm).toContainText('Everything on Practice iPhone 5s will be deleted');
  const eraseButton = confirm.getByRole('button', { name: 'Erase Practice iPhone 5s' });
  await expect(eraseButton).toBeDisabled();
  const typed = confirm.getByRole('textbox', { name: /Type the phone’s name/ });
  await typed.focus();
  await page.keyboard.type('erase');
  await expect(eraseButton).toBeEnabled();
  await expectAccessible(page, 'confirm');
  await typed.focus();
  await page.keyboard.press('Enter');

  const stages = page.getByRole('list', { name: 'Stages' });
  await expect(stages).toBeVisible();
  await expect(page.getByRole('progressbar', { name: 'Restore progress' })).toBeVisible();
  await expect(stages.locator('[aria-current="step"]')).toHaveCount(1);
  await expect(page.getByText('The restore can no longer be cancelled')).toBeVisible({ timeout: 60_000 });
  await expectNoSidewaysOverflow(page);
  // Dark first: the practice phone finishes quickly.
  await expectAccessible(page, 'progress', ['dark', 'light']);

  await expect(page.getByRole('heading', { name: 'Restore finished' })).toBeVisible({ timeout: 120_000 });
  await expect(page.getByRole('status')).toHaveText('Restore finished.');
  const outcome = page.getByRole('region', { name: 'Restore finished' });
  await expect(outcome).toContainText('setup assistant');
  await expect(outcome).toContainText('Activation Lock asks for the Apple ID and password');
  await expectNoSidewaysOverflow(page);
  await expectAccessible(page, 'finished');

  await page.getByRole('button', { name: 'Back to phones' }).click();
  await openPhoneCards(page);
  // Erased: a new phone that does not know this computer.
  await expect(page.getByRole('article', { name: 'iPhone 5s (GSM)' })).toContainText('not trusted', { timeout: 30_000 });
});

test('an update says it keeps the data and confirms with one button', async ({ page }) => {
  await openPhoneCards(page);
  await page.getByRole('article', { name: 'iPhone 7 (GSM)' }).getByRole('button', { name: 'Erase or update iOS…' }).click();
  await page.getByRole('radio', { name: 'Update' }).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  const confirm = page.getByRole('form', { name: 'Confirm the update' });
  await expect(confirm).toContainText('keeps its data');
  await confirm.getByRole('button', { name: 'Choose again' }).click();
  await expect(page.getByRole('radio', { name: 'Update' })).toBeVisible();
});
