import { describe, expect, it } from 'vitest';
import { RestoreProgressMeter, runStageOf } from '../../../main/restore/restore-progress';

function clock(): { now: () => number; advance(ms: number): void } {
  let at = 0;
  return { now: () => at, advance: (ms) => (at += ms) };
}

describe('RestoreProgressMeter', () => {
  it('never moves the bar back when the phone revisits an earlier stage or reports less', () => {
    const meter = new RestoreProgressMeter(clock().now);
    const a = meter.report('installing', 0.6, 'Installing iOS…').fraction!;
    const b = meter.report('installing', 0.2, 'Installing iOS…').fraction!;
    const c = meter.report('preparing', 1, 'Preparing…');
    expect(b).toBe(a);
    expect(c.fraction).toBe(a);
    // The stage shown stays the later one.
    expect(c.phase).toBe('installing');
  });

  it('counts a skipped stage as done and stays below 1 until the restore is finished', () => {
    const meter = new RestoreProgressMeter(clock().now);
    const before = meter.report('boot-chain', 0, 'Starting…').fraction!;
    const after = meter.report('reboot', 0.99, 'Restarting…').fraction!;
    expect(after).toBeGreaterThan(before);
    expect(after).toBeLessThan(1);
    expect(meter.finish('Restored.')).toMatchObject({ fraction: 1, etaSeconds: 0 });
  });

  it('estimates what is left at the phone’s own pace once it has shown one', () => {
    const time = clock();
    const meter = new RestoreProgressMeter(time.now);
    meter.report('firmware', 1, 'Firmware ready');
    const typical = meter.report('boot-chain', 0, 'Starting…').etaSeconds!;
    expect(typical).toBeGreaterThan(0);
    // Two phones reach the same point, one four times slower: its estimate is longer.
    time.advance(150_000);
    const first = meter.report('installing', 0, 'Installing iOS…').etaSeconds!;
    const slow = new RestoreProgressMeter(time.now);
    slow.report('boot-chain', 0, 'Starting…');
    time.advance(600_000);
    const second = slow.report('installing', 0, 'Installing iOS…').etaSeconds!;
    expect(second).toBeGreaterThan(first);
  });

  it('times each stage walked, in order', () => {
    const time = clock();
    const meter = new RestoreProgressMeter(time.now);
    meter.report('firmware', null, 'Getting firmware');
    time.advance(2_000);
    meter.report('ramdisk', null, 'Waiting');
    time.advance(3_000);
    meter.finish('Done');
    expect(meter.stageTimes()).toEqual([
      { stage: 'firmware', ms: 2_000 },
      { stage: 'ramdisk', ms: 3_000 },
    ]);
  });

  it('names restored’s stages as people see them', () => {
    expect(runStageOf('partitioning')).toBe('preparing');
    expect(runStageOf('restoring-system')).toBe('installing');
    expect(runStageOf('verifying-system')).toBe('verifying');
    expect(runStageOf('updating-baseband')).toBe('baseband');
    expect(runStageOf('updating-coprocessors')).toBe('finishing');
  });
});
