import { chromium, defineConfig } from '@playwright/test';
import { chromiumExecutable } from './tests/e2e/chromium-executable';

/** Playwright's own Chromium when installed, else Debian's /usr/bin/chromium (LIFELINE_CHROMIUM overrides). */
export const CHROMIUM_PATH = chromiumExecutable({ override: process.env.LIFELINE_CHROMIUM, playwrightChromium: chromium.executablePath() });

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 60_000,
  workers: 1,
  // A browser, a bridge process and virtual phones share 2 cores in CI: one retry absorbs a scheduling hiccup.
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  use: { trace: 'off', screenshot: 'off' },
  projects: [
    {
      name: 'chromium',
      testIgnore: /electron\.spec\.ts/,
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
    { name: 'electron', testMatch: /electron\.spec\.ts/ },
  ],
});
