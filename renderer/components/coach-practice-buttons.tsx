import { useEffect, useRef, useState } from 'react';
import type { PracticeButton, PracticePhone } from '../../common/api';
import { useLifelineApi } from '../store/use-lifeline';

/** Keyboard keys that hold a practice button while they are down (by physical key, any layout). */
export const PRACTICE_KEYS: Record<PracticeButton, { code: string; key: string }> = {
  home: { code: 'KeyH', key: 'H' },
  power: { code: 'KeyS', key: 'S' },
  volumeUp: { code: 'KeyU', key: 'U' },
  volumeDown: { code: 'KeyD', key: 'D' },
};

const SCREEN_WORDS: Record<string, string> = {
  off: 'off',
  black: 'black',
  'apple-logo': 'Apple logo',
  recovery: 'a cable and a computer (recovery)',
  running: 'home screen (running)',
};

/**
 * Practice mode: the virtual phone's physical buttons, held with the mouse (press and hold) or with keys
 * (H, S, U, D — several at once). Letting go of the window lets go of every button.
 */
export function CoachPracticeButtons({ phone, onNote }: { phone: PracticePhone; onNote(note: string): void }) {
  const api = useLifelineApi();
  const [down, setDown] = useState<ReadonlySet<PracticeButton>>(new Set());
  const downRef = useRef(new Set<PracticeButton>());
  const buttons = phone.buttons ?? [];

  const send = (button: PracticeButton, pressed: boolean): void => {
    const held = downRef.current;
    if (pressed === held.has(button)) return;
    if (pressed) held.add(button);
    else held.delete(button);
    setDown(new Set(held));
    void api
      .invoke('practice.button', { phoneId: phone.id, button, down: pressed })
      .catch(() => onNote('The practice phone did not take that button press.'));
  };
  const sendRef = useRef(send);
  useEffect(() => {
    sendRef.current = send;
  });

  useEffect(() => {
    const available = new Set((phone.buttons ?? []).map((b) => b.button));
    const byCode = (code: string): PracticeButton | undefined =>
      (Object.keys(PRACTICE_KEYS) as PracticeButton[]).find((b) => PRACTICE_KEYS[b].code === code && available.has(b));
    const typing = (target: EventTarget | null): boolean =>
      target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
    const onKeyDown = (event: KeyboardEvent): void => {
      const button = byCode(event.code);
      if (!button || event.repeat || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      event.preventDefault();
      sendRef.current(button, true);
    };
    const onKeyUp = (event: KeyboardEvent): void => {
      const button = byCode(event.code);
      if (button) sendRef.current(button, false);
    };
    const onBlur = (): void => {
      if (downRef.current.size === 0) return;
      for (const button of [...downRef.current]) sendRef.current(button, false);
      onNote('The window lost focus, so the practice buttons were let go.');
    };
    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('keyup', onKeyUp);
    window.addEventListener('blur', onBlur);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keyup', onKeyUp);
      window.removeEventListener('blur', onBlur);
    };
  }, [phone.buttons, onNote]);

  if (buttons.length === 0) return null;
  return (
    <section className="coach-practice" aria-labelledby="coach-practice-title">
      <h2 id="coach-practice-title">Practice phone buttons</h2>
      <p>
        Hold a button with the mouse, or hold its key on the keyboard (several at once work). The virtual screen shows:{' '}
        <span data-testid="practice-screen">{SCREEN_WORDS[phone.screen ?? ''] ?? 'unknown'}</span>.
      </p>
      <div className="coach-practice-buttons">
        {buttons.map(({ button, label }) => (
          <button
            key={button}
            type="button"
            aria-pressed={down.has(button)}
            aria-keyshortcuts={PRACTICE_KEYS[button].key}
            onPointerDown={(event) => {
              event.currentTarget.setPointerCapture?.(event.pointerId);
              send(button, true);
            }}
            onPointerUp={() => send(button, false)}
            onPointerCancel={() => send(button, false)}
            onKeyDown={(event) => {
              if ((event.key === ' ' || event.key === 'Enter') && !event.repeat) {
                event.preventDefault();
                send(button, true);
              }
            }}
            onKeyUp={(event) => {
              if (event.key === ' ' || event.key === 'Enter') send(button, false);
            }}
          >
            {label} <kbd>{PRACTICE_KEYS[button].key}</kbd>
          </button>
        ))}
      </div>
    </section>
  );
}
