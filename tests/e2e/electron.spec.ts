import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

const root = path.resolve(import.meta.dirname, '../..');

/** The Electron binary is only present where `npm start` (or `npx install-electron`) could download it. */
function electronBinary(): string | null {
  const pathFile = path.join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

const binary = electronBinary();
const SKIP_REASON =
  "No Electron binary on this machine: npm's allowScripts keeps `npm ci` from downloading it, and GitHub downloads are unreachable here.";
if (binary === null) console.log(`[electron e2e] skipped: ${SKIP_REASON}`);

test.describe('packaged app (Electron)', () => {
  test.skip(binary === null, SKIP_REASON);

  test('opens the Connect screen with a sandboxed, isolated renderer', async () => {
    const app = await electron.launch({ executablePath: binary!, args: [path.join(root, 'out', 'main', 'index.js')] });
    const page = await app.firstWindow();
    await expect(page.getByRole('heading', { name: 'Plug in your iPhone' })).toBeVisible();
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    expect(await page.evaluate(() => Object.isFrozen(window.lifeline))).toBe(true);
    await app.close();
  });
});
