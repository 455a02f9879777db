/** The coach: timed button guidance into recovery or DFU mode, refereed by the USB bus; recovery shortcuts. */
import { z } from 'zod';
import { ButtonFamilySchema, PhoneModeSchema } from '../phone';
import { PhoneIdSchema } from './shapes';

export const CoachGoalSchema = z.enum(['recovery', 'dfu-assisted', 'dfu-manual']);
export const CoachButtonSchema = z.enum(['home', 'power', 'volumeUp', 'volumeDown']);

export const CoachStepSchema = z.object({
  id: z.string(),
  kind: z.enum(['get-ready', 'tap', 'hold']),
  durationMs: z.number().nonnegative(),
  buttons: z.array(CoachButtonSchema),
  prepare: z.array(CoachButtonSchema),
  text: z.string(),
  cue: z.string(),
  appRebootAtMs: z.number().nonnegative().nullable(),
  stopsOn: z.enum(['dfu', 'recovery']).nullable(),
});

export const CoachPlanSchema = z.object({
  goal: CoachGoalSchema,
  family: ButtonFamilySchema,
  productType: z.string(),
  modelName: z.string(),
  buttonNames: z.partialRecord(CoachButtonSchema, z.string()),
  powerButtonAt: z.enum(['top', 'side']),
  hasHomeButton: z.boolean(),
  startsFrom: z.enum(['recovery', 'any']),
  steps: z.array(CoachStepSchema),
  totalMs: z.number().nonnegative(),
  timeScale: z.number().positive(),
  expectedScreen: z.string(),
  safety: z.array(z.string()),
  gettingOut: z.array(z.string()),
});

/** What the USB bus showed, read per docs/protocols/coach.md#outcome-table. */
export const CoachOutcomeKindSchema = z.enum(['dfu', 'recovery', 'normal', 'nothing', 'no-restart']);

export const CoachOutcomeSchema = z.object({
  kind: CoachOutcomeKindSchema,
  /** The goal was reached. */
  success: z.boolean(),
  /** Tell the person to let go of every button now. */
  letGo: z.boolean(),
  headline: z.string(),
  detail: z.string(),
  nextSteps: z.array(z.string()),
  /** Show the cable / port / driver checklist (after "nothing", or after two misses). */
  showHostChecks: z.boolean(),
});

export const CoachAttemptStateSchema = z.enum(['running', 'watching', 'finished', 'cancelled']);

export const CoachAttemptSchema = z.object({
  attempt: z.string(),
  /** The job that runs the attempt (cancel with jobs.cancel). */
  job: z.string(),
  phoneId: z.string(),
  plan: CoachPlanSchema,
  state: CoachAttemptStateSchema,
  /** Milliseconds since the attempt started, on the engine's monotonic clock, when this snapshot was taken. */
  elapsedMs: z.number().nonnegative(),
  /** The phone as the referee sees it now (same ECID). */
  phone: z.object({ connected: z.boolean(), mode: PhoneModeSchema }),
  outcome: CoachOutcomeSchema.nullable(),
  /** What happened, in order, in plain words (restart sent, phone left the bus, another phone appeared…). */
  notes: z.array(z.string()),
  /** Misses in a row for this phone before this attempt (the checklist comes first after two). */
  missesBefore: z.number().int().nonnegative(),
});

/** The host checks (docs/protocols/coach.md#host-checks), for this computer and phone. */
export const HostChecklistSchema = z.array(z.object({ id: z.string(), title: z.string(), detail: z.string() }));

export const coachCommands = {
  /** A plan for a connected phone (phoneId) or for a model by ProductType (no phone needed). */
  'coach.plan': {
    request: z
      .object({ phoneId: PhoneIdSchema.optional(), productType: z.string().min(1).max(32).optional(), goal: CoachGoalSchema })
      .strict()
      .refine((r) => r.phoneId !== undefined || r.productType !== undefined, 'phoneId or productType is needed'),
    response: z.object({ plan: CoachPlanSchema, hostChecks: HostChecklistSchema, missesInARow: z.number().int().nonnegative() }),
  },
  /** Starts the countdown now (the lead-in is its first step) and referees the phone until an outcome. */
  'coach.start': {
    request: z.object({ phoneId: PhoneIdSchema, goal: CoachGoalSchema }).strict(),
    response: CoachAttemptSchema,
  },
  /** Attempts still running or recently finished. */
  'coach.attempts': { request: z.object({}).strict(), response: z.array(CoachAttemptSchema) },
  /** Lockdown EnterRecovery for a trusted phone (a job). */
  'recovery.enter': { request: z.object({ phoneId: PhoneIdSchema }).strict(), response: z.object({ job: z.string() }) },
  /** setenv auto-boot true, saveenv, reboot (a job): out of a recovery loop without erasing anything. */
  'recovery.exit': { request: z.object({ phoneId: PhoneIdSchema }).strict(), response: z.object({ job: z.string() }) },
} as const;

export const coachEvents = {
  'coach.changed': CoachAttemptSchema,
} as const;

export type CoachGoalName = z.infer<typeof CoachGoalSchema>;
export type CoachOutcome = z.infer<typeof CoachOutcomeSchema>;
export type CoachOutcomeKind = z.infer<typeof CoachOutcomeKindSchema>;
export type CoachAttempt = z.infer<typeof CoachAttemptSchema>;
export type HostChecklist = z.infer<typeof HostChecklistSchema>;
