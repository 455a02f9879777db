import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './web-bridge-fixture';

test('the real renderer talks to the real engine and asks for an iPhone', async ({ page, bridge }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') violations.push(message.text());
  });
  await page.goto(bridge.url);
  // The first screen: no phone yet, so step one of the journey.
  await expect(page.getByRole('heading', { level: 1, name: 'Plug in your iPhone' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Steps of the rescue' }).locator('[aria-current="step"]')).toContainText('Plug in');
  await expect(page.getByRole('status')).toHaveText(/No iPhone connected yet/);
  // Nothing was blocked by the Content Security Policy, and no script error happened.
  expect(violations).toEqual([]);
});

test('the page refuses to run without the bridge token', async ({ page, bridge }) => {
  await page.goto(bridge.origin);
  await expect(page.getByRole('status')).toHaveText(/Lost contact|Starting/);
});

test('passes an axe accessibility check in light and dark themes', async ({ page, bridge }) => {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.goto(bridge.url);
    await expect(page.getByRole('status')).toHaveText(/No iPhone connected yet/);
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
    expect(
      results.violations.map((v) => `${v.id}: ${v.help}`),
      colorScheme,
    ).toEqual([]);
  }
});

test('keyboard focus is visible', async ({ page, bridge }) => {
  await page.setContent('');
  await page.goto(bridge.url);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  const outline = await page.evaluate(() => {
    const probe = document.createElement('button');
    probe.textContent = 'probe';
    document.querySelector('main')!.append(probe);
    probe.focus({ focusVisible: true } as FocusOptions);
    return getComputedStyle(probe).outlineStyle;
  });
  expect(outline).toBe('solid');
});
