import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test as base } from '@playwright/test';

const root = path.resolve(import.meta.dirname, '../..');

export type RunningBridge = { url: string; origin: string; process: ChildProcess };

/** Starts `dev:web` (real engine + real renderer) as its own process, exactly as a developer would. */
export async function startBridgeProcess(extraArgs: string[] = []): Promise<RunningBridge> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/dev-web.ts', '--json', '--no-build', ...extraArgs], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dev:web did not start within 30 s')), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`dev:web exited with ${code}`)));
  });
  const { url, origin } = JSON.parse(first) as { url: string; origin: string };
  return { url, origin, process: child };
}

export const test = base.extend<{ bridge: RunningBridge }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures must destructure their dependencies
  bridge: async ({}, use) => {
    const bridge = await startBridgeProcess();
    await use(bridge);
    bridge.process.kill('SIGTERM');
  },
});

export { expect } from '@playwright/test';
