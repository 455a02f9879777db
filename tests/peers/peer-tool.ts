import { execFile, execFileSync } from 'node:child_process';

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
