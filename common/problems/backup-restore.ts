/** Problems of putting a backup back onto a phone (main/backup/backup-restore-service.ts) and of naming the backup. */
import { APPLE_HELP, IF_IT_KEEPS_HAPPENING, entry } from './problem-entry';

const UNCHANGED = 'Nothing on the phone was changed.';
const PARTIAL =
  'The phone holds only part of the backup now: it may say “Restore incomplete” or start Setup again. Connect it and run the restore again, or erase it and start over.';

export const BACKUP_RESTORE_PROBLEMS = {
  /** `wanted`: the backup id or folder name people gave. */
  'restore-backup-not-found': entry<{ wanted: string }>({
    title: 'That backup is not on this computer',
    detail: ({ wanted }) => `No backup matches ${wanted.slice(0, 80)}.`,
    nextSteps: ['Run `lifeline backups` to see the backups and their ids.'],
  }),
  'restore-backup-ambiguous': entry<{ wanted: string }>({
    title: 'More than one backup matches',
    detail: ({ wanted }) => `Several backups match ${wanted.slice(0, 80)}.`,
    nextSteps: ['Give the id `lifeline backups` shows (bk-…).'],
  }),
  'restore-no-backup-for-phone': entry({
    title: 'There is no complete backup of this phone',
    detail: 'Lifeline found no finished backup of this phone on this computer.',
    nextSteps: ['Choose a backup by its id: `lifeline backups` lists them.', 'Or choose the folder that holds the backup.'],
  }),
  'restore-backup-incomplete': entry({
    title: 'That backup is not complete',
    detail:
      'The backup never finished (its Status.plist does not say finished, or Info.plist or Manifest.plist is missing), so it cannot be put back.',
    nextSteps: [UNCHANGED, 'Choose another backup: `lifeline backups` lists them.'],
  }),
  /** The backup's iOS is newer than the phone's. */
  'restore-backup-newer-ios': entry<{ backupIos: string; phoneIos: string }>({
    title: 'That backup is from a newer iOS than the phone runs',
    detail: ({ backupIos, phoneIos }) =>
      `The backup was made on iOS ${backupIos.slice(0, 16)}; the phone runs iOS ${phoneIos.slice(0, 16)}. A phone only takes backups from its own iOS or an older one.`,
    nextSteps: [UNCHANGED, 'Update the phone to that iOS (or newer) first, or choose an older backup.'],
  }),
  'restore-password-needed': entry({
    title: 'This backup is encrypted',
    detail: 'An encrypted backup can only be put back with the password it was made with.',
    nextSteps: [UNCHANGED, 'Give the backup password (for the command line: --password-file FILE).'],
    helpUrl: APPLE_HELP.encryptedBackups,
  }),
  'restore-wrong-password': entry({
    title: 'The backup password is not right',
    detail: 'The phone (or Lifeline’s own check) did not accept the password for this encrypted backup.',
    nextSteps: [UNCHANGED, 'Try again with the password you chose when you turned on encrypted backups.'],
    helpUrl: APPLE_HELP.encryptedBackups,
  }),
  'restore-password-file': entry<{ reason: string }>({
    title: 'Lifeline could not read the password file',
    detail: ({ reason }) => reason.slice(0, 200),
    nextSteps: ['Give a file that holds the backup password on its first line.'],
  }),
  'restore-confirmation-needed': entry({
    title: 'A restore replaces the data on the phone',
    detail: 'Lifeline asks before it puts a backup onto a phone, and there is no one here to answer.',
    nextSteps: ['Run the command again with --yes if the phone’s current data may be replaced.'],
  }),
  'restore-already-running': entry({
    title: 'A restore to this phone is already running',
    detail: 'Wait for the running restore to finish, or cancel it.',
    nextSteps: ['Wait for the running restore to finish, or cancel it.'],
  }),
  'restore-cancelled-partial': entry({
    title: 'The restore was stopped before it finished',
    detail: 'The restore was cancelled while the phone was taking the backup’s files.',
    nextSteps: [PARTIAL, 'Your backup on this computer is unchanged.'],
  }),
  'restore-phone-disconnected': entry({
    title: 'The phone was disconnected during the restore',
    detail: 'The connection to the phone ended before the restore was complete.',
    nextSteps: [PARTIAL, 'Your backup on this computer is unchanged.'],
  }),
  'restore-phone-stopped-answering': entry({
    title: 'The phone stopped answering during the restore',
    detail: 'The phone sent nothing for too long, so Lifeline stopped waiting.',
    nextSteps: [PARTIAL, 'Unplug the phone, restart it, and run the restore again.'],
  }),
  /** `reason`: the phone's own words (MBErrorDomain…). */
  'restore-phone-error': entry<{ reason: string }>({
    title: 'The phone stopped the restore',
    detail: ({ reason }) => `The phone reported: ${reason.slice(0, 300)}`,
    nextSteps: ['Keep the phone unlocked and plugged in, then run the restore again.', 'If it keeps failing, try an older backup.'],
  }),
  'restore-not-enough-space-on-phone': entry({
    title: 'The phone has not enough room for this backup',
    detail: 'The phone reported that the backup does not fit in its free space.',
    nextSteps: ['Choose a smaller backup, or a phone with more storage.'],
  }),
  'restore-backup-unreadable': entry({
    title: 'Lifeline could not read the backup',
    detail: 'Reading the backup’s files on this computer failed.',
    nextSteps: ['Check the backup folder is still there and readable, then try again.'],
  }),
  'restore-protocol': entry({
    title: 'The phone answered in a way Lifeline does not understand',
    detail: 'The phone sent a message Lifeline does not know during the restore, so Lifeline stopped.',
    nextSteps: [PARTIAL, 'Update Lifeline, then try again.'],
  }),
  'restore-failed': entry({
    title: 'The restore failed',
    detail: 'Something Lifeline did not expect stopped the restore.',
    nextSteps: ['Try again.', IF_IT_KEEPS_HAPPENING],
  }),
};
