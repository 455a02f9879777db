import { describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli';
import { EXIT } from '../../../main/cli/exit-codes';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('lifeline command line', () => {
  it('prints help and exits 0', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(EXIT.ok);
    expect(out).toContain('Usage: lifeline');
    expect(out).toContain('--json');
  });

  it('prints exactly one JSON document with --json', async () => {
    const { code, out } = await run('--json', 'info');
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(out)).toMatchObject({ name: 'Lifeline', transport: 'in-process' });
  });

  it('exits with the usage code for an unknown command', async () => {
    const { code, err } = await run('frobnicate');
    expect(code).toBe(EXIT.usage);
    expect(err).toContain('unknown command');
  });
});
