import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { getConfig } from 'app-builder-lib/out/util/config/config';
import { describe, expect, it } from 'vitest';
import { hostChecks } from '../../../main/coach/outcome-advice';
import {
  LINUX_UDEV_FIX,
  LINUX_UDEV_RULE_FILE,
  LINUX_UDEV_RULE_LINE,
  LINUX_UDEV_RULE_PACKAGED_PATH,
} from '../../../main/usb/linux-udev-rule';

const root = path.resolve(import.meta.dirname, '../../..');
/** systemd's file that acts on the uaccess tag: named in the docs as the reason for the number. */
const SYSTEMD_SEAT_LATE = '73-seat-late.rules';
const RULE_NAME = /\b\d\d-[A-Za-z0-9_.-]+\.rules\b/g;

function filesUnder(folder: string, extensions: readonly string[]): string[] {
  const found: string[] = [];
  for (const name of readdirSync(path.join(root, folder))) {
    const relative = path.posix.join(folder, name);
    if (relative === 'main/sim') continue;
    if (statSync(path.join(root, relative)).isDirectory()) found.push(...filesUnder(relative, extensions));
    else if (extensions.some((extension) => name.endsWith(extension))) found.push(relative);
  }
  return found;
}

describe('the Linux udev rule has one name everywhere', () => {
  it('is numbered below 73, so its uaccess tag is set before systemd acts on it', () => {
    expect(Number(LINUX_UDEV_RULE_FILE.slice(0, 2))).toBeLessThan(73);
  });

  it('is the file the .deb installs, holding the line the fix text tells people to write', async () => {
    const config = await getConfig(root, path.join(root, 'electron-builder.yml'), null);
    const mapping = (config.deb?.fpm ?? []).find((arg) => arg.includes('/udev/rules.d/'));
    expect(mapping).toBe(`assets/packaging/linux/${LINUX_UDEV_RULE_FILE}=${LINUX_UDEV_RULE_PACKAGED_PATH}`);
    const lines = readFileSync(path.join(root, 'assets/packaging/linux', LINUX_UDEV_RULE_FILE), 'utf8').split('\n');
    expect(lines).toContain(LINUX_UDEV_RULE_LINE);
    expect(LINUX_UDEV_FIX).toContain(LINUX_UDEV_RULE_LINE);
  });

  it('is the only rule file named in the README, the docs, the packaging and every message (the coach’s host check too)', () => {
    const sources = [
      'README.md',
      'electron-builder.yml',
      ...filesUnder('docs', ['.md']),
      ...filesUnder('assets', ['.rules', '.sh']),
      ...filesUnder('main', ['.ts']),
      ...filesUnder('common', ['.ts']),
      ...filesUnder('renderer', ['.ts', '.tsx']),
    ];
    expect(sources.length).toBeGreaterThan(100);
    const named = sources.flatMap((file) =>
      [...readFileSync(path.join(root, file), 'utf8').matchAll(RULE_NAME)].map((m) => `${file}: ${m[0]}`),
    );
    expect(named.filter((entry) => !entry.endsWith(`: ${LINUX_UDEV_RULE_FILE}`) && !entry.endsWith(`: ${SYSTEMD_SEAT_LATE}`))).toEqual([]);
    expect(named.some((entry) => entry.startsWith('README.md:'))).toBe(true);
    expect(hostChecks('linux', 'iPhone10,3').find((check) => check.id === 'linux-udev')?.detail).toContain(LINUX_UDEV_RULE_FILE);
  });
});
