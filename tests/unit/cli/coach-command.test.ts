import { describe, expect, it } from 'vitest';
import type { Phone } from '../../../common/phone';
import { choosePhone } from '../../../main/cli/coach-command';
import { runCli } from '../../../main/cli';
import { publicIdOfPhone } from '../../../main/devices/public-phone-id';

const phone = (id: string, name: string, connected = true): Phone => ({
  id,
  mode: 'recovery',
  model: { name, productType: null, boardConfig: null, cpid: null, bdid: null, buttons: null, known: false },
  iosVersion: null,
  buildVersion: null,
  deviceName: null,
  connected,
  identifying: false,
  trusted: null,
  passcodeSet: null,
  triage: { canBackUp: false, headline: '', reason: '', nextSteps: [] },
});

describe('lifeline recovery: choosing the phone', () => {
  const two = [phone('00076B71EA0F503A', 'iPhone 7'), phone('000D7F4F4673B6D2', 'iPhone 12')];

  it('never guesses between two phones: asks for --phone and lists them with masked ids', () => {
    expect(() => choosePhone(two, undefined)).toThrow(
      /Which phone\?: More than one phone is connected: iPhone 7 \[…0F503A\], iPhone 12 \[…73B6D2\]/,
    );
    expect(() => choosePhone(two, undefined)).not.toThrow(/00076B71EA0F503A/);
  });

  it('lists the full ids when asked (--show-ecid)', () => {
    expect(() => choosePhone(two, undefined, true)).toThrow(/iPhone 7 \[00076B71EA0F503A\], iPhone 12 \[000D7F4F4673B6D2\]/);
  });

  it('takes the full ID, the masked one as printed or its last digits, case-insensitively', () => {
    expect(choosePhone(two, '000d7f4f4673b6d2').model.name).toBe('iPhone 12');
    expect(choosePhone(two, '503a').model.name).toBe('iPhone 7');
    expect(choosePhone(two, '…0F503A').model.name).toBe('iPhone 7');
    expect(choosePhone(two, '...73b6d2').model.name).toBe('iPhone 12');
    expect(() => choosePhone(two, 'FFFF')).toThrow(/not connected/);
  });

  it('takes the opaque id --json prints', () => {
    expect(choosePhone(two, publicIdOfPhone('000D7F4F4673B6D2')).model.name).toBe('iPhone 12');
    expect(choosePhone(two, publicIdOfPhone('00076B71EA0F503A').toUpperCase()).model.name).toBe('iPhone 7');
    expect(() => choosePhone(two, publicIdOfPhone('000D7F4F4673B6D3'))).toThrow(/not connected/);
  });

  it('takes the only connected phone without asking, and ignores one that is away', () => {
    expect(choosePhone([two[0]!, phone('1', 'iPhone X', false)], undefined).id).toBe('00076B71EA0F503A');
  });
});

describe('lifeline dfu-plan', () => {
  it('prints the timeline for a model as JSON', async () => {
    const lines: string[] = [];
    const code = await runCli(['--json', 'dfu-plan', '--device', 'iPhone10,1', '--goal', 'dfu-manual'], {
      out: (t) => lines.push(t),
      err: () => undefined,
    });
    expect(code).toBe(0);
    const doc = JSON.parse(lines.join('\n')) as { plan: { steps: Array<{ id: string; durationMs: number }> } };
    expect(doc.plan.steps.map((s) => [s.id, s.durationMs])).toEqual([
      ['get-ready', 5_000],
      ['tap-volume-up', 1_000],
      ['tap-volume-down', 1_000],
      ['hold-side', 10_000],
      ['hold-both', 5_000],
      ['hold-single', 8_000],
    ]);
  }, 30_000);

  it('rejects an unknown goal as a usage error', async () => {
    const code = await runCli(['dfu-plan', '--device', 'iPhone10,1', '--goal', 'sideways'], { out: () => undefined, err: () => undefined });
    expect(code).toBe(2);
  }, 30_000);
});
