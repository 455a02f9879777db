/** The shapes every part of the contract shares. Domain contract files import from here, never from api.ts. */
import { z } from 'zod';
import { checkFullPath } from '../full-path';

export type JobId = string;

/** The one progress record for every long job (ARCHITECTURE rule 4). */
export const ProgressSchema = z.object({
  job: z.string(),
  phase: z.string(),
  /** null = indeterminate */
  fraction: z.number().min(0).max(1).nullable(),
  bytesDone: z.number().nonnegative().optional(),
  bytesTotal: z.number().nonnegative().optional(),
  bytesPerSecond: z.number().nonnegative().optional(),
  etaSeconds: z.number().nonnegative().optional(),
  /** Files finished so far and in all (e.g. a backup), when the job counts files. */
  filesDone: z.number().int().nonnegative().optional(),
  filesTotal: z.number().int().nonnegative().optional(),
  message: z.string(),
});
export type Progress = z.infer<typeof ProgressSchema>;

/** The one error shape people see (ARCHITECTURE rule 8). */
export const ProblemSchema = z.object({
  code: z.string(),
  title: z.string(),
  detail: z.string(),
  nextSteps: z.array(z.string()),
  /** A page (https) that helps with this problem, e.g. Apple's support article for a restore error. */
  helpUrl: z.string().startsWith('https://').max(2000).optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

export const NoArguments = z.object({}).strict();

/**
 * A file or folder on this computer, by its full path (POSIX `/…` or Windows `C:\…`), never relative to wherever the
 * engine happens to run, and never a network share or device: common/full-path.ts is the rule. The engine receives
 * the path normalised.
 */
export const FullPathSchema = z.string().transform((path, context) => {
  const checked = checkFullPath(path);
  if (checked.ok) return checked.path;
  context.addIssue({ code: 'custom', message: checked.message });
  return z.NEVER;
});

/** A phone as the contract names it: the registry's id (ECID hex, or UDID until the ECID is known). */
export const PhoneIdSchema = z.string().min(1).max(64);

/**
 * Cancelled is its own outcome, never a failure (ARCHITECTURE rule 7). Interrupted: the engine process stopped
 * under the job (a crash), so nobody knows how far it got; its Problem says what to do next.
 */
export const JobStateSchema = z.enum(['running', 'succeeded', 'failed', 'cancelled', 'interrupted']);

export const JobSummarySchema = z.object({
  job: z.string(),
  /** e.g. 'backup', 'firmware.download', 'coach' */
  kind: z.string(),
  title: z.string(),
  phoneId: z.string().nullable(),
  state: JobStateSchema,
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  progress: ProgressSchema.nullable(),
  problem: ProblemSchema.nullable(),
  /** A small JSON summary of what the job produced (kind-specific; documented with each kind). */
  result: z.unknown().optional(),
});
export type JobSummary = z.infer<typeof JobSummarySchema>;
