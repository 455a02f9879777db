import type { Phone } from '../../common/phone';
import { navigate } from '../store/lifeline-store';
import { useLifelineStore } from '../store/use-lifeline';

/** The phone card's way into the coach: into recovery / DFU mode, or — for a phone in recovery — straight out of it. */
export function CoachCardAction({ phone }: { phone: Phone }) {
  const store = useLifelineStore();
  if (!phone.connected || phone.mode === 'dfu' || phone.mode === 'wtf' || phone.mode === 'restore') return null;
  const open = (intent: 'enter' | 'exit'): void => navigate(store, { screen: 'coach', phoneId: phone.id, intent });
  if (phone.mode === 'recovery') {
    return (
      <>
        <button type="button" className="primary" onClick={() => open('exit')}>
          Exit recovery mode
        </button>
        <button type="button" onClick={() => open('enter')}>
          Get into DFU mode
        </button>
      </>
    );
  }
  return (
    <button type="button" onClick={() => open('enter')}>
      Get into recovery / DFU mode
    </button>
  );
}
