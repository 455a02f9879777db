import type { CoachGoal } from '../../../common/coach-plans';
import type { Phone } from '../../../common/phone';

const GOALS: ReadonlyArray<{ goal: CoachGoal; label: string; hint: string }> = [
  {
    goal: 'recovery',
    label: 'Recovery mode',
    hint: 'The easy mode: the screen shows a cable and a computer. Enough for an update (keeps the data and the passcode) or an erase.',
  },
  {
    goal: 'dfu-assisted',
    label: 'DFU mode — Lifeline restarts the phone for you (recommended)',
    hint: 'Needs the phone in recovery mode first. Only two timed presses.',
  },
  {
    goal: 'dfu-manual',
    label: 'DFU mode — buttons only',
    hint: 'For a phone that can’t be put in recovery mode first. More timed presses.',
  },
];

/** What the person asked for, or what suits the phone's mode when they have not chosen. */
export function effectiveGoal(chosen: CoachGoal | null, phone: Phone | null): CoachGoal {
  return chosen ?? (phone?.mode === 'recovery' ? 'dfu-assisted' : 'recovery');
}

/** Recovery, DFU with Lifeline's help, or DFU by buttons alone (recovery is not offered to a phone already in it). */
export function CoachGoalPicker({ phone, goal, onGoal }: { phone: Phone | null; goal: CoachGoal; onGoal(goal: CoachGoal): void }) {
  const goalsHere = GOALS.filter((g) => phone?.mode !== 'recovery' || g.goal !== 'recovery');
  return (
    <fieldset className="coach-goals">
      <legend>What do you need?</legend>
      {goalsHere.map((g) => (
        <label key={g.goal}>
          <input type="radio" name="coach-goal" value={g.goal} checked={goal === g.goal} onChange={() => onGoal(g.goal)} />
          {g.label}
          <span className="coach-goal-hint">{g.hint}</span>
        </label>
      ))}
    </fieldset>
  );
}
