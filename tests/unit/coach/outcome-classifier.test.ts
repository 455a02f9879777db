import { describe, expect, it } from 'vitest';
import { planFor, type CoachGoal } from '../../../common/coach-plans';
import { findModelByProductType } from '../../../common/device-table';
import { adviceFor, hasUsbCPort, hostChecks } from '../../../main/coach/outcome-advice';
import { classify, nextDeadline, type ClassifyInput, type Sighting } from '../../../main/coach/outcome-classifier';

const base = (
  goal: CoachGoal,
  sightings: Sighting[],
  nowMs: number,
  start: ClassifyInput['start'] = { connected: true, mode: 'recovery' },
): ClassifyInput => ({
  goal,
  start,
  sightings,
  nowMs,
  planEndMs: 19_000,
  settleMs: 3_000,
  nothingAfterMs: 15_000,
});

const gone = (atMs: number): Sighting => ({ atMs, connected: false, mode: 'recovery' });
const back = (atMs: number, mode: Sighting['mode']): Sighting => ({ atMs, connected: true, mode });

function plan(productType: string, goal: CoachGoal) {
  const model = findModelByProductType(productType);
  if (!model) throw new Error(productType);
  return planFor(model, goal);
}

describe('the outcome table, one row at a time', () => {
  it('row 1 — black screen, 05AC:1227 with the same ECID: DFU at once, "let go", black is normal', () => {
    const verdict = classify(base('dfu-assisted', [gone(7_100), back(9_000, 'dfu')], 9_000));
    expect(verdict).toEqual({ state: 'decided', kind: 'dfu', atMs: 9_000 });
    const advice = adviceFor({ kind: 'dfu', plan: plan('iPhone9,3', 'dfu-assisted'), missesBefore: 0, startMode: 'recovery' });
    expect(advice.success).toBe(true);
    expect(advice.letGo).toBe(true);
    expect(advice.headline).toMatch(/^Got it — let go/);
    expect(advice.detail).toMatch(/black screen is normal in DFU/);
  });

  it('row 2 — cable-and-computer screen, 05AC:1281: "Close", the right button was held, timing advice', () => {
    const verdict = classify(base('dfu-assisted', [gone(7_100), back(11_000, 'recovery')], 11_000));
    expect(verdict).toMatchObject({ state: 'decided', kind: 'recovery' });
    const advice = adviceFor({ kind: 'recovery', plan: plan('iPhone9,3', 'dfu-assisted'), missesBefore: 0, startMode: 'recovery' });
    expect(advice.success).toBe(false);
    expect(advice.headline).toMatch(/^Close/);
    expect(advice.detail).toMatch(/right button \(Volume Down\)/);
    expect(advice.nextSteps.join(' ')).toMatch(/before the countdown reaches 0/);
    expect(advice.nextSteps.join(' ')).toMatch(/Let go of Side the moment/);
    expect(advice.showHostChecks).toBe(false);
  });

  it('row 2 after two misses: the cable check joins the advice and the checklist comes first', () => {
    const advice = adviceFor({ kind: 'recovery', plan: plan('iPhone9,3', 'dfu-assisted'), missesBefore: 1, startMode: 'recovery' });
    expect(advice.showHostChecks).toBe(true);
    expect(advice.nextSteps.join(' ')).toMatch(/USB-C-to-Lightning/);
  });

  it('row 3 — Apple logo then 05AC:12xx: "the moment was missed", add Volume Down / let go of Side earlier', () => {
    const verdict = classify(base('dfu-manual', [gone(17_000), back(30_000, 'normal')], 30_000, { connected: true, mode: 'normal' }));
    expect(verdict).toMatchObject({ state: 'decided', kind: 'normal' });
    const advice = adviceFor({ kind: 'normal', plan: plan('iPhone10,3', 'dfu-manual'), missesBefore: 0, startMode: 'normal' });
    expect(advice.headline).toBe('Apple logo: the moment was missed.');
    expect(advice.nextSteps.join(' ')).toMatch(/Add Volume Down as soon as the screen goes black/);
    expect(advice.nextSteps.join(' ')).toMatch(/Let go of Side earlier/);
  });

  it('row 4 — nothing on USB ~15 s after the phone left: host checks', () => {
    const input = base('dfu-assisted', [gone(7_100)], 22_099);
    expect(classify(input)).toEqual({ state: 'pending' });
    expect(nextDeadline(input)).toBe(22_100);
    expect(classify({ ...input, nowMs: 22_100 })).toEqual({ state: 'decided', kind: 'nothing', atMs: 22_100 });
    const advice = adviceFor({ kind: 'nothing', plan: plan('iPhone9,3', 'dfu-assisted'), missesBefore: 0, startMode: 'recovery' });
    expect(advice.showHostChecks).toBe(true);
    expect(advice.headline).toMatch(/can't see the phone/);
  });

  it('row 5 — Emergency SOS: an iPhone 8+ that never left normal mode; "let go and cancel; start from the Volume Up tap"', () => {
    const input = base('dfu-manual', [], 21_999, { connected: true, mode: 'normal' });
    expect(classify(input)).toEqual({ state: 'pending' });
    expect(classify({ ...input, nowMs: 22_000 })).toMatchObject({ state: 'decided', kind: 'no-restart' });
    const advice = adviceFor({ kind: 'no-restart', plan: plan('iPhone10,3', 'dfu-manual'), missesBefore: 0, startMode: 'normal' });
    expect(advice.detail).toMatch(/Emergency SOS slider/);
    expect(advice.detail).toMatch(/let go now and cancel it/);
    expect(advice.nextSteps).toEqual(['Start again from the Volume Up tap: tap Volume Up, tap Volume Down, then hold Side.']);
  });
});

describe('the referee beyond the table', () => {
  it('a recovery phone that merely stays in recovery is not a recovery outcome for a DFU goal', () => {
    expect(classify(base('dfu-assisted', [], 10_000))).toEqual({ state: 'pending' });
  });

  it('recovery goal: recovery after a restart is success; an Apple-logo boot says "you let go too early"', () => {
    const start = { connected: true, mode: 'normal' as const };
    expect(classify(base('recovery', [gone(9_000), back(17_000, 'recovery')], 17_000, start))).toMatchObject({ kind: 'recovery' });
    expect(adviceFor({ kind: 'recovery', plan: plan('iPhone6,1', 'recovery'), missesBefore: 0, startMode: 'normal' }).success).toBe(true);
    const early = adviceFor({ kind: 'normal', plan: plan('iPhone6,1', 'recovery'), missesBefore: 0, startMode: 'normal' });
    expect(early.headline).toMatch(/let go too early/);
    expect(early.nextSteps[0]).toMatch(/Keep holding Home and Power through the Apple logo/);
  });

  it('DFU wins even while the plan is still running (stop early), and WTF counts as DFU', () => {
    expect(classify(base('dfu-manual', [gone(16_000), back(20_500, 'wtf')], 20_500))).toMatchObject({ kind: 'dfu' });
  });

  it('the phone that was unplugged before the attempt and never seen is "nothing" once the plan is over', () => {
    const input = base('dfu-manual', [], 19_000, { connected: false, mode: 'normal' });
    expect(classify(input)).toMatchObject({ kind: 'nothing' });
  });

  it('a home-button phone that never restarted is told to hold both for the whole count', () => {
    const advice = adviceFor({ kind: 'no-restart', plan: plan('iPhone6,1', 'dfu-manual'), missesBefore: 0, startMode: 'normal' });
    expect(advice.detail).toMatch(/Home and Power held for the whole count/);
  });
});

describe('host checks (R6–R10)', () => {
  it('asks Lightning owners for a USB-A cable and USB-C owners for a data cable', () => {
    expect(hasUsbCPort('iPhone9,3')).toBe(false);
    expect(hasUsbCPort('iPhone15,4')).toBe(true);
    expect(hasUsbCPort('iPhone17,5')).toBe(true);
    expect(hostChecks('linux', 'iPhone9,3')[0]?.detail).toMatch(/USB-C-to-Lightning/);
    expect(hostChecks('linux', 'iPhone16,1')[0]?.title).toBe('Use a data cable');
  });

  it('adds the check of this computer’s system', () => {
    expect(hostChecks('linux', 'iPhone9,3').map((c) => c.id)).toEqual(['cable', 'port', 'linux-udev']);
    expect(hostChecks('win32', 'iPhone9,3').map((c) => c.id)).toContain('windows-driver');
    expect(hostChecks('darwin', 'iPhone9,3').at(-1)?.detail).toMatch(/don’t click Restore or Update/);
  });
});
