import type { Phone, PhoneMode } from '../common/phone';

const MODE_WORDS: Record<PhoneMode, string> = {
  normal: 'Started normally',
  recovery: 'Recovery mode',
  dfu: 'DFU mode (black screen is normal)',
  wtf: 'DFU mode (first stage)',
  restore: 'Restore mode',
  unknown: 'Unknown state',
};

export function describeMode(mode: PhoneMode): string {
  return MODE_WORDS[mode];
}

export function describeTrust(trusted: boolean | null): string {
  if (trusted === null) return 'Not known in this mode';
  return trusted ? 'Trusted' : 'Not trusted';
}

/** The sentence the status area announces for the current list of phones. */
export function announcePhones(phones: Phone[]): string {
  if (phones.length === 0) return 'No iPhone connected yet. Waiting for one to be plugged in.';
  return phones
    .map((phone) =>
      phone.connected
        ? `${phone.model.name} connected, ${describeMode(phone.mode)}.`
        : `${phone.model.name} disconnected, waiting for it to come back.`,
    )
    .join(' ');
}
