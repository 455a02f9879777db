import { describe, expect, it } from 'vitest';
import type { DfuPhone } from '../../common/api';
import type { Phone } from '../../common/phone';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';

type JsonPhone = Phone & { ecid?: string; udid?: string };

async function run(argv: string[]) {
  const out: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: () => undefined });
  return { code, out: out.join('\n') };
}

const phonesOf = (out: string): JsonPhone[] =>
  (JSON.parse(out) as { phones: JsonPhone[] }).phones.sort((a, b) => a.model.name.localeCompare(b.model.name));

describe('phone ids in lifeline devices (practice mode)', () => {
  it('--json names every phone by an opaque id that is the same run after run and never holds its ECID', async () => {
    const first = phonesOf((await run(['--demo', '--json', 'devices'])).out);
    const second = phonesOf((await run(['--demo', '--json', 'devices'])).out);
    const shown = await run(['--demo', '--json', 'devices', '--show-ecid']);
    expect(shown.code).toBe(EXIT.ok);
    const full = phonesOf(shown.out);

    expect(first).toHaveLength(3);
    for (const phone of first) expect(phone.id).toMatch(/^ph-[0-9a-f]{12}$/);
    expect(second.map((p) => p.id)).toEqual(first.map((p) => p.id));
    expect(full.map((p) => p.id)).toEqual(first.map((p) => p.id));
    for (const phone of full) expect(phone.ecid).toMatch(/^[0-9A-F]{16}$/);
    const plain = JSON.stringify(first);
    for (const phone of full) expect(plain).not.toContain(phone.ecid!.slice(-6));
    for (const phone of first) expect(phone).not.toHaveProperty('ecid');
  });

  it('prints ECIDs masked in plain words, whole only with --show-ecid', async () => {
    const full = phonesOf((await run(['--demo', '--json', 'devices', '--show-ecid'])).out);
    const text = (await run(['--demo', 'devices'])).out;
    const shown = (await run(['--demo', 'devices', '--show-ecid'])).out;
    for (const { ecid } of full) {
      expect(text).toContain(`[…${ecid!.slice(-6)}]`);
      expect(text).not.toContain(ecid!.slice(0, 10));
      expect(shown).toContain(`[${ecid}]`);
    }
  });

  it('gives the phone in recovery mode the same id in `devices --json` and `dfu-info --json`', async () => {
    const recovery = phonesOf((await run(['--demo', '--json', 'devices'])).out).find((p) => p.mode === 'recovery');
    const dfu = JSON.parse((await run(['--demo', '--json', 'dfu-info'])).out) as DfuPhone[];
    expect(dfu).toHaveLength(1);
    expect(recovery?.id).toBe(dfu[0]!.phoneId);
  });
});
