/**
 * Where in a coach plan a moment falls. Every consumer computes the position from the attempt's start time on a
 * monotonic clock — never by adding up timer ticks — so a late timer, a throttled background window or a dropped
 * frame can delay a redraw but never shift the timeline (docs/protocols/coach.md#timeline-rules).
 */
import type { CoachPlan, CoachStep } from './coach-plans';

export type TimelinePosition = {
  /** -1 before the start; steps.length once the plan is over. */
  stepIndex: number;
  step: CoachStep | null;
  /** Scaled milliseconds since the start (never negative). */
  elapsedMs: number;
  stepStartMs: number;
  stepElapsedMs: number;
  stepRemainingMs: number;
  /** Whole seconds left in the step, in the plan's own (unscaled) seconds: what the big numerals show. */
  secondsLeft: number;
  done: boolean;
};

/** Scaled start offset of every step, plus the end of the plan as the last entry. */
export function stepBoundaries(plan: Pick<CoachPlan, 'steps' | 'timeScale'>): number[] {
  const bounds = [0];
  let at = 0;
  for (const s of plan.steps) {
    at += s.durationMs * plan.timeScale;
    bounds.push(at);
  }
  return bounds;
}

export function planDurationMs(plan: Pick<CoachPlan, 'steps' | 'timeScale'>): number {
  return stepBoundaries(plan).at(-1) ?? 0;
}

export function positionAt(plan: Pick<CoachPlan, 'steps' | 'timeScale'>, elapsedMs: number): TimelinePosition {
  const bounds = stepBoundaries(plan);
  const end = bounds.at(-1) ?? 0;
  const elapsed = Math.max(0, elapsedMs);
  if (elapsed >= end) {
    return {
      stepIndex: plan.steps.length,
      step: null,
      elapsedMs: elapsed,
      stepStartMs: end,
      stepElapsedMs: 0,
      stepRemainingMs: 0,
      secondsLeft: 0,
      done: true,
    };
  }
  let index = 0;
  while (index + 1 < bounds.length - 1 && (bounds[index + 1] ?? end) <= elapsed) index++;
  const start = bounds[index] ?? 0;
  const stop = bounds[index + 1] ?? end;
  const remaining = stop - elapsed;
  const scale = plan.timeScale > 0 ? plan.timeScale : 1;
  return {
    stepIndex: index,
    step: plan.steps[index] ?? null,
    elapsedMs: elapsed,
    stepStartMs: start,
    stepElapsedMs: elapsed - start,
    stepRemainingMs: remaining,
    secondsLeft: Math.ceil(remaining / scale / 1000 - 1e-9),
    done: false,
  };
}

/** Scaled offset from the start at which the app must send the assisted-DFU reboot, or null. */
export function appRebootOffsetMs(plan: Pick<CoachPlan, 'steps' | 'timeScale'>): number | null {
  const bounds = stepBoundaries(plan);
  for (const [i, s] of plan.steps.entries()) {
    if (s.appRebootAtMs !== null) return (bounds[i] ?? 0) + s.appRebootAtMs * plan.timeScale;
  }
  return null;
}

/** The step whose window contains a moment (for "the phone left the bus during …" notes). */
export function stepAt(plan: Pick<CoachPlan, 'steps' | 'timeScale'>, elapsedMs: number): CoachStep | null {
  return positionAt(plan, elapsedMs).step;
}
