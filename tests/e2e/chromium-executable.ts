import { existsSync } from 'node:fs';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export type ChromiumChoice = {
  /** LIFELINE_CHROMIUM, when set. */
  override?: string;
  /** Where Playwright's own Chromium lives (chromium.executablePath()), installed or not. */
  playwrightChromium: string;
  exists?: (path: string) => boolean;
};

/**
 * The browser the e2e tests drive: LIFELINE_CHROMIUM if set, else Playwright's own Chromium when
 * `npx playwright install chromium` has put it there, else the distribution's /usr/bin/chromium.
 */
export function chromiumExecutable({ override, playwrightChromium, exists = existsSync }: ChromiumChoice): string {
  if (override) {
    if (!exists(override)) throw new Error(`LIFELINE_CHROMIUM points at ${override}, which does not exist.`);
    return override;
  }
  if (playwrightChromium && exists(playwrightChromium)) return playwrightChromium;
  if (exists(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  throw new Error(
    'No Chromium for the e2e tests. Install one once: `npx playwright install chromium` (any OS), or ' +
      '`sudo apt-get install chromium` (Debian/Ubuntu); or set LIFELINE_CHROMIUM to a Chromium binary.',
  );
}
