import { describe, expect, it } from 'vitest';
import { triage, type TriageFacts } from '../../../main/devices/triage';

const trustedUnlocked: TriageFacts = {
  mode: 'normal',
  connected: true,
  checking: false,
  unresponsive: false,
  usbmuxMissing: false,
  iosVersion: '12.5.8',
  trusted: true,
  passcodeSet: true,
  locked: true,
  unlockedSinceBoot: true,
};

describe('triage: can a backup be made now?', () => {
  it('says yes for a trusted phone unlocked since boot on iOS before 16.1, even while locked', () => {
    expect(triage(trustedUnlocked)).toMatchObject({ canBackUp: true, headline: 'A backup is possible now' });
  });

  it('says no for a phone that does not trust this computer, and why', () => {
    const verdict = triage({ ...trustedUnlocked, trusted: false });
    expect(verdict.canBackUp).toBe(false);
    expect(verdict.reason).toMatch(/trusting a new computer needs the passcode/);
    expect(verdict.nextSteps.join(' ')).toMatch(/Trust/);
  });

  it('says no when the phone was not unlocked since it restarted', () => {
    const verdict = triage({ ...trustedUnlocked, unlockedSinceBoot: false });
    expect(verdict).toMatchObject({ canBackUp: false, headline: 'The phone has not been unlocked since it restarted' });
  });

  it('applies the iOS 16.1 passcode-for-backup rule to locked phones only', () => {
    expect(triage({ ...trustedUnlocked, iosVersion: '16.1' }).canBackUp).toBe(false);
    expect(triage({ ...trustedUnlocked, iosVersion: '17.5.1' }).reason).toMatch(/Since iOS 16\.1/);
    expect(triage({ ...trustedUnlocked, iosVersion: '16.0.3' }).canBackUp).toBe(true);
    expect(triage({ ...trustedUnlocked, iosVersion: '18.7.10', locked: false }).canBackUp).toBe(true);
    expect(triage({ ...trustedUnlocked, iosVersion: '18.7.10', passcodeSet: false, locked: false }).canBackUp).toBe(true);
  });

  it('says no in recovery and DFU mode and points to existing backups and iCloud', () => {
    for (const mode of ['recovery', 'dfu', 'wtf'] as const) {
      const verdict = triage({ ...trustedUnlocked, mode });
      expect(verdict.canBackUp).toBe(false);
      expect(verdict.nextSteps.join(' ')).toMatch(/iCloud/);
    }
  });

  it('never claims a backup while lockdown is still being asked or did not answer', () => {
    expect(triage({ ...trustedUnlocked, checking: true })).toMatchObject({ canBackUp: false, headline: 'Checking what can be saved…' });
    expect(triage({ ...trustedUnlocked, unresponsive: true })).toMatchObject({ canBackUp: false, headline: 'The phone did not answer' });
    expect(triage({ ...trustedUnlocked, trusted: null }).canBackUp).toBe(false);
  });

  it('explains that a switched-on phone cannot be asked anything while usbmuxd is missing', () => {
    expect(triage({ ...trustedUnlocked, usbmuxMissing: true, trusted: null })).toMatchObject({
      canBackUp: false,
      headline: 'Lifeline cannot talk to this phone yet',
    });
  });

  it('waits for a phone that went away', () => {
    expect(triage({ ...trustedUnlocked, connected: false }).headline).toBe('Waiting for the phone to come back');
  });
});

describe('triage of a phone with an invalid identity', () => {
  it('refuses backup and restore with the stable invalid-identity code, whatever else is true', () => {
    const verdict = triage({ ...trustedUnlocked, invalidIdentity: true });
    expect(verdict).toMatchObject({
      canBackUp: false,
      code: 'phone-invalid-identity',
      headline: 'This device reports an invalid identity',
    });
    expect(verdict.reason).toMatch(/not back it up or restore it/);
    expect(triage({ ...trustedUnlocked, invalidIdentity: true, connected: false }).code).toBe('phone-invalid-identity');
  });

  it('carries no code when a backup is possible, and the catalog code of every refusal', () => {
    expect(triage(trustedUnlocked).code).toBeUndefined();
    expect(triage({ ...trustedUnlocked, trusted: false })).toMatchObject({
      code: 'phone-not-trusted',
      helpUrl: expect.stringMatching(/^https:\/\/support\.apple\.com\//),
    });
  });
});
