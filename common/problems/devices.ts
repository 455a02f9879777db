/** Problems of finding and reading a phone, and the reasons a backup cannot be made right now (triage). */
import { APPLE_HELP, entry } from './problem-entry';

const FIND_EXISTING = 'Lifeline will look for backups of this phone already on this computer.';
const ICLOUD =
  'If iCloud Backup was on, your photos and data may already be in iCloud: after the restore you can choose "Restore from iCloud Backup".';

export const DEVICE_PROBLEMS = {
  /**
   * A device whose identity (UDID, ECID, serial) is not in the form real iPhones use. That identity would name its
   * backup folder and pair record, so Lifeline lists the device but never backs it up or restores it.
   */
  'phone-invalid-identity': entry<{ reported?: string } | void>({
    title: 'This device reports an invalid identity',
    detail: (params) =>
      'The connected device gave an identity (UDID or ECID) that no iPhone uses, so Lifeline will not back it up or restore it.' +
      (params?.reported ? ` (it calls itself ${params.reported})` : ''),
    nextSteps: [
      'Unplug the device and plug it back in.',
      'If it keeps happening, the device may not be a genuine iPhone, or software on this computer is answering in its place: do not use it with Lifeline.',
    ],
  }),
  'phone-away': entry({
    title: 'Waiting for the phone to come back',
    detail: 'The phone disconnected. It may be restarting into another mode, or the cable was unplugged.',
    nextSteps: ['If you unplugged it, plug it back in.'],
  }),
  'backup-wrong-mode': entry<{ mode: 'recovery' | 'dfu' | 'restore' }>({
    title: 'A backup is not possible in this mode',
    detail: ({ mode }) =>
      mode === 'restore'
        ? 'In restore mode the phone is running Apple’s restore system, not iOS, so nothing on it can be read or copied.'
        : `In ${mode === 'recovery' ? 'recovery' : 'DFU'} mode the phone is not running iOS, so nothing on it can be read or copied.`,
    nextSteps: ({ mode }) => [
      mode === 'restore'
        ? 'If a restore is under way, let it finish: the phone starts again on its own when it is done.'
        : 'If the phone was only stuck, restarting it normally may bring it back with everything on it — then a backup may be possible.',
      FIND_EXISTING,
      ICLOUD,
    ],
    helpUrl: APPLE_HELP.forceRestart,
  }),
  'usbmux-missing': entry({
    title: 'Lifeline cannot talk to this phone yet',
    detail:
      'The phone is switched on, but the system service that lets apps talk to it (usbmuxd, or Apple Mobile Device Service on Windows) is not running.',
    nextSteps: ['Follow the note below to start that service, then unplug the phone and plug it back in.'],
  }),
  'phone-checking': entry({
    title: 'Checking what can be saved…',
    detail: 'Lifeline is asking the phone about its state.',
    nextSteps: [],
  }),
  'phone-not-answering': entry({
    title: 'The phone did not answer',
    detail: 'The phone is connected but did not respond to Lifeline. It may still be starting up, or the cable may only charge.',
    nextSteps: ['Wait until the phone shows its lock screen, then unplug it and plug it back in.', 'Try another cable or USB port.'],
  }),
  'phone-not-trusted': entry({
    title: 'This computer is not trusted by the phone',
    detail: 'A phone only shares its data with a computer it already trusts, and trusting a new computer needs the passcode on the phone.',
    nextSteps: [
      'If you know the passcode: unlock the phone and tap "Trust" when it asks.',
      'If you have used another computer with this phone before, a backup may be possible there.',
      FIND_EXISTING,
      ICLOUD,
    ],
    helpUrl: APPLE_HELP.trustComputer,
  }),
  'phone-not-unlocked-since-restart': entry({
    title: 'The phone has not been unlocked since it restarted',
    detail: 'Until the passcode is entered once after a restart, the phone keeps its data encrypted and cannot back it up.',
    nextSteps: [
      'If you remember the passcode, unlock the phone once, then try again.',
      'Do not restart the phone again.',
      FIND_EXISTING,
      ICLOUD,
    ],
    helpUrl: APPLE_HELP.forgotPasscode,
  }),
  'backup-needs-passcode': entry<{ sinceVersion: string }>({
    title: 'A backup needs the passcode on this iOS version',
    detail: ({ sinceVersion }) =>
      `Since iOS ${sinceVersion}, the phone asks for its passcode before every backup, even to a trusted computer.`,
    nextSteps: ['If you know the passcode, unlock the phone: a backup is then possible.', FIND_EXISTING, ICLOUD],
    helpUrl: APPLE_HELP.forgotPasscode,
  }),
};
