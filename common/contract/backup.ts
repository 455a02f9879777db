import { z } from 'zod';
import { parseUdid } from '../phone-identity';
import { PhoneIdSchema, FullPathSchema } from './shapes';

/** One backup found on this computer. */
export const BackupSummarySchema = z.object({
  /** Lifeline's id of this backup: `bk-` + 12 hex of its folder's path (main/backup/backup-id.ts). The folder name works too. */
  id: z.string(),
  /** The phone's UDID as the backup names it. */
  udid: z.string(),
  /** Absolute path of the `<UDID>` folder. */
  path: z.string(),
  /** Which standard folder it was found in, in words ("Finder / iTunes", "Chosen backup folder"…). */
  location: z.string(),
  deviceName: z.string().nullable(),
  productType: z.string().nullable(),
  /** "iPhone 5s (GSM)" when the device table knows the product type. */
  modelName: z.string().nullable(),
  iosVersion: z.string().nullable(),
  buildVersion: z.string().nullable(),
  /** ISO date of the last backup. */
  date: z.string().nullable(),
  sizeBytes: z.number().nonnegative().nullable(),
  /** null when Manifest.plist could not be read. */
  encrypted: z.boolean().nullable(),
  /** Status.plist says finished and Info.plist/Manifest.plist are there. */
  complete: z.boolean(),
});
export type BackupSummary = z.infer<typeof BackupSummarySchema>;

/** JobSummary.result of a 'backup' job. */
export const BackupResultSchema = z.object({
  udid: z.string(),
  path: z.string(),
  files: z.number().int().nonnegative(),
  bytes: z.number().nonnegative(),
  /** Bytes the phone sent during this backup. */
  bytesReceived: z.number().nonnegative(),
  seconds: z.number().nonnegative(),
  encrypted: z.boolean(),
  /** Files reused (hard-linked) from the previous backup while staging. */
  reused: z.number().int().nonnegative(),
});
export type BackupResult = z.infer<typeof BackupResultSchema>;

/**
 * What `backup.show` tells about one backup: the summary now; counts of what it holds (photos, messages, apps…)
 * join here as optional fields when Lifeline reads them.
 */
export const BackupDetailsSchema = BackupSummarySchema.extend({
  /** The folder name the phone uses as the backup's SourceIdentifier. */
  folderName: z.string(),
});
export type BackupDetails = z.infer<typeof BackupDetailsSchema>;

/** Options of a restore, as the MobileBackup2 Restore request carries them (docs/protocols/mobilebackup2.md#restoring-a-backup). */
export const BackupRestoreOptionsSchema = z
  .object({
    /** RestoreSystemFiles: also put back settings and system data (default on, as people expect "everything back"). */
    systemFiles: z.boolean().default(true),
    /** RestoreShouldReboot: the phone restarts at the end (default on). */
    reboot: z.boolean().default(true),
    /** RestoreDontCopyBackup = !copyFirst: the phone takes the whole backup before changing anything (default off). */
    copyFirst: z.boolean().default(false),
    /** RemoveItemsNotRestored: files on the phone that the backup does not hold are removed (default off). */
    removeItemsNotRestored: z.boolean().default(false),
  })
  .strict();
export type BackupRestoreOptions = z.infer<typeof BackupRestoreOptionsSchema>;

/** JobSummary.result of a 'backup.restore' job. */
export const BackupRestoreResultSchema = z.object({
  backupId: z.string(),
  /** The phone the backup went onto. */
  udid: z.string(),
  files: z.number().int().nonnegative(),
  bytes: z.number().nonnegative(),
  seconds: z.number().nonnegative(),
  encrypted: z.boolean(),
  /** Whether the phone was asked to restart at the end. */
  rebooting: z.boolean(),
});
export type BackupRestoreResult = z.infer<typeof BackupRestoreResultSchema>;

export const backupCommands = {
  /** Starts a backup job of a connected, trusted phone. Progress on 'progress'; outcome on 'jobs.changed'. */
  'backup.start': {
    request: z
      .object({
        phoneId: PhoneIdSchema.optional(),
        /** Alternatively the UDID, as usbmuxd lists it (the CLI's --udid): one of the two real forms (common/phone-identity.ts). */
        udid: z
          .string()
          .refine((udid) => parseUdid(udid) !== null, 'Give a UDID: 40 hex digits, or 8 hex digits, a dash and 16 hex digits')
          .optional(),
        directory: FullPathSchema.optional(),
      })
      .strict(),
    response: z.object({ job: z.string() }),
  },
  /** The backups on this computer (the standard folders, or `directory`), optionally only those of one phone. */
  'backup.list': {
    request: z.object({ phoneId: PhoneIdSchema.optional(), directory: FullPathSchema.optional() }).strict(),
    response: z.object({
      /** Folders searched, with what they are. */
      locations: z.array(z.object({ path: z.string(), label: z.string() })),
      /** Where a new backup goes by default. */
      defaultDirectory: z.string(),
      backups: z.array(BackupSummarySchema),
    }),
  },
  /**
   * Checks a password against an encrypted backup on this computer, offline: its keybag opens or not, no phone needed
   * (docs/protocols/backup-encryption.md#class-keys-and-the-offline-check). Takes as long as the backup's key
   * derivation (seconds for a real iPhone's). The password is used for this one check: never stored, logged or echoed.
   */
  'backup.checkPassword': {
    request: z
      .object({ backupId: z.string().min(1).max(200), directory: FullPathSchema.optional(), password: z.string().min(1).max(4096) })
      .strict(),
    response: z.object({ backupId: z.string(), correct: z.boolean() }),
  },
  /** One backup by its id (`bk-…`) or folder name, searched in the standard folders (or `directory`). */
  'backup.show': {
    request: z.object({ backupId: z.string().min(1).max(200), directory: FullPathSchema.optional() }).strict(),
    response: z.object({ backup: BackupDetailsSchema }),
  },
  /**
   * Starts a 'backup.restore' job: puts a backup back onto a connected, trusted phone (replacing its data). Without
   * `backupId`, the newest complete backup of that phone. `password` for an encrypted backup (never logged or echoed).
   */
  'backup.restore': {
    request: z
      .object({
        backupId: z.string().min(1).max(200).optional(),
        phoneId: PhoneIdSchema.optional(),
        udid: z
          .string()
          .refine((udid) => parseUdid(udid) !== null, 'Give a UDID: 40 hex digits, or 8 hex digits, a dash and 16 hex digits')
          .optional(),
        directory: FullPathSchema.optional(),
        password: z.string().min(1).max(4096).optional(),
        options: BackupRestoreOptionsSchema.optional(),
      })
      .strict(),
    response: z.object({ job: z.string() }),
  },
} as const;

export const backupEvents = {} as const;
