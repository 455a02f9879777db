import type { Phone } from '../../../common/phone';
import { maskPhoneId } from '../../../common/phone-id-mask';
import { StatusAnnouncer } from '../../components/status-announcer';
import { describeMode } from '../../phone-words';
import { navigate } from '../../store/lifeline-store';
import { useLifelineStore } from '../../store/use-lifeline';

/** Two phones and none chosen: ask which one, never guess (docs/protocols/coach.md#detection-and-timing). */
export function CoachPhoneChooser({ candidates, intent, back }: { candidates: Phone[]; intent: 'enter' | 'exit'; back: React.ReactNode }) {
  const store = useLifelineStore();
  return (
    <main className="screen coach" aria-labelledby="coach-title">
      <h1 id="coach-title">Which phone?</h1>
      {back}
      {candidates.length === 0 ? (
        <p>No phone is connected. Plug one in with a data cable.</p>
      ) : (
        <>
          <p>More than one phone is connected. Choose the one you are holding — Lifeline will watch only that one.</p>
          <ul className="coach-choose">
            {candidates.map((p) => (
              <li key={p.id}>
                <button type="button" onClick={() => navigate(store, { screen: 'coach', phoneId: p.id, intent })}>
                  {p.model.name}
                  {p.deviceName ? ` “${p.deviceName}”` : ''} — {describeMode(p.mode)} (ID {maskPhoneId(p.id)})
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <StatusAnnouncer message={candidates.length > 1 ? 'Choose which phone to coach.' : 'No phone connected.'} />
    </main>
  );
}
