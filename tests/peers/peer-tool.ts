import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

declare module '@vitest/runner' {
  interface TaskMeta {
    /** Why a peer suite skipped on this machine; `npm test` names every such suite at the end. */
    peerSkip?: string;
  }
}

/** One thing a peer suite needs from this machine, and how to get it on Debian / Ubuntu. */
export type PeerNeed = { name: string; present: boolean; fix: string };

/** A program on PATH, from a Debian package. */
export function needTool(name: string, debianPackage: string, which: (tool: string) => string | null = whichTool): PeerNeed {
  return { name, present: which(name) !== null, fix: `not installed: apt-get install ${debianPackage}` };
}

/** A file (a header, a source folder) that must exist; `fix` says how to get it. */
export function needFile(name: string, path: string, fix: string, exists: (path: string) => boolean = existsSync): PeerNeed {
  return { name, present: path !== '' && exists(path), fix };
}

/** What running Debian's irecovery against the virtual phone over USB/IP needs (docs/protocols/usbip.md#libusb-shim). */
export function irecoveryOverUsbipNeeds(
  shimSource: string,
  which: (tool: string) => string | null = whichTool,
  exists: (path: string) => boolean = existsSync,
): PeerNeed[] {
  return [
    needTool('irecovery', 'irecovery', which),
    needTool('make', 'make', which),
    needTool('gcc', 'gcc', which),
    needFile('libusb.h', '/usr/include/libusb-1.0/libusb.h', 'not installed: apt-get install libusb-1.0-0-dev', exists),
    needFile(
      'libusb-usbip shim',
      shimSource === '' ? '' : `${shimSource}/Makefile`,
      'source not found: set LIFELINE_LIBUSB_USBIP_SRC to its folder',
      exists,
    ),
  ];
}

/** What running Debian's idevicerestore against the virtual phone needs: the tool and the libusb shim it reaches USB through. */
export function idevicerestoreOverUsbipNeeds(
  shimSource: string,
  which: (tool: string) => string | null = whichTool,
  exists: (path: string) => boolean = existsSync,
): PeerNeed[] {
  return [
    needTool('idevicerestore', 'idevicerestore', which),
    ...irecoveryOverUsbipNeeds(shimSource, which, exists).filter((need) => need.name !== 'irecovery'),
  ];
}

/** Why a peer suite must skip, e.g. "irecovery (not installed: apt-get install irecovery)", or null when nothing is missing. */
export function peerSkipReason(needs: readonly PeerNeed[]): string | null {
  const missing = needs.filter((need) => !need.present);
  return missing.length === 0 ? null : missing.map((need) => `${need.name} (${need.fix})`).join(', ');
}

/** describe() options that carry the skip reason to the peers summary (tests/peers/peer-skip-reporter.ts). */
export function peerSuiteOptions(reason: string | null): { meta: { peerSkip?: string } } {
  return { meta: reason === null ? {} : { peerSkip: reason } };
}

/** Absolute path of a Debian tool, or null when it is not installed (tests then skip with the reason). */
export function whichTool(name: string): string | null {
  try {
    const path = execFileSync('which', [name], { encoding: 'utf8' }).trim();
    return path.length > 0 ? path : null;
  } catch {
    return null;
  }
}

export type ToolRun = { code: number; stdout: string; stderr: string; output: string };

/** Runs a libimobiledevice tool against the fake usbmuxd at `address`; never rejects. */
export function runTool(tool: string, args: string[], address: string, timeoutMs = 30_000): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(
      tool,
      args,
      { timeout: timeoutMs, env: { ...process.env, USBMUXD_SOCKET_ADDRESS: address }, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, output: `${stdout}${stderr}` });
      },
    );
  });
}

export async function waitFor(check: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

/**
 * Resolves when the phone is back in normal mode: a backup restore ends with the phone restarting (RestoreShouldReboot),
 * and the next test needs it back. Call before the restore starts so the event cannot be missed.
 */
export function untilBackInNormalMode(phone: { events: { on(event: 'mode', listener: (mode: string) => void): unknown } }): Promise<void> {
  return new Promise((resolve) => phone.events.on('mode', (mode) => (mode === 'normal' ? resolve() : undefined)));
}
