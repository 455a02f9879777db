import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';
import { decodePlist } from '../../../main/plist/plist-codec';

const root = path.resolve(import.meta.dirname, '../../..');

async function loadConfig() {
  return getConfig(root, path.join(root, 'electron-builder.yml'), null);
}

describe('electron-builder.yml', () => {
  it("validates against electron-builder's own schema, offline", async () => {
    const config = await loadConfig();
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('would be rejected by the same validation if it were wrong (the check is real)', async () => {
    const config = { ...(await loadConfig()), linux: { target: 'AppImage', notAnOption: true } };
    await expect(validateConfiguration(config as never, new DebugLogger(false))).rejects.toThrow(/configuration.linux/);
  });

  it('sets the production fuses, cookie encryption among them', async () => {
    const { electronFuses } = await loadConfig();
    expect(electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('names every fuse as electron-builder knows it, so a misspelt fuse fails validation instead of staying unset', async () => {
    const config = await loadConfig();
    await expect(
      validateConfiguration(
        { ...config, electronFuses: { ...config.electronFuses, enableCookieEncyption: true } } as never,
        new DebugLogger(false),
      ),
    ).rejects.toThrow(/electronFuses/);
  });

  it('builds dmg, nsis, AppImage and deb with a hardened runtime and USB entitlement on macOS', async () => {
    const config = await loadConfig();
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    const entitlements = decodePlist(readFileSync(path.join(root, config.mac!.entitlements!))) as Record<string, unknown>;
    expect(entitlements['com.apple.security.device.usb']).toBe(true);
  });

  it('installs a udev rule covering DFU, recovery and normal-mode product ids of vendor 05ac', async () => {
    const config = await loadConfig();
    const mapping = (config.deb?.fpm ?? []).find((arg) => arg.includes('/udev/rules.d/'));
    expect(mapping).toBeDefined();
    const rules = readFileSync(path.join(root, mapping!.split('=')[0]!), 'utf8');
    const patterns = [...rules.matchAll(/ATTR\{idVendor\}=="05ac", ATTR\{idProduct\}=="([^"]+)"/g)].map((m) => m[1]!);
    const covered = (pid: string) => patterns.some((p) => globMatches(p, pid));
    for (const pid of ['1227', '1222', '1280', '1281', '1282', '1283', '12a8', '12ab', '1290']) expect(covered(pid), pid).toBe(true);
    for (const pid of ['1284', '1226', '12b0']) expect(covered(pid), pid).toBe(false);
    const afterInstall = readFileSync(path.join(root, config.deb!.afterInstall!), 'utf8');
    expect(afterInstall).toContain('udevadm control --reload-rules');
    expect(afterInstall).toContain('chrome-sandbox');
  });
});

describe('Windows installer: what Apple’s-driver access needs', () => {
  const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    scripts: Record<string, string>;
  };

  it('ships koffi as an exact runtime dependency', () => {
    expect(packageJson.dependencies.koffi).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('keeps koffi and its prebuilt koffi.node packages outside the asar, where Node can load native code', async () => {
    const config = await loadConfig();
    const unpacked = ([] as string[]).concat(config.asarUnpack ?? []);
    for (const file of [
      'node_modules/koffi/index.cjs',
      'node_modules/@koromix/koffi-win32-x64/win32_x64/koffi.node',
      'node_modules/@koromix/koffi-win32-arm64/win32_arm64/koffi.node',
    ]) {
      expect(
        unpacked.some((pattern) => path.matchesGlob(file, pattern)),
        file,
      ).toBe(true);
    }
  });

  it('builds x64 and arm64 installers after fetching both Windows binaries of the installed koffi version', () => {
    const script = packageJson.scripts['dist:win']!;
    expect(script).toContain('--win --x64 --arm64');
    for (const arch of ['x64', 'arm64']) expect(script).toContain(`@koromix/koffi-win32-${arch}@${packageJson.dependencies.koffi}`);
  });

  it('refuses to pack for Windows while a koffi.node is missing, and names it', async () => {
    const config = await loadConfig();
    expect(config.beforePack).toBe('scripts/koffi-windows-binaries.mjs');
    const hook = await import('../../../scripts/koffi-windows-binaries.mjs');
    const empty = mkdtempSync(path.join(os.tmpdir(), 'lifeline-pack-'));
    try {
      mkdirSync(path.join(empty, 'node_modules', 'koffi'), { recursive: true });
      writeFileSync(path.join(empty, 'node_modules', 'koffi', 'package.json'), JSON.stringify({ version: packageJson.dependencies.koffi }));
      await expect(hook.beforePack({ electronPlatformName: 'win32', packager: { projectDir: empty } })).rejects.toThrow(
        /win32_x64.*win32_arm64.*npm run dist:win/s,
      );
      await expect(hook.beforePack({ electronPlatformName: 'linux', packager: { projectDir: empty } })).resolves.toBeUndefined();
      for (const binary of hook.koffiWindowsBinaries()) {
        mkdirSync(path.join(empty, path.dirname(binary)), { recursive: true });
        writeFileSync(path.join(empty, binary), 'MZ');
        writeFileSync(
          path.join(empty, path.dirname(path.dirname(binary)), 'package.json'),
          JSON.stringify({ version: packageJson.dependencies.koffi }),
        );
      }
      await expect(hook.beforePack({ electronPlatformName: 'win32', packager: { projectDir: empty } })).resolves.toBeUndefined();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

/** udev's fnmatch subset used by the rule: literal characters, [..] classes with ranges, and | alternatives. */
function globMatches(pattern: string, value: string): boolean {
  return pattern.split('|').some((alternative) => {
    const regex = alternative.replace(/\[([^\]]+)\]/g, (_m, cls: string) => `[${cls}]`);
    return new RegExp(`^${regex}$`).test(value);
  });
}
