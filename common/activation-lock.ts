/**
 * Activation Lock, honestly: what the phone said (or could not say) about Find My, and what that means after an erase.
 * Lifeline only reads and explains; the way through Activation Lock is the owner's Apple ID or Apple's own account
 * recovery, never a bypass (docs/protocols/lockdown.md#activation-lock-values).
 */
import type { PhoneMode } from './phone';

export type ActivationLockState = 'on' | 'off' | 'unknown';

/** What is known about the phone when it is asked. Lockdown values are null when the phone did not tell them. */
export type ActivationLockFacts = {
  mode: PhoneMode;
  connected: boolean;
  /** A lockdown session opened (null: not asked). */
  trusted: boolean | null;
  activationState: string | null;
  findMyOn: boolean | null;
};

export type ActivationLockVerdict = {
  state: ActivationLockState;
  /** What the verdict rests on, one fact per line. */
  evidence: string[];
  message: string;
  links: { label: string; url: string }[];
};

/** Apple's own pages for a forgotten Apple ID password; checked topics, nothing else. */
export const ACCOUNT_RECOVERY_LINKS: readonly { label: string; url: string }[] = Object.freeze([
  { label: 'Reset a forgotten Apple ID password (iforgot.apple.com)', url: 'https://iforgot.apple.com' },
  { label: 'Apple: use account recovery when you can’t reset your Apple ID password', url: 'https://support.apple.com/en-us/HT204921' },
  { label: 'Apple: Activation Lock for iPhone', url: 'https://support.apple.com/en-us/HT201441' },
]);

const AFTER_ERASE =
  'After the erase, Activation Lock asks for the Apple ID and password that were on the phone before. Without them the phone cannot be set up: nobody, Lifeline included, can remove that lock for you.';
const GET_READY =
  'Before you erase, check you can sign in with that Apple ID at appleid.apple.com; if you forgot the password, reset it first at iforgot.apple.com.';

export function activationLockVerdict(facts: ActivationLockFacts): ActivationLockVerdict {
  const links = [...ACCOUNT_RECOVERY_LINKS];
  const evidence: string[] = [];
  if (facts.activationState !== null) evidence.push(`The phone reports its activation state: ${facts.activationState}.`);
  if (facts.findMyOn === true) {
    evidence.unshift('The phone reports Find My as on (linked to an Apple ID).');
    return { state: 'on', evidence, message: `Find My is on, so Activation Lock is on. ${AFTER_ERASE} ${GET_READY}`, links };
  }
  if (facts.findMyOn === false) {
    evidence.unshift('The phone reports Find My as off (not linked to an Apple ID).');
    return {
      state: 'off',
      evidence,
      message:
        'Find My is off, so the phone should not ask for an Apple ID after the erase. If Find My is turned on before the erase, it will: then the Apple ID and password that were on the phone are needed.',
      links,
    };
  }
  evidence.unshift(unknownBecause(facts));
  return {
    state: 'unknown',
    evidence,
    message: `Lifeline cannot tell whether Find My is on; on most iPhones it is. If it is: ${AFTER_ERASE} ${GET_READY}`,
    links,
  };
}

function unknownBecause(facts: ActivationLockFacts): string {
  if (!facts.connected) return 'The phone is not connected, so it could not be asked.';
  if (facts.mode === 'recovery' || facts.mode === 'dfu' || facts.mode === 'restore' || facts.mode === 'wtf') {
    return 'The phone is in recovery or DFU mode: only a phone running iOS says whether Find My is on.';
  }
  if (facts.trusted === false) return 'The phone does not trust this computer, so it does not say whether Find My is on.';
  return 'The phone did not say whether Find My is on.';
}
