import type { CoachSoundPrefs } from '../../components/coach-sound';

/** Beep and voice switches (remembered by `useCoachSound`). */
export function CoachSoundSwitches({ prefs, onChange }: { prefs: CoachSoundPrefs; onChange(next: CoachSoundPrefs): void }) {
  return (
    <fieldset className="coach-sound">
      <legend>Sound</legend>
      <label>
        <input type="checkbox" checked={prefs.sound} onChange={(event) => onChange({ ...prefs, sound: event.target.checked })} />
        Beep at each step
      </label>
      <label>
        <input type="checkbox" checked={prefs.voice} onChange={(event) => onChange({ ...prefs, voice: event.target.checked })} />
        Speak each step
      </label>
    </fieldset>
  );
}
