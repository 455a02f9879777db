import { useEffect, useRef, useState } from 'react';
import { problemOf } from '../../../common/api';
import type { Phone } from '../../../common/phone';
import { useLifelineApi } from '../../store/use-lifeline';

export type ShortcutKind = 'enter' | 'exit';
export type Shortcut = { job: string; kind: ShortcutKind };

/**
 * Recovery mode by software, in or out: the job it started (the job itself is read from the store where it is
 * shown). With intent 'exit' — "Exit recovery mode" on the card — it starts at once, one time.
 */
export function useRecoveryShortcut(
  phoneId: string | null,
  phone: Phone | null,
  intent: ShortcutKind,
  report: (problem: string | null) => void,
): { shortcut: Shortcut | null; startShortcut(kind: ShortcutKind): void } {
  const api = useLifelineApi();
  const [shortcut, setShortcut] = useState<Shortcut | null>(null);
  const autoExit = useRef(false);

  const startShortcut = (kind: ShortcutKind): void => {
    if (!phoneId) return;
    report(null);
    api.invoke(kind === 'exit' ? 'recovery.exit' : 'recovery.enter', { phoneId }).then(
      ({ job }) => setShortcut({ job, kind }),
      (error: unknown) => report(problemOf(error)?.title ?? 'That did not work.'),
    );
  };
  const startRef = useRef(startShortcut);
  useEffect(() => {
    startRef.current = startShortcut;
  });

  useEffect(() => {
    if (intent !== 'exit' || autoExit.current || !phone || phone.mode !== 'recovery' || !phone.connected) return;
    autoExit.current = true;
    startRef.current('exit');
  }, [intent, phone]);

  return { shortcut, startShortcut };
}
