/**
 * Test helper: a "person" who follows a coach plan on a virtual phone, exactly or with a named mistake.
 * Produces a button script (times relative to the attempt start, in real plan milliseconds; scale when playing).
 */
import type { CoachButton, CoachPlan } from '../../../common/coach-plans';
import { stepBoundaries } from '../../../common/coach-timeline';

export type ScriptAction = { atMs: number; down: boolean; button: CoachButton };

export type Mistake =
  | 'none'
  /** Presses the "both" buttons this long after the step began. */
  | { lateBothMs: number }
  /** Lets go of every button when the single-button step begins. */
  | 'release-all-at-single'
  /** Keeps Power/Side down through the single-button step. */
  | 'hold-power-through'
  /** Lets go of everything when this many ms of the last step have passed. */
  | { releaseAllAfterMs: number }
  /** Skips the Volume Up / Volume Down taps (iPhone 8+: ends in Emergency SOS). */
  | 'skip-taps';

const TAP_HOLD_MS = 300;

/** The script a person following the plan would play (unscaled ms from the attempt start). */
export function followPlan(plan: CoachPlan, mistake: Mistake = 'none'): ScriptAction[] {
  const bounds = stepBoundaries({ ...plan, timeScale: 1 });
  const actions: ScriptAction[] = [];
  const down = new Set<CoachButton>();
  const press = (atMs: number, button: CoachButton): void => {
    if (down.has(button)) return;
    down.add(button);
    actions.push({ atMs, down: true, button });
  };
  const release = (atMs: number, button: CoachButton): void => {
    if (!down.has(button)) return;
    down.delete(button);
    actions.push({ atMs, down: false, button });
  };
  for (const [index, step] of plan.steps.entries()) {
    const start = bounds[index] ?? 0;
    if (step.kind === 'get-ready') continue;
    if (step.kind === 'tap') {
      if (mistake === 'skip-taps') continue;
      for (const b of step.buttons) {
        press(start, b);
        release(start + TAP_HOLD_MS, b);
      }
      continue;
    }
    const isSingle = step.id === 'hold-single';
    if (isSingle && mistake === 'release-all-at-single') {
      for (const b of [...down]) release(start, b);
      continue;
    }
    for (const b of [...down]) {
      if (!step.buttons.includes(b) && !(mistake === 'hold-power-through' && b === 'power')) release(start, b);
    }
    const late = typeof mistake === 'object' && 'lateBothMs' in mistake && step.id === 'hold-both' ? mistake.lateBothMs : 0;
    for (const b of step.buttons) press(start + late, b);
    if (index === plan.steps.length - 1 && typeof mistake === 'object' && 'releaseAllAfterMs' in mistake) {
      for (const b of [...down]) release(start + mistake.releaseAllAfterMs, b);
    }
  }
  const end = bounds.at(-1) ?? 0;
  for (const b of [...down]) release(end, b);
  return actions.sort((a, b) => a.atMs - b.atMs);
}
