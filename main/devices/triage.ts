import type { PhoneMode, TriageVerdict } from '../../common/phone';
import { compareVersions } from '../../common/ios-version';
import { invalidIdentityProblem } from '../rescue/problems';

/** What the registry knows about a phone that decides whether a backup can be made now. */
export type TriageFacts = {
  /** The phone reported a UDID or ECID no iPhone uses: listed, never backed up or restored. */
  invalidIdentity?: boolean;
  mode: PhoneMode;
  connected: boolean;
  /** Lockdown has not answered yet. */
  checking: boolean;
  /** Lockdown did not answer within its time (or the connection failed). */
  unresponsive: boolean;
  /** usbmuxd (or Apple Mobile Device Service) cannot be reached, so a normal-mode phone cannot be asked anything. */
  usbmuxMissing: boolean;
  iosVersion: string | null;
  /** This computer holds a pair record the phone accepts. null = unknown. */
  trusted: boolean | null;
  passcodeSet: boolean | null;
  /** The passcode is needed right now (lockdown's PasswordProtected). */
  locked: boolean | null;
  /** The phone has been unlocked at least once since it last started (its data keys are available). */
  unlockedSinceBoot: boolean | null;
};

/** Since iOS 16.1 (and 15.7.1) every backup must be confirmed with the passcode on the phone. */
export const BACKUP_NEEDS_PASSCODE_FROM = '16.1';

const FIND_EXISTING = 'Lifeline will look for backups of this phone already on this computer.';
const ICLOUD = 'If iCloud Backup was on, your photos and data may already be in iCloud: after the restore you can choose "Restore from iCloud Backup".';

export function triage(facts: TriageFacts): TriageVerdict {
  if (facts.invalidIdentity) {
    const problem = invalidIdentityProblem();
    return { canBackUp: false, headline: problem.title, reason: problem.detail, nextSteps: problem.nextSteps, code: problem.code };
  }
  if (!facts.connected) {
    return {
      canBackUp: false,
      headline: 'Waiting for the phone to come back',
      reason: 'The phone disconnected. It may be restarting into another mode, or the cable was unplugged.',
      nextSteps: ['If you unplugged it, plug it back in.'],
    };
  }
  if (facts.mode === 'recovery' || facts.mode === 'dfu' || facts.mode === 'wtf' || facts.mode === 'restore') {
    return {
      canBackUp: false,
      headline: 'A backup is not possible in this mode',
      reason:
        facts.mode === 'recovery'
          ? 'In recovery mode the phone is not running iOS, so nothing on it can be read or copied.'
          : 'In DFU mode the phone is not running iOS, so nothing on it can be read or copied.',
      nextSteps: [
        'If the phone was only stuck, restarting it normally may bring it back with everything on it — then a backup may be possible.',
        FIND_EXISTING,
        ICLOUD,
      ],
    };
  }
  if (facts.mode === 'normal' && facts.usbmuxMissing) {
    return {
      canBackUp: false,
      headline: 'Lifeline cannot talk to this phone yet',
      reason: 'The phone is switched on, but the system service that lets apps talk to it (usbmuxd, or Apple Mobile Device Service on Windows) is not running.',
      nextSteps: ['Follow the note below to start that service, then unplug the phone and plug it back in.'],
    };
  }
  if (facts.mode === 'unknown' || facts.checking) {
    return { canBackUp: false, headline: 'Checking what can be saved…', reason: 'Lifeline is asking the phone about its state.', nextSteps: [] };
  }
  if (facts.unresponsive) {
    return {
      canBackUp: false,
      headline: 'The phone did not answer',
      reason: 'The phone is connected but did not respond to Lifeline. It may still be starting up, or the cable may only charge.',
      nextSteps: ['Wait until the phone shows its lock screen, then unplug it and plug it back in.', 'Try another cable or USB port.'],
    };
  }
  if (facts.trusted === false || facts.trusted === null) {
    return {
      canBackUp: false,
      headline: 'This computer is not trusted by the phone',
      reason:
        'A phone only shares its data with a computer it already trusts, and trusting a new computer needs the passcode on the phone.',
      nextSteps: [
        'If you know the passcode: unlock the phone and tap "Trust" when it asks.',
        'If you have used another computer with this phone before, a backup may be possible there.',
        FIND_EXISTING,
        ICLOUD,
      ],
    };
  }
  if (facts.passcodeSet && facts.unlockedSinceBoot === false) {
    return {
      canBackUp: false,
      headline: 'The phone has not been unlocked since it restarted',
      reason: 'Until the passcode is entered once after a restart, the phone keeps its data encrypted and cannot back it up.',
      nextSteps: ['If you remember the passcode, unlock the phone once, then try again.', 'Do not restart the phone again.', FIND_EXISTING, ICLOUD],
    };
  }
  const needsPasscode =
    facts.passcodeSet === true && facts.locked !== false && facts.iosVersion !== null && compareVersions(facts.iosVersion, BACKUP_NEEDS_PASSCODE_FROM) >= 0;
  if (needsPasscode) {
    return {
      canBackUp: false,
      headline: 'A backup needs the passcode on this iOS version',
      reason: `Since iOS ${BACKUP_NEEDS_PASSCODE_FROM}, the phone asks for its passcode before every backup, even to a trusted computer.`,
      nextSteps: ['If you know the passcode, unlock the phone: a backup is then possible.', FIND_EXISTING, ICLOUD],
    };
  }
  return {
    canBackUp: true,
    headline: 'A backup is possible now',
    reason: 'This computer is trusted and the phone has been unlocked since it last restarted, so its data can be copied before anything is erased.',
    nextSteps: ['Keep the phone connected and do not restart it until the backup is done.'],
  };
}
