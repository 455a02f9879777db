import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planFor } from '../../../common/coach-plans';
import { appRebootOffsetMs, planDurationMs, positionAt, stepBoundaries } from '../../../common/coach-timeline';
import { findModelByProductType } from '../../../common/device-table';

const model = findModelByProductType('iPhone10,3')!;

describe('the countdown is computed from the start time, never from accumulated ticks', () => {
  it('stays within 50 ms of the true step boundaries over 20 s of late, jittery timer ticks', () => {
    const plan = planFor(model, 'dfu-manual');
    const bounds = stepBoundaries(plan);
    // A fake monotonic clock and a 100 ms "interval" whose every tick is 0–40 ms late (a busy or background window).
    let now = 1_000_000;
    const start = now;
    let naive = 0;
    let worstOurs = 0;
    let worstNaive = 0;
    let seed = 7;
    const jitter = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed % 41) as number;
    };
    while (now - start < 20_000) {
      const late = jitter();
      now += 100 + late;
      naive += 100; // what an accumulating timer would believe
      const truth = now - start;
      const ours = positionAt(plan, now - start);
      const expectedIndex = bounds.findIndex((b, i) => truth >= b && truth < (bounds[i + 1] ?? Infinity));
      expect(ours.stepIndex).toBe(Math.min(expectedIndex, plan.steps.length));
      worstOurs = Math.max(worstOurs, Math.abs(ours.elapsedMs - truth));
      worstNaive = Math.max(worstNaive, Math.abs(naive - truth));
    }
    expect(worstOurs).toBeLessThan(50);
    // The test can fail: the accumulating approach is more than a second off by the end.
    expect(worstNaive).toBeGreaterThan(1_000);
  });

  it('shows whole seconds left in the plan’s own seconds, also for a scaled practice plan', () => {
    const plan = planFor(model, 'dfu-assisted');
    expect(positionAt(plan, 0)).toMatchObject({ stepIndex: 0, secondsLeft: 5 });
    expect(positionAt(plan, 4_001)).toMatchObject({ stepIndex: 0, secondsLeft: 1 });
    expect(positionAt(plan, 5_000)).toMatchObject({ stepIndex: 1, secondsLeft: 4 });
    expect(positionAt(plan, 19_000)).toMatchObject({ done: true, stepIndex: 3 });
    const fast = planFor(model, 'dfu-assisted', { timeScale: 0.1 });
    expect(positionAt(fast, 500)).toMatchObject({ stepIndex: 1, secondsLeft: 4 });
    expect(planDurationMs(fast)).toBeCloseTo(1_900);
  });

  it('places the assisted reboot 2 s into the two-button step', () => {
    expect(appRebootOffsetMs(planFor(model, 'dfu-assisted'))).toBe(7_000);
    expect(appRebootOffsetMs(planFor(model, 'dfu-assisted', { timeScale: 0.05 }))).toBeCloseTo(350);
    expect(appRebootOffsetMs(planFor(model, 'dfu-manual'))).toBeNull();
  });

  it('never goes backwards and always names a step until the end (property)', () => {
    const plan = planFor(model, 'recovery');
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1_000, max: 60_000, noNaN: true }), { minLength: 2, maxLength: 50 }), (times) => {
        const sorted = [...times].sort((a, b) => a - b);
        let last = -1;
        for (const t of sorted) {
          const p = positionAt(plan, t);
          expect(p.stepIndex).toBeGreaterThanOrEqual(last);
          last = p.stepIndex;
          expect(p.done ? p.step : p.step?.id).toBe(p.done ? null : plan.steps[p.stepIndex]?.id);
          expect(p.stepRemainingMs).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});
