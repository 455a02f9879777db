import { z } from 'zod';
import { parseUdid } from '../phone-identity';
import { PhoneIdSchema, FullPathSchema } from './shapes';

/** One backup found on this computer. */
export const BackupSummarySchema = z.object({
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
} as const;

export const backupEvents = {} as const;
