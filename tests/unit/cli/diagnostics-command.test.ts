import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli';
import { EXIT } from '../../../main/cli/exit-codes';
import { DATA_DIR_ENV } from '../../../main/log/data-folder';

describe('lifeline diagnostics export', () => {
  let root: string;
  let saved: string | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'lifeline-diagnostics-cli-'));
    await mkdir(join(root, 'data', 'logs'), { recursive: true });
    await writeFile(join(root, 'data', 'logs', 'engine.1.log'), '{"event":"job.started","kind":"backup"}\n');
    saved = process.env[DATA_DIR_ENV];
    process.env[DATA_DIR_ENV] = join(root, 'data');
  });

  afterEach(async () => {
    if (saved === undefined) delete process.env[DATA_DIR_ENV];
    else process.env[DATA_DIR_ENV] = saved;
    await rm(root, { recursive: true, force: true });
  });

  it('prints the list, asks, and saves only after “yes”', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const questions: string[] = [];
    const target = join(root, 'support.zip');
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    const declined = await runCli(['diagnostics', 'export', '--out', target], { ...io, ask: async (q) => (questions.push(q), 'no') });
    expect(declined).toBe(EXIT.cancelled);
    expect(await readdir(root)).toEqual(['data']);
    expect(err.join('\n')).toContain('logs/engine.1.log');
    expect(err.join('\n')).toContain('Never included:');

    const accepted = await runCli(['diagnostics', 'export', '--out', target], { ...io, ask: async (q) => (questions.push(q), 'yes') });
    expect(accepted).toBe(EXIT.ok);
    expect(questions).toEqual([expect.stringContaining(target), expect.stringContaining(target)]);
    expect((await readdir(root)).sort()).toEqual(['data', 'support.zip']);
    expect(out.at(-1)).toContain(`to ${target}`);
  });

  it('refuses to save without a terminal unless --yes, and says what it saved in --json', async () => {
    const target = join(root, 'support.zip');
    const out: string[] = [];
    expect(await runCli(['diagnostics', 'export', '--out', target], { out: (t) => out.push(t), err: () => undefined })).toBe(EXIT.usage);
    expect(await readdir(root)).toEqual(['data']);
    expect(
      await runCli(['--json', 'diagnostics', 'export', '--out', target, '--yes'], { out: (t) => out.push(t), err: () => undefined }),
    ).toBe(EXIT.ok);
    const result = JSON.parse(out.at(-1)!) as { path: string; files: number; preview: { name: string }[] };
    expect(result).toMatchObject({ path: target, files: 2 });
    expect(result.preview.map((file) => file.name)).toEqual(['host-facts.json', 'logs/engine.1.log']);
  });
});
