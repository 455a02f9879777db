import { activationLockVerdict, type ActivationLockVerdict } from '../../common/activation-lock';
import type { Phone } from '../../common/phone';
import type { EraseFacts } from '../lockdown/erase-facts';

/**
 * What Activation Lock will ask for after an erase, from what the phone says now (docs/protocols/lockdown.md#activation-lock-values).
 * Only a phone running iOS is asked; a failed read is "unknown", never a guess.
 */
export async function activationLockOf(phone: Phone, readFacts: () => Promise<EraseFacts>): Promise<ActivationLockVerdict> {
  const asked = phone.connected && phone.mode === 'normal';
  let facts: EraseFacts | undefined;
  if (asked) {
    try {
      facts = await readFacts();
    } catch {
      facts = undefined;
    }
  }
  return activationLockVerdict({
    mode: phone.mode,
    connected: phone.connected,
    trusted: facts ? facts.trusted : asked ? null : (phone.trusted ?? null),
    activationState: facts?.activationState ?? null,
    findMyOn: facts?.findMyOn ?? null,
  });
}
