import type { Phone } from '../../../common/phone';
import { useLifeline } from '../../store/use-lifeline';

/** The phone to coach: the one asked for, else the only candidate; null = ask which (never guess). */
export function useCoachPhone(phoneId: string | null): { candidates: Phone[]; chosenId: string | null; phone: Phone | null } {
  const phones = useLifeline((s) => s.phones);
  const candidates = phones.filter((p) => p.connected || p.id === phoneId);
  const chosenId = phoneId ?? (candidates.length === 1 ? (candidates[0]?.id ?? null) : null);
  const phone = phones.find((p) => p.id === chosenId) ?? null;
  return { candidates, chosenId, phone };
}
