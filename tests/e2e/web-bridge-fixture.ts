import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test as base, type Page } from '@playwright/test';

const root = path.resolve(import.meta.dirname, '../..');

export type RunningBridge = { url: string; origin: string; process: ChildProcess; args: string[]; env: Record<string, string> };

/** Runs a tsx script of the repo as its own process; resolves with the one JSON line it prints when ready. */
async function startJsonLineProcess<T>(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ line: T; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 60 s`)), 60_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { line: JSON.parse(first) as T, child };
}

/**
 * Starts `dev:web` (real engine + real renderer) as its own process, exactly as a developer would. Its data folder
 * (logs, saved journeys) is a fresh one unless `env` names one, so no run sees another's journeys.
 */
export async function startBridgeProcess(extraArgs: string[] = [], env: Record<string, string> = {}): Promise<RunningBridge> {
  const isolated = { LIFELINE_DATA_DIR: env.LIFELINE_DATA_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'lifeline-e2e-')), ...env };
  const { line, child } = await startJsonLineProcess<{ url: string; origin: string }>(
    'main/dev-web.ts',
    ['--json', '--no-build', ...extraArgs],
    isolated,
  );
  return { url: line.url, origin: line.origin, process: child, args: extraArgs, env: isolated };
}

/** Resolves once the process has ended (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * The bridge process (and the engine in it) killed as a crash kills it, then started again as before: the same data
 * folder (LIFELINE_DATA_DIR), the same arguments. The page must open the new URL (a new port and secret), as a
 * restarted app's window would load again.
 */
export async function restartBridgeProcess(bridge: RunningBridge, signal: NodeJS.Signals = 'SIGKILL'): Promise<RunningBridge> {
  bridge.process.kill(signal);
  await exited(bridge.process);
  return startBridgeProcess(bridge.args, bridge.env);
}

/** Practice mode's phones in their own process (`npm run sim:practice`): they outlive a bridge that is restarted. */
export type PracticeHostProcess = { url: string; token: string; process: ChildProcess; stop(): Promise<void> };

export async function startPracticeHostProcess(timeFactor: string): Promise<PracticeHostProcess> {
  const { line, child } = await startJsonLineProcess<{ url: string; token: string }>(
    'main/sim/practice-host-cli.ts',
    ['--time-factor', timeFactor],
    {},
  );
  return {
    ...line,
    process: child,
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

/** A bridge joined to a practice host process: its args and env for startBridgeProcess. */
export function joinPracticeHost(host: PracticeHostProcess): { args: string[]; env: Record<string, string> } {
  return { args: ['--demo', '--practice-host', host.url], env: { LIFELINE_PRACTICE_TOKEN: host.token } };
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

/** One request on the practice host's control line (the world's hands and the tests' hooks, not the app's). */
export async function askPracticeHost(host: PracticeHostProcess, request: Record<string, unknown>): Promise<unknown> {
  const response = await fetch(host.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const envelope = (await response.json()) as { ok: true; value: unknown } | { ok: false; problem: { title: string } };
  if (!envelope.ok) throw new Error(envelope.problem.title);
  return envelope.value;
}

/** The phone cards and their tools (backup, coach, firmware, restore): one quiet link from the first screen. */
export async function openPhoneTools(page: Page, url: string): Promise<void> {
  // The same URL again only changes nothing in a single-page app: start from a blank page so the first screen loads.
  await page.goto('about:blank');
  await page.goto(url);
  await page.getByRole('button', { name: 'Phone details and tools' }).click();
}
