import type { Phone } from '../../common/phone';
import { navigate } from '../store/lifeline-store';
import { useLifelineStore } from '../store/use-lifeline';

const RESTORABLE: readonly Phone['mode'][] = ['normal', 'recovery', 'dfu'];

/** "Erase or update iOS…" for a phone whose model Lifeline knows, in a mode a restore can start from. */
export function RestoreCardAction({ phone }: { phone: Phone }) {
  const store = useLifelineStore();
  if (!phone.connected || !RESTORABLE.includes(phone.mode) || phone.model.productType === null || phone.model.boardConfig === null)
    return null;
  return (
    <button type="button" onClick={() => navigate(store, { screen: 'restore', phoneId: phone.id, job: null })}>
      Erase or update iOS…
    </button>
  );
}
