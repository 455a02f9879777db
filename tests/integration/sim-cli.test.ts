import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

describe('npm run sim (sim-cli)', () => {
  it('prints one JSON line with a usable address and the UDID, and exits on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'main/sim/sim-cli.ts', '--model', 'iPhone6,1', '--ios', '12.5.7', '--trusted', '--json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const lines = createInterface({ input: child.stdout! });
      const [line] = (await Promise.race([
        once(lines, 'line'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no output')), 20_000)),
      ])) as [string];
      const info = JSON.parse(line) as { address: string; udid: string; productType: string; ios: string };
      expect(info.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(info.udid).toMatch(/^[0-9a-f]{40}$/);
      expect(info.productType).toBe('iPhone6,1');
      expect(info.ios).toBe('12.5.7');
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
