import AxeBuilder from '@axe-core/playwright';
import { expect, startBridgeProcess, test, type RunningBridge, openPhoneTools } from './web-bridge-fixture';

// Practice mode serves Apple-shaped catalogs and a synthetic IPSW from local fakes: nothing touches the internet.
let bridge: RunningBridge;
test.beforeAll(async () => {
  bridge = await startBridgeProcess(['--demo', '--time-factor', '0.05']);
});
test.afterAll(() => {
  bridge.process.kill('SIGTERM');
});

test('“Get iOS ready” downloads and verifies the latest signed iOS, and the card says so before any button is pressed', async ({
  page,
}) => {
  await openPhoneTools(page, bridge.url);
  const card = page.getByRole('article', { name: 'iPhone 5s (GSM)' });
  await card.getByRole('button', { name: 'Get iOS ready' }).click();
  await expect(card.getByTestId('firmware-state')).toHaveText(/^iOS 12\.5\.8 ready — verified$/, { timeout: 30_000 });

  await card.getByRole('button', { name: 'Firmware details' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'iOS for iPhone 5s (GSM)' })).toBeVisible();
  await expect(page.getByText(/12\.5\.8/).first()).toBeVisible();
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
    expect(
      results.violations.map(
        (v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')} ${n.failureSummary ?? ''}`).join('; ')}`,
      ),
      colorScheme,
    ).toEqual([]);
  }
  await page.getByRole('button', { name: 'Back to phones' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Connect your iPhone' })).toBeVisible();
});
