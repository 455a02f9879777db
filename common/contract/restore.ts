import { z } from 'zod';
import { FullPathSchema, PhoneIdSchema } from './shapes';

const EcidSchema = z.string().regex(/^(0x)?[0-9a-fA-F]{1,16}$/);

/** Walk a DFU / recovery phone into the restore ramdisk and stop there (`lifeline restore --until ramdisk`). */
export const RestoreToRamdiskRequestSchema = z
  .object({
    /** A local .ipsw; else the cached / latest signed firmware for the phone. */
    ipsw: FullPathSchema.optional(),
    latest: z.boolean().optional(),
    /** Hex ECID of the phone (when several are in DFU / recovery). */
    ecid: EcidSchema.optional(),
    until: z.literal('ramdisk'),
  })
  .strict();
export type RestoreToRamdiskRequest = z.infer<typeof RestoreToRamdiskRequestSchema>;

export const RestoreRamdiskResultSchema = z.object({
  /** The restore-mode phone's usbmuxd UDID. */
  udid: z.string(),
  protocolVersion: z.number().nullable(),
  firmware: z.object({ version: z.string(), build: z.string(), path: z.string() }),
  ticketsRequested: z.number().int().nonnegative(),
  stages: z.array(z.object({ stage: z.string(), ms: z.number().nonnegative() })),
});
export type RestoreRamdiskResult = z.infer<typeof RestoreRamdiskResultSchema>;

/** Erase (everything on the phone goes, the passcode with it) or update (data kept, the passcode too). */
export const RestoreChoiceSchema = z.enum(['erase', 'update']);
export type RestoreChoice = z.infer<typeof RestoreChoiceSchema>;

/**
 * The complete restore of one phone, from normal, recovery or DFU mode to the new iOS. An erase is refused unless
 * `confirmed` is true: the person has been shown what it deletes and said yes.
 */
export const RestoreStartRequestSchema = z
  .object({
    choice: RestoreChoiceSchema,
    confirmed: z.boolean().optional(),
    /** The registry's phone id (the phone card's); else `ecid`; else the one phone connected. */
    phoneId: PhoneIdSchema.optional(),
    ecid: EcidSchema.optional(),
    ipsw: FullPathSchema.optional(),
    latest: z.boolean().optional(),
  })
  .strict()
  .refine((request) => request.choice !== 'erase' || request.confirmed === true, {
    message: 'An erase needs confirmed: true',
    path: ['confirmed'],
  })
  .refine((request) => !(request.ipsw !== undefined && request.latest === true), {
    message: 'Choose ipsw or latest, not both',
    path: ['latest'],
  })
  .refine((request) => !(request.phoneId !== undefined && request.ecid !== undefined), {
    message: 'Choose phoneId or ecid, not both',
    path: ['ecid'],
  });
export type RestoreStartRequest = z.infer<typeof RestoreStartRequestSchema>;

/** The stages of a complete restore, in order (a job's `phase`); the Restore screen lists them. */
export const RESTORE_RUN_STAGES = [
  'firmware',
  'recovery',
  'boot-chain',
  'ramdisk',
  'preparing',
  'installing',
  'verifying',
  'flashing',
  'baseband',
  'finishing',
  'reboot',
] as const;
export const RestoreRunStageSchema = z.enum(RESTORE_RUN_STAGES);
export type RestoreRunStage = z.infer<typeof RestoreRunStageSchema>;

export const RestoreResultSchema = z.object({
  choice: RestoreChoiceSchema,
  firmware: z.object({ version: z.string(), build: z.string() }),
  /** The phone's id after the restore (the same phone, by ECID). */
  phoneId: z.string(),
  /** Where the phone was last seen: 'normal' once the new iOS runs; null when it did not come back in time (unplugged). */
  phoneMode: z.enum(['normal', 'recovery', 'dfu']).nullable(),
  /** Stages the phone went through, with how long each took. */
  stages: z.array(z.object({ stage: RestoreRunStageSchema, ms: z.number().nonnegative() })),
});
export type RestoreResult = z.infer<typeof RestoreResultSchema>;

export const restoreCommands = {
  /** Starts a job (kind 'restore'); its result is a RestoreRamdiskResult. */
  'restore.toRamdisk': { request: RestoreToRamdiskRequestSchema, response: z.object({ job: z.string() }) },
  /** Starts a job (kind 'restore'); its phase is a RestoreRunStage, its result a RestoreResult. */
  'restore.start': { request: RestoreStartRequestSchema, response: z.object({ job: z.string() }) },
} as const;

export const restoreEvents = {} as const;
