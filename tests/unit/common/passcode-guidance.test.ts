import { describe, expect, it } from 'vitest';
import { biometricsOf, passcodeGuidance } from '../../../common/passcode-guidance';

describe('passcodeGuidance: the new passcode after a restore', () => {
  it.each([
    ['iPhone3,1', '6.1.3', 'Settings → General → Passcode Lock', 4],
    ['iPhone5,2', '7.1.2', 'Settings → General → Passcode Lock', 4],
    ['iPhone6,1', '7.1.2', 'Settings → General → Passcode & Fingerprint', 4],
    ['iPhone5,3', '10.3.4', 'Settings → Passcode', 6],
    ['iPhone6,1', '8.4.1', 'Settings → Touch ID & Passcode', 4],
    ['iPhone6,1', '12.5.8', 'Settings → Touch ID & Passcode', 6],
    ['iPhone10,1', '16.7.10', 'Settings → Touch ID & Passcode', 6],
    ['iPhone10,3', '16.7.10', 'Settings → Face ID & Passcode', 6],
    ['iPhone14,6', '17.5.1', 'Settings → Touch ID & Passcode', 6],
    ['iPhone13,2', '17.5.1', 'Settings → Face ID & Passcode', 6],
  ] as const)('%s on iOS %s: %s, %i digits by default', (model, ios, setting, digits) => {
    const guidance = passcodeGuidance(ios, model);
    expect(guidance.setting).toBe(setting);
    expect(guidance.defaultDigits).toBe(digits);
    expect(guidance.steps.join(' ')).toContain(`${setting} → Change Passcode`);
    expect(guidance.steps[1]).toMatch(
      digits === 6 ? /^It has 6 digits unless you tap “Passcode Options”/ : /^It has 4 digits unless you turn off “Simple Passcode”/,
    );
  });

  it('says the passcode is never in a backup, whatever the version', () => {
    for (const ios of ['9.3.5', '12.5.8', '17.5.1'])
      expect(passcodeGuidance(ios, 'iPhone9,3').notInBackup).toMatch(/never inside a backup/);
  });

  it('explains the Screen Time passcode per version: Restrictions before 12, reset with the Apple ID from 13.4', () => {
    expect(passcodeGuidance('10.3.4', 'iPhone5,3').screenTime).toMatch(
      /^Restrictions \(Settings → General → Restrictions\) has a passcode of its own, and it comes back with a backup/,
    );
    expect(passcodeGuidance('12.5.8', 'iPhone6,1').screenTime).toMatch(/needs iOS 13\.4 or later/);
    expect(passcodeGuidance('13.4', 'iPhone11,2').screenTime).toMatch(/Forgot Passcode\?, then sign in with the Apple ID that set it up/);
    expect(passcodeGuidance('17.5.1', 'iPhone13,2').screenTime).toMatch(/on some iOS versions it comes back with a backup/);
  });

  it('says what an iCloud Backup brings back and re-enrolment of Face ID / Touch ID', () => {
    const faceId = passcodeGuidance('17.5.1', 'iPhone13,2');
    expect(faceId.iCloudBackup).toMatch(/Apps & Data/);
    expect(faceId.steps[2]).toMatch(/set up Face ID again/);
    expect(passcodeGuidance('12.5.8', 'iPhone6,1').steps[2]).toMatch(/add your fingerprints again/);
    expect(passcodeGuidance('10.3.4', 'iPhone5,3').steps[2]).toBe('To change it later: Settings → Passcode → Change Passcode.');
  });

  it('falls back on words for every phone when the model or version is unknown', () => {
    expect(biometricsOf('iPad8,1')).toBe('unknown');
    expect(biometricsOf(null)).toBe('unknown');
    const guidance = passcodeGuidance(null, null);
    expect(guidance.setting).toMatch(/^Settings → Face ID & Passcode \(or Touch ID & Passcode, or Passcode/);
    expect(guidance.defaultDigits).toBe(6);
  });
});
