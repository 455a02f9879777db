import { describe, expect, it } from 'vitest';
import { planFor, type CoachGoal, type CoachPlan } from '../../../common/coach-plans';
import { DEVICE_MODELS, findModelByProductType, type DeviceModel } from '../../../common/device-table';
import { buttonLabel, buttonsOf } from '../../../main/sim/hardware/buttons';

function model(productType: string): DeviceModel {
  const found = findModelByProductType(productType);
  if (!found) throw new Error(`no ${productType}`);
  return found;
}

const timeline = (plan: CoachPlan): Array<[string, number, string[]]> => plan.steps.map((s) => [s.id, s.durationMs, s.buttons]);

describe('assisted DFU plans (get ready, both 4 s with the reboot at +2 s, single 10 s)', () => {
  it.each([
    ['iPhone8,1', 'home', ['home', 'power'], ['home']],
    ['iPhone9,3', 'volume-down-side', ['power', 'volumeDown'], ['volumeDown']],
    ['iPhone13,2', 'volume-side', ['power', 'volumeDown'], ['volumeDown']],
  ] as const)('%s (%s)', (productType, family, both, single) => {
    const plan = planFor(model(productType), 'dfu-assisted');
    expect(plan.family).toBe(family);
    expect(plan.startsFrom).toBe('recovery');
    expect(timeline(plan)).toEqual([
      ['get-ready', 5_000, []],
      ['hold-both', 4_000, [...both]],
      ['hold-single', 10_000, [...single]],
    ]);
    expect(plan.steps[0]?.prepare).toEqual([...both]);
    expect(plan.steps[1]?.appRebootAtMs).toBe(2_000);
    expect(plan.steps[2]?.stopsOn).toBe('dfu');
    expect(plan.totalMs).toBe(19_000);
  });
});

describe('manual DFU plans (Legacy-iOS-Kit timings)', () => {
  it('volume-side: tap Volume Up 1 s, tap Volume Down 1 s, Side 10 s, Side + Volume Down 5 s, Volume Down 8 s', () => {
    const plan = planFor(model('iPhone10,3'), 'dfu-manual');
    expect(timeline(plan)).toEqual([
      ['get-ready', 5_000, []],
      ['tap-volume-up', 1_000, ['volumeUp']],
      ['tap-volume-down', 1_000, ['volumeDown']],
      ['hold-side', 10_000, ['power']],
      ['hold-both', 5_000, ['power', 'volumeDown']],
      ['hold-single', 8_000, ['volumeDown']],
    ]);
    expect(plan.steps.every((s) => s.appRebootAtMs === null)).toBe(true);
    expect(plan.safety.join(' ')).toMatch(/Emergency SOS/);
  });

  it('home: both 10 s then Home 8 s; 8 s for both when the phone starts in recovery', () => {
    expect(timeline(planFor(model('iPhone6,1'), 'dfu-manual'))).toEqual([
      ['get-ready', 5_000, []],
      ['hold-both', 10_000, ['home', 'power']],
      ['hold-single', 8_000, ['home']],
    ]);
    expect(planFor(model('iPhone6,1'), 'dfu-manual', { startMode: 'recovery' }).steps[1]?.durationMs).toBe(8_000);
  });

  it('volume-down-side: Volume Down + Side 10 s then Volume Down 8 s', () => {
    expect(timeline(planFor(model('iPhone9,1'), 'dfu-manual'))).toEqual([
      ['get-ready', 5_000, []],
      ['hold-both', 10_000, ['power', 'volumeDown']],
      ['hold-single', 8_000, ['volumeDown']],
    ]);
  });
});

describe('recovery plans (hold through the Apple logo until the recovery screen)', () => {
  it('volume-side: tap, tap, hold Side, stopping when recovery shows', () => {
    const plan = planFor(model('iPhone15,2'), 'recovery');
    expect(timeline(plan).map(([id, , buttons]) => [id, buttons])).toEqual([
      ['get-ready', []],
      ['tap-volume-up', ['volumeUp']],
      ['tap-volume-down', ['volumeDown']],
      ['hold-side', ['power']],
    ]);
    expect(plan.steps.at(-1)?.stopsOn).toBe('recovery');
    expect(plan.steps.at(-1)?.text).toMatch(/through the Apple logo/);
  });

  it.each([
    ['iPhone6,1', ['home', 'power']],
    ['iPhone9,1', ['power', 'volumeDown']],
  ] as const)('%s holds both buttons until the recovery screen', (productType, both) => {
    const plan = planFor(model(productType), 'recovery');
    expect(plan.steps.map((s) => s.id)).toEqual(['get-ready', 'hold-both']);
    expect(plan.steps[1]?.buttons).toEqual([...both]);
    expect(plan.steps[1]?.stopsOn).toBe('recovery');
  });
});

describe('button names as the user sees them on the exact model (R1)', () => {
  it('names the power button Power, Side or Top and says it in the step text', () => {
    expect(planFor(model('iPhone6,1'), 'dfu-assisted').steps[1]?.text).toBe('Press and hold Home and Power. Lifeline restarts the phone.');
    expect(planFor(model('iPhone8,1'), 'dfu-assisted').steps[2]?.text).toBe('Let go of Side. Keep holding Home.');
    expect(planFor(model('iPhone8,4'), 'dfu-assisted').steps[2]?.cue).toBe('Release Top, keep holding Home');
    expect(planFor(model('iPhone10,3'), 'dfu-assisted').steps[2]?.cue).toBe('Release Side, keep holding Volume Down');
    expect(planFor(model('iPod9,1'), 'dfu-assisted').steps[1]?.text).toMatch(/^Press and hold Top and Volume Down/);
  });

  it('agrees with the virtual phone’s own buttons and labels for every model in the table', () => {
    const goals: CoachGoal[] = ['recovery', 'dfu-assisted', 'dfu-manual'];
    for (const m of DEVICE_MODELS) {
      const plan = planFor(m, 'dfu-assisted');
      const simButtons = buttonsOf(m);
      expect(Object.keys(plan.buttonNames).sort(), m.productType).toEqual([...simButtons].sort());
      for (const b of simButtons) expect(plan.buttonNames[b], `${m.productType} ${b}`).toBe(buttonLabel(m, b));
      for (const goal of goals) {
        // Every button a plan asks for exists on that model.
        for (const s of planFor(m, goal).steps)
          for (const b of [...s.buttons, ...s.prepare]) expect(simButtons, `${m.productType} ${goal}`).toContain(b);
      }
    }
  });

  it('draws the Home button for the iPhone SE (2nd gen) and none for an iPhone 11', () => {
    expect(planFor(model('iPhone12,8'), 'recovery').hasHomeButton).toBe(true);
    expect(planFor(model('iPhone12,1'), 'recovery').hasHomeButton).toBe(false);
    expect(planFor(model('iPhone6,1'), 'recovery').powerButtonAt).toBe('top');
    expect(planFor(model('iPhone13,2'), 'recovery').powerButtonAt).toBe('side');
  });

  it('scales a practice phone’s plan by its time factor but keeps the real durations in the steps', () => {
    const plan = planFor(model('iPhone9,3'), 'dfu-assisted', { timeScale: 0.1 });
    expect(plan.timeScale).toBe(0.1);
    expect(plan.steps[1]?.durationMs).toBe(4_000);
  });
});

describe('step words fit a glance (hands busy, eyes on the phone)', () => {
  const goals: CoachGoal[] = ['recovery', 'dfu-assisted', 'dfu-manual'];
  it.each(goals)('every %s step of every model says what to do in 12 words or fewer', (goal) => {
    const tooLong = DEVICE_MODELS.flatMap((device) =>
      planFor(device, goal, { startMode: 'recovery' })
        .steps.map((step) => step.text)
        .filter((text) => text.split(/\s+/).filter(Boolean).length > 12)
        .map((text) => `${device.productType}: ${text}`),
    );
    expect([...new Set(tooLong)]).toEqual([]);
  });
});

describe('the safety words before DFU mode', () => {
  it.each(['dfu-assisted', 'dfu-manual'] as const)(
    '%s: say what an update keeps (the data and the passcode) and that only an erase gets past a forgotten passcode',
    (goal) => {
      const safety = planFor(model('iPhone10,3'), goal).safety.join(' ');
      expect(safety).toMatch(/erases nothing/);
      expect(safety).toMatch(/update iOS, which keeps the data but keeps the passcode too/);
      expect(safety).toMatch(/does not get past a forgotten one/);
      expect(safety).toMatch(/erase the phone, which deletes everything/);
      expect(safety).not.toMatch(/gentler/);
    },
  );
});
