import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, startBridgeProcess, test, type RunningBridge, openPhoneTools } from './web-bridge-fixture';

// Every screen, in the light and the dark theme, passes axe's WCAG 2.1 AA checks (contrast included).
let bridge: RunningBridge;
test.beforeAll(async () => {
  bridge = await startBridgeProcess(['--demo', '--time-factor', '0.05']);
});
test.afterAll(() => {
  bridge.process.kill('SIGTERM');
});

async function expectAccessible(page: Page, label: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
    const found = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(found, `${label} (${colorScheme})`).toEqual([]);
  }
}

const SCREENS: ReadonlyArray<{ phone: string; action: string; heading: RegExp }> = [
  { phone: 'iPhone 5s (GSM)', action: 'Back up now', heading: /^Back up / },
  { phone: 'iPhone 5s (GSM)', action: 'Get into recovery / DFU mode', heading: /recovery and DFU mode$/ },
  { phone: 'iPhone 7 (GSM)', action: 'Get into DFU mode', heading: /recovery and DFU mode$/ },
  { phone: 'iPhone 12', action: 'Firmware details', heading: /^iOS for iPhone 12$/ },
];

test('the phone list passes axe in both themes', async ({ page }) => {
  await openPhoneTools(page, bridge.url);
  await expect(page.getByRole('article', { name: 'iPhone 12' })).toContainText('This computer is not trusted by the phone');
  await expectAccessible(page, 'phones');
});

for (const screen of SCREENS) {
  test(`${screen.phone} → “${screen.action}” passes axe in both themes`, async ({ page }) => {
    await openPhoneTools(page, bridge.url);
    await page.getByRole('article', { name: screen.phone }).getByRole('button', { name: screen.action }).click();
    await expect(page.getByRole('heading', { level: 1, name: screen.heading })).toBeVisible();
    await expectAccessible(page, `${screen.phone}: ${screen.action}`);
  });
}
