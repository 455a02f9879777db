import { compareVersions } from '../../common/ios-version';

/** Where the passcode setting is on this iOS, in steps a person can follow with the phone in hand. */
export function passcodeGuidance(iosVersion: string | null): string[] {
  const where =
    iosVersion !== null && compareVersions(iosVersion, '8.0') < 0
      ? 'Open Settings › General › Passcode (on some models: Passcode & Fingerprint).'
      : 'Open Settings › Face ID & Passcode (Touch ID & Passcode on a phone with a Home button).';
  return [
    where,
    'Tap Turn Passcode On and type six digits you will remember; Passcode Options offers other kinds.',
    'The passcode is never inside a backup, so the old one does not come back.',
    'A Screen Time passcode can come back with the backup: if the phone asks for one you forgot, reset it with your Apple ID in Settings › Screen Time.',
  ];
}
