import { describe, expect, it } from 'vitest';
import { activationLockVerdict, type ActivationLockFacts } from '../../../common/activation-lock';

const normal: ActivationLockFacts = { mode: 'normal', connected: true, trusted: true, activationState: 'Activated', findMyOn: null };

describe('Activation Lock, honestly', () => {
  it('is on when the phone says Find My is on, and asks for the Apple ID that was on the phone', () => {
    const verdict = activationLockVerdict({ ...normal, findMyOn: true });
    expect(verdict.state).toBe('on');
    expect(verdict.evidence).toEqual([
      'The phone reports Find My as on (linked to an Apple ID).',
      'The phone reports its activation state: Activated.',
    ]);
    expect(verdict.message).toMatch(/After the erase, Activation Lock asks for the Apple ID and password that were on the phone before/);
    expect(verdict.message).toMatch(/nobody, Lifeline included, can remove that lock/);
  });

  it('is off only when the phone says so', () => {
    expect(activationLockVerdict({ ...normal, findMyOn: false })).toMatchObject({
      state: 'off',
      evidence: ['The phone reports Find My as off (not linked to an Apple ID).', 'The phone reports its activation state: Activated.'],
    });
  });

  it.each([
    [{ ...normal, connected: false }, 'The phone is not connected, so it could not be asked.'],
    [
      { ...normal, mode: 'recovery' as const, trusted: null, activationState: null },
      'The phone is in recovery or DFU mode: only a phone running iOS says whether Find My is on.',
    ],
    [
      { ...normal, trusted: false, activationState: null },
      'The phone does not trust this computer, so it does not say whether Find My is on.',
    ],
    [{ ...normal, activationState: null }, 'The phone did not say whether Find My is on.'],
  ])('is unknown, with the reason, when the phone could not say (%#)', (facts, reason) => {
    const verdict = activationLockVerdict(facts);
    expect(verdict.state).toBe('unknown');
    expect(verdict.evidence[0]).toBe(reason);
    expect(verdict.message).toMatch(
      /^Lifeline cannot tell whether Find My is on; on most iPhones it is\. If it is: After the erase, Activation Lock asks/,
    );
  });

  it('points only at Apple’s own recovery pages, never at a bypass', () => {
    const { links, message } = activationLockVerdict(normal);
    expect(links.map((link) => new URL(link.url).hostname)).toEqual(['iforgot.apple.com', 'support.apple.com', 'support.apple.com']);
    expect(message).not.toMatch(/bypass/i);
  });
});
