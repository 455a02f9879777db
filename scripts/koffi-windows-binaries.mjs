// electron-builder beforePack hook: a Windows installer must carry koffi's prebuilt koffi.node for x64 and arm64 (the FFI that
// reaches Apple's driver, docs/protocols/windows-apple-driver.md#packaging). npm installs only this machine's optional
// binary package, so `npm run dist:win` adds the other one first; this hook stops the build if either is missing.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const KOFFI_WINDOWS_ARCHES = ['x64', 'arm64'];

/** The koffi.node paths a Windows build needs, relative to the project root. */
export function koffiWindowsBinaries() {
  return KOFFI_WINDOWS_ARCHES.map((arch) => path.join('node_modules', '@koromix', `koffi-win32-${arch}`, `win32_${arch}`, 'koffi.node'));
}

/** Those of them that are absent or of another koffi version than the one installed. */
export function missingKoffiWindowsBinaries(root) {
  const koffiVersion = JSON.parse(readFileSync(path.join(root, 'node_modules', 'koffi', 'package.json'), 'utf8')).version;
  return koffiWindowsBinaries().filter((binary) => {
    const manifest = path.join(root, path.dirname(path.dirname(binary)), 'package.json');
    if (!existsSync(path.join(root, binary)) || !existsSync(manifest)) return true;
    return JSON.parse(readFileSync(manifest, 'utf8')).version !== koffiVersion;
  });
}

export async function beforePack(context) {
  if (context.electronPlatformName !== 'win32') return;
  const missing = missingKoffiWindowsBinaries(context.packager.projectDir);
  if (missing.length > 0) {
    throw new Error(`The Windows installer needs koffi's prebuilt binaries; missing: ${missing.join(', ')}. Run "npm run dist:win".`);
  }
}
