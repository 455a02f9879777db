import { describe, expect, it } from 'vitest';
import type { HostStatus, Phone } from '../../common/phone';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';

async function run(argv: string[], signal?: AbortSignal) {
  const out: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: () => undefined }, signal);
  return { code, out };
}

describe('lifeline devices', () => {
  it('prints a settled JSON snapshot of every practice phone with its triage', async () => {
    const { code, out } = await run(['--demo', '--json', 'devices']);
    expect(code).toBe(EXIT.ok);
    const { phones, host } = JSON.parse(out.join('')) as { phones: Phone[]; host: HostStatus };
    expect(host.usbmux.state).toBe('connected');
    expect(phones.map((p) => [p.model.name, p.mode, p.triage.canBackUp]).sort()).toEqual([
      ['iPhone 12', 'normal', false],
      ['iPhone 5s (GSM)', 'normal', true],
      ['iPhone 7 (GSM)', 'recovery', false],
    ]);
    expect(phones.every((p) => !p.identifying)).toBe(true);
  });

  it('prints plain words and the reasons it cannot see phones on a machine without usbmuxd or USB', async () => {
    const { code, out } = await run(['devices']);
    expect(code).toBe(EXIT.ok);
    const text = out.join('\n');
    expect(text).toContain('No iPhone connected.');
    expect(text).toMatch(/usbmuxd/);
  });

  it('--watch prints JSON lines until it is cancelled, then exits cleanly', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    const { code, out } = await run(['--demo', '--json', 'devices', '--watch'], controller.signal);
    expect(code).toBe(EXIT.ok);
    expect(out.length).toBeGreaterThanOrEqual(1);
    for (const line of out) expect(() => JSON.parse(line)).not.toThrow();
  });
});
