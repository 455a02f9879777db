import { describe, expect, it } from 'vitest';
import type { DfuPhone, RestoreRamdiskResult } from '../../common/api';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('lifeline restore --until ramdisk', () => {
  it('walks the practice phone in recovery mode to the restore ramdisk with the latest signed practice firmware', async () => {
    const { code, out, err } = await run(['--demo', '--json', 'restore', '--latest', '--until', 'ramdisk']);
    expect(code, err).toBe(EXIT.ok);
    const result = JSON.parse(out) as RestoreRamdiskResult;
    expect(result.firmware.version).toBe('15.8.8');
    expect(result.stages.map((s) => s.stage)).toEqual(expect.arrayContaining(['ibec', 'ramdisk', 'kernel']));
  }, 60_000);

  it('takes the phone by the phoneId dfu-info --json prints, and says so when no phone in DFU or recovery mode has that id', async () => {
    const [phone] = JSON.parse((await run(['--demo', '--json', 'dfu-info'])).out) as DfuPhone[];
    expect(phone?.phoneId).toMatch(/^ph-[0-9a-f]{12}$/);
    const { code, out, err } = await run(['--demo', '--json', 'restore', '--latest', '--phone', phone!.phoneId!, '--until', 'ramdisk']);
    expect(code, err).toBe(EXIT.ok);
    expect((JSON.parse(out) as RestoreRamdiskResult).stages.map((s) => s.stage)).toContain('ramdisk');
    const missing = await run(['--demo', '--json', 'restore', '--latest', '--phone', 'ph-000000000000', '--until', 'ramdisk']);
    expect(missing.code).toBe(EXIT.noDevice);
    expect(JSON.parse(missing.out)).toMatchObject({ error: { code: 'restore-no-phone' } });
  }, 60_000);

  it('refuses a stage it cannot stop at yet, and both firmware choices at once, as usage errors', async () => {
    expect((await run(['--demo', 'restore', '--latest', '--until', 'install'])).code).toBe(EXIT.usage);
    expect((await run(['--demo', 'restore', '--latest', '--ipsw', 'x.ipsw', '--until', 'ramdisk'])).code).toBe(EXIT.usage);
    expect((await run(['--demo', 'restore', '--latest', '--phone', 'ph-000000000000', '--ecid', '1', '--until', 'ramdisk'])).code).toBe(
      EXIT.usage,
    );
  });
});
