/** Problems of making a backup (main/backup) and of choosing the phone to back up. */
import { APPLE_HELP, IF_IT_KEEPS_HAPPENING, entry, formatBytes } from './problem-entry';

const KEPT = 'Your previous backup is unchanged.';
const WRITABLE = 'Check the backup folder is writable, or choose another one.';

export const BACKUP_PROBLEMS = {
  'backup-unavailable': entry({
    title: 'Backups are not available here',
    detail: 'This Lifeline engine was started without access to phones.',
    nextSteps: ['Start Lifeline normally.'],
  }),
  'backup-folder-error': entry<{ folder?: string } | void>({
    title: 'Lifeline could not write the backup',
    detail: (params) => (params?.folder ? `The backup folder ${params.folder} cannot be used.` : 'Writing to the backup folder failed.'),
    nextSteps: [KEPT, WRITABLE],
  }),
  'backup-already-running': entry({
    title: 'This phone is already being backed up',
    detail: 'Wait for the running backup to finish, or cancel it.',
    nextSteps: ['Wait for the running backup to finish, or cancel it.'],
  }),
  'backup-phone-busy': entry({
    title: 'Another computer is syncing with this phone',
    detail: 'The phone is busy with another sync and would not let Lifeline start.',
    nextSteps: ['Close iTunes, Finder or any other app that is syncing the phone, then try again.'],
  }),
  'backup-cancelled-on-phone': entry({
    title: 'The backup was stopped on the phone',
    detail: 'Someone tapped Cancel on the phone.',
    nextSteps: [KEPT, 'Start the backup again when you are ready.'],
  }),
  /** `wanted`: the phone that was asked for, as people typed or see it; absent when none was named. */
  'backup-no-phone': entry<{ wanted?: string } | void>({
    title: (params) => (params?.wanted !== undefined ? 'That phone is not connected' : 'No phone is connected'),
    detail: (params) =>
      params?.wanted !== undefined
        ? `No connected phone matches ${params.wanted.slice(0, 64)}. Lifeline can only back up a phone that is switched on and connected.`
        : 'Lifeline can only back up a phone that is switched on and connected.',
    nextSteps: ['Plug the phone in with a cable and unlock it.', 'Run `lifeline devices` to see the connected phones.'],
  }),
  'backup-ambiguous-phone': entry<{ wanted: string }>({
    title: 'More than one phone matches',
    detail: ({ wanted }) => `Several phones match ${wanted.slice(0, 64)}.`,
    nextSteps: ['Give the id `lifeline devices --json` shows.'],
  }),
  'backup-tls': entry({
    title: 'Lifeline could not open a secure connection to the phone',
    detail: 'The encrypted connection to the phone’s backup service did not start.',
    nextSteps: ['Unplug the phone, plug it back in and try again.'],
  }),
  /** Sizes in bytes; `phoneBytes` absent when the phone did not say how much it holds. */
  'backup-disk-full': entry<{ freeBytes?: number; neededBytes?: number; phoneBytes?: number } | void>({
    title: 'Not enough free space for the backup',
    detail: (params) =>
      params?.freeBytes !== undefined && params.neededBytes !== undefined
        ? `The phone holds about ${formatBytes(params.phoneBytes ?? 0)} of data; the backup folder has ${formatBytes(params.freeBytes)} free (${formatBytes(params.neededBytes)} needed).`
        : 'The disk with the backup folder filled up while the backup was written.',
    nextSteps: ['Free some space on this computer, or choose a folder on a bigger drive.', KEPT],
  }),
  'backup-not-trusted': entry({
    title: 'This computer is not trusted by the phone',
    detail: 'A backup needs the phone to trust this computer.',
    nextSteps: ['Unlock the phone and tap “Trust” when it asks, then try again.'],
    helpUrl: APPLE_HELP.trustComputer,
  }),
  'backup-locked-since-restart': entry({
    title: 'The phone has not been unlocked since it restarted',
    detail: 'Until the passcode is entered once, the phone keeps its data sealed.',
    nextSteps: ['Enter the passcode on the phone once, then try again.'],
    helpUrl: APPLE_HELP.forgotPasscode,
  }),
  'backup-locked': entry({
    title: 'The phone is locked',
    detail: 'The phone refused to start its backup service while locked.',
    nextSteps: ['Unlock the phone, then try again.'],
  }),
  'backup-phone-disconnected': entry({
    title: 'The phone was disconnected during the backup',
    detail: 'The connection to the phone ended before the backup was complete.',
    nextSteps: [KEPT, 'Check the cable, plug the phone back in and try again.'],
  }),
  'backup-phone-stopped-answering': entry({
    title: 'The phone stopped answering',
    detail: 'The phone sent nothing for too long, so Lifeline stopped waiting.',
    nextSteps: [KEPT, 'Unplug the phone, restart it if you can, and try again.'],
  }),
  'backup-unsafe-path': entry({
    title: 'The phone asked to write outside the backup folder',
    detail: 'Lifeline refused and stopped the backup; nothing was written outside the folder.',
    nextSteps: [KEPT, 'This should never happen with a genuine iPhone. Do not trust backups made from this device.'],
  }),
  'backup-phone-error': entry({
    title: 'The phone stopped the backup',
    detail: 'The phone reported an error and ended the backup.',
    nextSteps: [KEPT, 'Unlock the phone, keep it unlocked and try again.'],
  }),
  'backup-cancelled': entry({
    title: 'The backup was cancelled',
    detail: 'The phone or Lifeline cancelled the backup before it was complete.',
    nextSteps: [KEPT],
  }),
  'backup-protocol': entry({
    title: 'The phone answered in a way Lifeline does not understand',
    detail: 'The phone sent a message Lifeline does not know, so it stopped the backup.',
    nextSteps: [KEPT, 'Update Lifeline, then try again.'],
  }),
  'backup-incomplete': entry({
    title: 'The new backup is incomplete, so Lifeline did not keep it',
    detail: 'Checking the new backup found files missing or unfinished.',
    nextSteps: [KEPT, 'Try again with the phone unlocked.'],
  }),
  'backup-lockdown': entry({
    title: 'The phone refused the backup',
    detail: 'The phone turned down Lifeline’s request to start a backup.',
    nextSteps: [KEPT, 'Unlock the phone, then try again.'],
  }),
  'backup-no-usbmuxd': entry({
    title: 'Lifeline cannot reach the phone service',
    detail: 'The system service that lets apps talk to phones (usbmuxd, or Apple Mobile Device Service on Windows) did not answer.',
    nextSteps: ['Make sure usbmuxd (Apple Mobile Device Service on Windows) is running.'],
  }),
  'backup-failed': entry({
    title: 'The backup failed',
    detail: 'Something Lifeline did not expect stopped the backup.',
    nextSteps: [KEPT, 'Try again.', IF_IT_KEEPS_HAPPENING],
  }),
  'backup-wrong-phone': entry({
    title: 'This is not the phone this computer trusted',
    detail:
      'The phone answered with a certificate that is not the one this computer paired with. Lifeline stopped and sent the phone nothing more.',
    nextSteps: [
      KEPT,
      'Unplug any other phone or adapter, plug in your own phone and try again.',
      'If it is your phone, pair it again: on the phone, tap Trust when asked.',
    ],
  }),
  'backup-not-encrypted': entry({
    title: 'This backup is not encrypted',
    detail: 'An unencrypted backup has no password, so there is nothing to check.',
    nextSteps: ['Choose an encrypted backup: `lifeline backups` marks them “encrypted”.'],
    helpUrl: APPLE_HELP.encryptedBackups,
  }),
  'backup-password-needed': entry({
    title: 'No password to check',
    detail: 'Lifeline asks for the password only in a terminal, and none was given.',
    nextSteps: ['Run the command in a terminal, or give --password-file FILE (the password on its first line).'],
  }),
  'backup-keybag-unreadable': entry({
    title: 'Lifeline cannot read this backup’s encryption keys',
    detail: 'The backup’s Manifest.plist is missing, or its keybag is damaged, so no password can open it.',
    nextSteps: [
      'Check the backup folder is complete (`lifeline backups` says “complete”).',
      'If another copy of this backup exists, try that one.',
    ],
  }),
  'backup-wrong-password': entry({
    title: 'This is not the backup password',
    detail: 'The password does not open this encrypted backup. Nothing was changed.',
    nextSteps: [
      'The backup password is the one chosen in iTunes or Finder (or the app that made the backup) when “Encrypt local backup” was turned on.',
      'It is not the phone’s passcode or the Apple ID password, unless those very words were chosen for it.',
      'Passwords are case-sensitive: check Caps Lock and the keyboard layout, and try passwords used around the time encryption was turned on.',
    ],
    helpUrl: APPLE_HELP.encryptedBackups,
  }),
  /**
   * Before an erase, an encrypted backup whose password nobody knows. `newBackup`: whether Lifeline can make a backup it
   * can open instead ('now'), the phone would encrypt that one too ('phone-encrypts'), or no backup is possible now
   * ('not-now', `reason` from the triage).
   */
  'erase-backup-password-unknown': entry<{ newBackup: 'now' | 'phone-encrypts' | 'not-now'; reason?: string }>({
    title: 'A backup Lifeline cannot open is of no use after the erase',
    detail:
      'This backup is encrypted. Without its password nothing in it can be put back on the phone after the erase, so whatever is only in this backup would be lost.',
    nextSteps: ({ newBackup, reason }) => [
      ...(newBackup === 'now'
        ? ['Make a new backup now: this phone does not encrypt its backups, so the new one comes back after the erase without a password.']
        : newBackup === 'phone-encrypts'
          ? [
              'A new backup would not help: the phone encrypts every backup with this same password, and turning encryption off needs that password too.',
              'What is in iCloud (iCloud Photos, Contacts, Notes, Messages in iCloud, an iCloud Backup) comes back after the erase when you sign in with the Apple ID.',
            ]
          : [`No new backup can be made now${reason ? `: ${reason.slice(0, 200).replace(/[.!]?$/, '.')}` : '.'}`]),
      'If you find the password, check it first: `lifeline backups check-password ID` (nothing is erased by a check).',
    ],
    helpUrl: APPLE_HELP.encryptedBackups,
  }),
};
