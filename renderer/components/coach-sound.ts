/**
 * Sound for eyes-on-the-phone use (docs/protocols/coach.md#requirements): a short tone at each step transition, scheduled ahead on the
 * audio clock (so a background window's throttled timers can't make it late), and an optional spoken cue.
 * Preferences are remembered in localStorage.
 */
const SOUND_KEY = 'lifeline.coach.sound';
const VOICE_KEY = 'lifeline.coach.voice';

export type CoachSoundPrefs = { sound: boolean; voice: boolean };

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function loadSoundPrefs(): CoachSoundPrefs {
  const store = storage();
  return { sound: store?.getItem(SOUND_KEY) !== 'off', voice: store?.getItem(VOICE_KEY) === 'on' };
}

export function saveSoundPrefs(prefs: CoachSoundPrefs): void {
  const store = storage();
  store?.setItem(SOUND_KEY, prefs.sound ? 'on' : 'off');
  store?.setItem(VOICE_KEY, prefs.voice ? 'on' : 'off');
}

type AudioContextLike = Pick<
  AudioContext,
  'currentTime' | 'destination' | 'createOscillator' | 'createGain' | 'state' | 'resume' | 'close'
>;

export class CoachSound {
  #context: AudioContextLike | null = null;
  #scheduled: OscillatorNode[] = [];
  readonly #createContext: () => AudioContextLike | null;

  constructor(createContext: () => AudioContextLike | null = defaultContext) {
    this.#createContext = createContext;
  }

  /** Tones at each offset (ms from now): 'step' = short beep, 'done' = higher double beep. */
  schedule(cues: Array<{ inMs: number; kind: 'step' | 'done' }>): void {
    this.cancel();
    const context = (this.#context ??= this.#createContext());
    if (!context) return;
    if (context.state === 'suspended') void context.resume().catch(() => undefined);
    for (const cue of cues) {
      if (cue.inMs < -50) continue;
      const at = context.currentTime + Math.max(0, cue.inMs) / 1000;
      const beeps = cue.kind === 'done' ? [0, 0.18] : [0];
      for (const offset of beeps) {
        const oscillator = context.createOscillator();
        const gain = context.createGain();
        oscillator.frequency.value = cue.kind === 'done' ? 1320 : 880;
        gain.gain.value = 0.2;
        oscillator.connect(gain);
        gain.connect(context.destination);
        oscillator.start(at + offset);
        oscillator.stop(at + offset + 0.12);
        this.#scheduled.push(oscillator);
      }
    }
  }

  cancel(): void {
    for (const oscillator of this.#scheduled.splice(0)) {
      try {
        oscillator.stop();
      } catch {
        // Already stopped.
      }
    }
  }

  speak(text: string): void {
    if (typeof speechSynthesis === 'undefined' || typeof SpeechSynthesisUtterance === 'undefined') return;
    speechSynthesis.cancel();
    speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }

  close(): void {
    this.cancel();
    void this.#context?.close().catch(() => undefined);
    this.#context = null;
  }
}

function defaultContext(): AudioContextLike | null {
  const Ctor = typeof AudioContext === 'undefined' ? undefined : AudioContext;
  try {
    return Ctor ? new Ctor() : null;
  } catch {
    return null;
  }
}
