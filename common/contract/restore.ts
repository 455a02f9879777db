import { z } from 'zod';
import { FullPathSchema } from './shapes';

/** Restore engine, first part: walk a DFU / recovery phone into the restore ramdisk. The full restore comes next. */
export const RestoreToRamdiskRequestSchema = z
  .object({
    /** A local .ipsw; else the cached / latest signed firmware for the phone. */
    ipsw: FullPathSchema.optional(),
    latest: z.boolean().optional(),
    /** Hex ECID of the phone (when several are in DFU / recovery). */
    ecid: z
      .string()
      .regex(/^(0x)?[0-9a-fA-F]{1,16}$/)
      .optional(),
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

export const restoreCommands = {
  /** Starts a job (kind 'restore'); its result is a RestoreRamdiskResult. */
  'restore.toRamdisk': { request: RestoreToRamdiskRequestSchema, response: z.object({ job: z.string() }) },
} as const;

export const restoreEvents = {} as const;
