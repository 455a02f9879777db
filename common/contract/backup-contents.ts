import { z } from 'zod';
import { ProblemSchema } from './shapes';
import { BackupDetailsSchema } from './backup';
import { FullPathSchema, PhoneIdSchema } from './shapes';

/** One thing people care about, counted in a backup: a number, or null with why it is not known. */
export const ContentCountSchema = z.object({
  count: z.number().int().nonnegative().nullable(),
  /** Why the count is null, or what it leaves out ("Live Photos count as a photo and a video"); null when nothing to say. */
  note: z.string().max(500).nullable(),
});
export type ContentCount = z.infer<typeof ContentCountSchema>;

/** What a backup holds, at a glance (docs/protocols/mobilebackup2.md#reading-a-backups-contents). */
export const BackupContentsSchema = z.object({
  /**
   * 'read': Manifest.db was read (decrypted when needed); 'password-needed': the backup is encrypted and no password was
   * given, so nothing inside can be counted; 'unreadable': Manifest.db is missing or damaged.
   */
  manifest: z.enum(['read', 'password-needed', 'unreadable']),
  photos: ContentCountSchema,
  videos: ContentCountSchema,
  messages: ContentCountSchema,
  contacts: ContentCountSchema,
  notes: ContentCountSchema,
  apps: ContentCountSchema,
});
export type BackupContents = z.infer<typeof BackupContentsSchema>;

/** Whether a backup can come back after an erase: its password proven (or none needed) before anything is erased. */
export const BackupEraseReadinessSchema = z.object({
  backupId: z.string(),
  encrypted: z.boolean(),
  /** true: the backup is complete and opens (not encrypted, or the password was checked offline and is right). */
  ready: z.boolean(),
  /** Why not, in the catalog's words, with what to try (the wrong password, the unknown one, an unfinished backup). */
  problem: ProblemSchema.nullable(),
  /**
   * When the password is not known: can Lifeline make a new backup it can open? 'now': a new backup is possible and the
   * phone does not encrypt; 'phone-encrypts': the phone would encrypt it with the same password; 'not-now': the phone
   * cannot be backed up now (the triage says why); null when not asked (the password was given or is not needed).
   */
  newBackup: z.enum(['now', 'phone-encrypts', 'not-now']).nullable(),
});
export type BackupEraseReadiness = z.infer<typeof BackupEraseReadinessSchema>;

export const backupContentsCommands = {
  /**
   * What one backup holds: date, iOS, size, encrypted, and counts of photos, videos, messages, contacts, notes and apps.
   * `password` opens an encrypted backup's Manifest.db and databases for this one reading (never stored or logged);
   * a wrong one is the `backup-wrong-password` Problem.
   */
  'backup.describe': {
    request: z
      .object({
        backupId: z.string().min(1).max(200),
        directory: FullPathSchema.optional(),
        password: z.string().min(1).max(4096).optional(),
      })
      .strict(),
    response: z.object({ backup: BackupDetailsSchema, contents: BackupContentsSchema }),
  },
  /**
   * Before an erase: will this backup come back afterwards? Checks the password offline when the backup is encrypted
   * (none given: says what an unopenable backup means and whether a new one can be made now for `phoneId`).
   */
  'backup.eraseReadiness': {
    request: z
      .object({
        backupId: z.string().min(1).max(200),
        directory: FullPathSchema.optional(),
        password: z.string().min(1).max(4096).optional(),
        phoneId: PhoneIdSchema.optional(),
      })
      .strict(),
    response: BackupEraseReadinessSchema,
  },
} as const;

export const backupContentsEvents = {} as const;
