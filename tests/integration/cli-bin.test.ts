import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

describe('the lifeline bin as npm installs it', () => {
  it('runs `lifeline --json info` straight from the package with no build step', async () => {
    const { stdout } = await run(process.execPath, [path.join(root, 'bin', 'lifeline.mjs'), '--json', 'info'], {
      cwd: root,
      timeout: 30_000,
    });
    expect(JSON.parse(stdout)).toMatchObject({ name: 'Lifeline', transport: 'in-process' });
  });

  it('exits 2 on a usage error', async () => {
    await expect(
      run(process.execPath, [path.join(root, 'bin', 'lifeline.mjs'), '--no-such-flag'], { cwd: root, timeout: 30_000 }),
    ).rejects.toMatchObject({ code: 2 });
  });
});
