import type { PhoneMode, TriageVerdict } from '../../common/phone';
import { compareVersions } from '../../common/ios-version';
import { renderProblem, type ProblemCode, type ProblemParamsArgs } from '../../common/problems/catalog';

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

/** A verdict that says no, in the catalog's words (its code is the Problem `backup.start` refuses with). */
function refusal<C extends ProblemCode>(code: C, ...params: ProblemParamsArgs<C>): TriageVerdict {
  const problem = renderProblem(code, ...params);
  return {
    canBackUp: false,
    headline: problem.title,
    reason: problem.detail,
    nextSteps: problem.nextSteps,
    code: problem.code,
    ...(problem.helpUrl !== undefined ? { helpUrl: problem.helpUrl } : {}),
  };
}

export function triage(facts: TriageFacts): TriageVerdict {
  if (facts.invalidIdentity) return refusal('phone-invalid-identity');
  if (!facts.connected) return refusal('phone-away');
  if (facts.mode === 'recovery' || facts.mode === 'dfu' || facts.mode === 'wtf' || facts.mode === 'restore') {
    return refusal('backup-wrong-mode', { mode: facts.mode === 'wtf' ? 'dfu' : facts.mode });
  }
  if (facts.mode === 'normal' && facts.usbmuxMissing) return refusal('usbmux-missing');
  if (facts.mode === 'unknown' || facts.checking) return refusal('phone-checking');
  if (facts.unresponsive) return refusal('phone-not-answering');
  if (facts.trusted === false || facts.trusted === null) return refusal('phone-not-trusted');
  if (facts.passcodeSet && facts.unlockedSinceBoot === false) return refusal('phone-not-unlocked-since-restart');
  const needsPasscode =
    facts.passcodeSet === true &&
    facts.locked !== false &&
    facts.iosVersion !== null &&
    compareVersions(facts.iosVersion, BACKUP_NEEDS_PASSCODE_FROM) >= 0;
  if (needsPasscode) return refusal('backup-needs-passcode', { sinceVersion: BACKUP_NEEDS_PASSCODE_FROM });
  return {
    canBackUp: true,
    headline: 'A backup is possible now',
    reason:
      'This computer is trusted and the phone has been unlocked since it last restarted, so its data can be copied before anything is erased.',
    nextSteps: ['Keep the phone connected and do not restart it until the backup is done.'],
  };
}
