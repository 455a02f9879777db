import { describe, expect, it } from 'vitest';
import { chromiumExecutable, DEBIAN_CHROMIUM } from '../e2e/chromium-executable';

const PLAYWRIGHTS = '/home/me/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome';
const only =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

describe('which Chromium the e2e tests use', () => {
  it("prefers Playwright's own Chromium once it is installed", () => {
    expect(chromiumExecutable({ playwrightChromium: PLAYWRIGHTS, exists: only(PLAYWRIGHTS, DEBIAN_CHROMIUM) })).toBe(PLAYWRIGHTS);
  });

  it("falls back to Debian's /usr/bin/chromium", () => {
    expect(chromiumExecutable({ playwrightChromium: PLAYWRIGHTS, exists: only(DEBIAN_CHROMIUM) })).toBe(DEBIAN_CHROMIUM);
  });

  it('takes LIFELINE_CHROMIUM first, and refuses one that does not exist', () => {
    expect(chromiumExecutable({ override: '/opt/chrome', playwrightChromium: PLAYWRIGHTS, exists: only('/opt/chrome', PLAYWRIGHTS) })).toBe(
      '/opt/chrome',
    );
    expect(() => chromiumExecutable({ override: '/opt/none', playwrightChromium: PLAYWRIGHTS, exists: only(PLAYWRIGHTS) })).toThrow(
      /LIFELINE_CHROMIUM/,
    );
  });

  it('says how to get a browser when there is none', () => {
    expect(() => chromiumExecutable({ playwrightChromium: PLAYWRIGHTS, exists: only() })).toThrow(
      /npx playwright install chromium.*apt-get install chromium/,
    );
  });
});
