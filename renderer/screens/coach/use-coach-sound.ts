import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CoachAttempt } from '../../../common/api';
import type { CoachPlan } from '../../../common/coach-plans';
import { positionAt, stepBoundaries } from '../../../common/coach-timeline';
import { CoachSound, loadSoundPrefs, saveSoundPrefs, type CoachSoundPrefs } from '../../components/coach-sound';

export type CoachCues = {
  /** New attempt: step cues start over, and a running one gets a beep at each step boundary still ahead. */
  attemptBegan(snapshot: CoachAttempt): void;
  /** The outcome arrived: the done beep, and the headline spoken. */
  outcome(headline: string): void;
  /** Stopped: nothing more sounds. */
  stopped(): void;
  /** The countdown moved: speaks a step's cue once, as it begins. */
  at(plan: CoachPlan, elapsedMs: number): void;
};

/** The coach's beeps and voice, with the remembered sound / voice switches. */
export function useCoachSound(): { prefs: CoachSoundPrefs; setPrefs(next: CoachSoundPrefs): void; cues: CoachCues } {
  const [prefs, setPrefsState] = useState<CoachSoundPrefs>(() => loadSoundPrefs());
  const prefsRef = useRef(prefs);
  const sound = useRef<CoachSound | null>(null);
  const lastStep = useRef(-2);

  useEffect(() => {
    prefsRef.current = prefs;
  }, [prefs]);
  useEffect(() => () => sound.current?.close(), []);

  const setPrefs = useCallback((next: CoachSoundPrefs): void => {
    setPrefsState(next);
    saveSoundPrefs(next);
    if (!next.sound) sound.current?.cancel();
  }, []);

  // Voice goes through the sound object, so it speaks only once a beep has made one (as it always has).
  const cues = useMemo<CoachCues>(
    () => ({
      attemptBegan(snapshot) {
        lastStep.current = -2;
        if (snapshot.state !== 'running' || !prefsRef.current.sound) return;
        sound.current ??= new CoachSound();
        const bounds = stepBoundaries(snapshot.plan);
        sound.current.schedule(bounds.slice(1, -1).map((b) => ({ inMs: b - snapshot.elapsedMs, kind: 'step' as const })));
      },
      outcome(headline) {
        sound.current?.cancel();
        if (prefsRef.current.sound) {
          sound.current ??= new CoachSound();
          sound.current.schedule([{ inMs: 0, kind: 'done' }]);
        }
        if (prefsRef.current.voice) sound.current?.speak(headline);
      },
      stopped() {
        sound.current?.cancel();
      },
      at(plan, elapsedMs) {
        const index = positionAt(plan, elapsedMs).stepIndex;
        if (index === lastStep.current) return;
        lastStep.current = index;
        const step = plan.steps[index];
        if (step && prefsRef.current.voice) sound.current?.speak(step.cue);
      },
    }),
    [],
  );

  return { prefs, setPrefs, cues };
}
