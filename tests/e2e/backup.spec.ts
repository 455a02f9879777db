import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, startBridgeProcess, test, type RunningBridge, openPhoneTools } from './web-bridge-fixture';

let bridge: RunningBridge;
let dir: string;
test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-e2e-backup-'));
  // The bridge process inherits this: practice backups go to a temp folder.
  process.env.LIFELINE_BACKUP_DIR = dir;
  bridge = await startBridgeProcess(['--demo', '--time-factor', '0.05']);
});
test.afterAll(() => {
  bridge.process.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('backs up the trusted practice iPhone 5s from its card and shows the result and the backup', async ({ page }) => {
  await openPhoneTools(page, bridge.url);
  const card = page.getByRole('article', { name: 'iPhone 5s (GSM)' });
  await expect(card).toContainText('Trusted');
  await card.getByRole('button', { name: 'Back up now' }).click();

  await expect(page.getByRole('heading', { level: 1, name: /^Back up Practice iPhone 5s/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Backup complete' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('status')).toHaveText('Backup complete.');
  await expect(page.getByText(/400 files/)).toBeVisible();
  await expect(page.getByRole('list').filter({ hasText: 'Practice iPhone 5s' })).toContainText('complete · not encrypted');
  expect(readdirSync(dir)).toHaveLength(1);

  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  await page.getByRole('button', { name: 'Back to phones' }).click();
  // A phone that cannot be backed up gets no button, but the search for its backups.
  const recovery = page.getByRole('article', { name: 'iPhone 7 (GSM)' });
  await expect(recovery.getByRole('button', { name: 'Back up now' })).toHaveCount(0);
  await expect(recovery).toContainText('Backups of this phone on this computer');
});
