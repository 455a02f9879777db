import { useState } from 'react';
import { problemOf, type PracticeAction, type PracticePhone } from '../../common/api';
import { useLifeline, useLifelineApi } from '../store/use-lifeline';

const ACTIONS: ReadonlyArray<{ action: PracticeAction; label: string; needsCable: boolean }> = [
  { action: 'enter-recovery', label: 'Put into recovery mode', needsCable: true },
  { action: 'restart', label: 'Restart', needsCable: true },
  { action: 'enter-passcode', label: 'Type the passcode', needsCable: false },
  { action: 'tap-trust', label: 'Tap Trust', needsCable: false },
  { action: 'tap-dont-trust', label: 'Tap Don’t Trust', needsCable: false },
  { action: 'choose-restore-from-computer', label: 'Setup: choose “From Mac or PC”', needsCable: false },
];

/** Practice mode: do to a virtual phone what you would do to a real one, and watch Lifeline follow. */
export function PracticePanel() {
  const phones = useLifeline((s) => s.practicePhones);
  const api = useLifelineApi();
  const [problem, setProblem] = useState<string | null>(null);

  const act = (phone: PracticePhone, action: PracticeAction): void => {
    setProblem(null);
    api
      .invoke('practice.act', { phoneId: phone.id, action })
      .catch((error: unknown) => setProblem(problemOf(error)?.title ?? 'That did not work.'));
  };

  if (phones.length === 0) return null;
  return (
    <section className="practice" aria-labelledby="practice-title">
      <h2 id="practice-title">Practice phones</h2>
      <p>These are virtual phones for practising. Nothing here touches a real iPhone.</p>
      <ul className="practice-list">
        {phones.map((phone) => (
          <li key={phone.id} aria-label={phone.name}>
            <span className="practice-name">{phone.name}</span>
            <span className="practice-state">{phone.plugged ? 'Plugged in' : 'Unplugged'}</span>
            <div className="practice-actions">
              <button type="button" onClick={() => act(phone, phone.plugged ? 'unplug' : 'plug')}>
                {phone.plugged ? 'Unplug the cable' : 'Plug in the cable'}
              </button>
              {ACTIONS.map(({ action, label, needsCable }) => (
                <button key={action} type="button" disabled={needsCable && !phone.plugged} onClick={() => act(phone, action)}>
                  {label}
                </button>
              ))}
            </div>
          </li>
        ))}
      </ul>
      {problem && <p role="alert">{problem}</p>}
    </section>
  );
}
