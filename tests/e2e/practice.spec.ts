import AxeBuilder from '@axe-core/playwright';
import { expect, startBridgeProcess, test, type RunningBridge, openPhoneTools } from './web-bridge-fixture';

let bridge: RunningBridge;
test.beforeAll(async () => {
  bridge = await startBridgeProcess(['--demo', '--time-factor', '0.05', '--grace-ms', '3000']);
});
test.afterAll(() => {
  bridge.process.kill('SIGTERM');
});

test('a card follows a virtual phone through recovery mode, unplug and replug', async ({ page }) => {
  await openPhoneTools(page, bridge.url);
  const card = page.getByRole('article', { name: 'iPhone 5s (GSM)' });
  await expect(card.getByTestId('phone-mode')).toHaveText('Started normally');
  await expect(card).toContainText('A backup is possible now');
  await expect(card).toContainText('Trusted');

  const controls = page.getByRole('listitem', { name: /iPhone 5s \(GSM\)/ });
  await controls.getByRole('button', { name: 'Put into recovery mode' }).click();
  await expect(card.getByTestId('phone-mode')).toHaveText('Recovery mode');
  await expect(card).toContainText('A backup is not possible in this mode');
  await expect(page.getByRole('article', { name: 'iPhone 5s (GSM)' })).toHaveCount(1);
  await expect(page.getByRole('status')).toContainText('iPhone 5s (GSM) connected, Recovery mode.');

  await controls.getByRole('button', { name: 'Unplug the cable' }).click();
  await expect(card.getByTestId('phone-mode')).toHaveText('Reconnecting…');
  await expect(page.getByRole('article', { name: 'iPhone 5s (GSM)' })).toHaveCount(0, { timeout: 10_000 });

  await controls.getByRole('button', { name: 'Plug in the cable' }).click();
  await expect(page.getByRole('article', { name: 'iPhone 5s (GSM)' }).getByTestId('phone-mode')).toHaveText('Recovery mode');
});

test('every card tells the truth about what can be saved, and the page stays accessible', async ({ page }) => {
  await openPhoneTools(page, bridge.url);
  await expect(page.getByRole('article', { name: 'iPhone 12' })).toContainText('This computer is not trusted by the phone');
  await expect(page.getByRole('article', { name: 'iPhone 7 (GSM)' })).toContainText('Recovery mode');
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
});
