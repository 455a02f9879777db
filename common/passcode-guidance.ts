/**
 * After the restore: the new passcode. Where the setting is on this phone and iOS, what the default is, and what a
 * backup does not bring back. Pure: the journey, the renderer and the CLI share it.
 */
import { compareVersions } from './ios-version';

export type Biometrics = 'face-id' | 'touch-id' | 'none' | 'unknown';

export type PasscodeGuidance = {
  biometrics: Biometrics;
  /** The taps to the setting, e.g. ['Settings', 'Face ID & Passcode']. */
  settingPath: string[];
  /** "Settings → Face ID & Passcode". */
  setting: string;
  /** Digits a new passcode has unless "Passcode Options" is used (6 since iOS 9, 4 before). */
  defaultDigits: 4 | 6;
  /** Steps in order, for the journey's last screen and the CLI. */
  steps: string[];
  /** The passcode is never inside a backup. */
  notInBackup: string;
  /** Screen Time (Restrictions before iOS 12) has a passcode of its own, which a backup may bring back. */
  screenTime: string;
  /** What an iCloud Backup can bring back, and what it cannot. */
  iCloudBackup: string;
};

/** Touch ID arrived with the iPhone 5s (iPhone6,x); Face ID with the iPhone X. These models kept the Home button after it. */
const TOUCH_ID_AFTER_FACE_ID = new Set(['iPhone10,1', 'iPhone10,2', 'iPhone10,4', 'iPhone10,5', 'iPhone12,8', 'iPhone14,6']);

/** Which unlock the phone has besides the passcode, from its ProductType ("iPhone6,1"). */
export function biometricsOf(productType: string | null): Biometrics {
  const match = /^iPhone(\d+),(\d+)$/.exec(productType ?? '');
  if (!match) return 'unknown';
  const major = Number(match[1]);
  if (major <= 5) return 'none';
  if (major <= 9 || TOUCH_ID_AFTER_FACE_ID.has(productType!)) return 'touch-id';
  return 'face-id';
}

function settingPathFor(ios: string | null, biometrics: Biometrics): string[] {
  if (ios !== null && compareVersions(ios, '7') < 0) return ['Settings', 'General', 'Passcode Lock'];
  if (ios !== null && compareVersions(ios, '8') < 0)
    return ['Settings', 'General', biometrics === 'touch-id' ? 'Passcode & Fingerprint' : 'Passcode Lock'];
  if (biometrics === 'face-id') return ['Settings', 'Face ID & Passcode'];
  if (biometrics === 'touch-id') return ['Settings', 'Touch ID & Passcode'];
  if (biometrics === 'none') return ['Settings', 'Passcode'];
  return ['Settings', 'Face ID & Passcode (or Touch ID & Passcode, or Passcode: the name depends on the phone)'];
}

function screenTimeWords(ios: string | null): string {
  if (ios !== null && compareVersions(ios, '12') < 0) {
    return 'Restrictions (Settings → General → Restrictions) has a passcode of its own, and it comes back with a backup. If nobody remembers it, only an erase without restoring that backup removes it.';
  }
  const reset =
    ios === null || compareVersions(ios, '13.4') >= 0
      ? 'If nobody remembers it: Settings → Screen Time → Change Screen Time Passcode → Forgot Passcode?, then sign in with the Apple ID that set it up.'
      : 'Resetting a forgotten one with the Apple ID needs iOS 13.4 or later: update the phone, then Settings → Screen Time → Change Screen Time Passcode → Forgot Passcode?.';
  return `Screen Time has a passcode of its own (not the phone’s), and on some iOS versions it comes back with a backup. ${reset}`;
}

/** What to tell people about their new passcode once the phone runs `iosVersion` on model `productType`. */
export function passcodeGuidance(iosVersion: string | null, productType: string | null): PasscodeGuidance {
  const biometrics = biometricsOf(productType);
  const settingPath = settingPathFor(iosVersion, biometrics);
  const setting = settingPath.join(' → ');
  const defaultDigits: 4 | 6 = iosVersion === null || compareVersions(iosVersion, '9') >= 0 ? 6 : 4;
  const unlock =
    biometrics === 'face-id'
      ? ' Then set up Face ID again: it is not in a backup either.'
      : biometrics === 'touch-id'
        ? ' Then add your fingerprints again: they are not in a backup either.'
        : '';
  const steps = [
    'The setup assistant asks for a new passcode: choose one you will remember, and write it down somewhere safe.',
    defaultDigits === 6
      ? 'It has 6 digits unless you tap “Passcode Options” (4 digits, or letters and numbers).'
      : 'It has 4 digits unless you turn off “Simple Passcode” (letters and numbers).',
    `To change it later: ${setting} → Change Passcode.${unlock}`,
  ];
  return {
    biometrics,
    settingPath,
    setting,
    defaultDigits,
    steps,
    notInBackup:
      'The passcode is never inside a backup, computer or iCloud: the old, forgotten one does not come back, and the new one is the one you choose now.',
    screenTime: screenTimeWords(iosVersion),
    iCloudBackup:
      'An iCloud Backup can bring back apps and their data, settings, the Home Screen, messages (when Messages in iCloud is off) and photos (when iCloud Photos is off): choose it at the setup assistant’s Apps & Data step. What is already in iCloud (iCloud Photos, Contacts, Calendars, Notes, Messages in iCloud) comes back when you sign in with your Apple ID.',
  };
}
