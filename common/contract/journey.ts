/**
 * The rescue journey: one guided path per phone, from plug-in to a new passcode (docs/journey.md). The engine runs
 * one statechart per phone, saves it on every step and resumes it after a crash; the UI and the CLI render the
 * snapshot below and send the one action the person chose.
 */
import { z } from 'zod';
import { PhoneModeSchema } from '../phone';
import { PhoneIdSchema, ProblemSchema, ProgressSchema } from './shapes';

/**
 * The steps of the stepper, in order (`stepIndex` counts from 0): plug in, what can be saved, back up (backingUp,
 * backupFailed, backupPassword, checkingPassword), get iOS ready, before we erase, into recovery / DFU, restore,
 * data back, new passcode, done.
 */
export const JOURNEY_STEPS = [
  'connect',
  'save',
  'backup',
  'firmware',
  'confirm',
  'recovery',
  'restore',
  'data',
  'passcode',
  'done',
] as const;
export const JourneyStepSchema = z.enum(JOURNEY_STEPS);
export type JourneyStep = z.infer<typeof JourneyStepSchema>;

/** Every state of the chart (docs/journey.md has the diagram). Each failure is a state of its own with a way forward. */
export const JOURNEY_STATES = [
  'waitingForPhone',
  'assessing',
  'choosing',
  'noBackupWarning',
  'backingUp',
  'backupFailed',
  'backupPassword',
  'checkingPassword',
  'preparingFirmware',
  'firmwareFailed',
  'confirmErase',
  'choosingRecoveryPath',
  'enteringRecovery',
  'coachReady',
  'coaching',
  'coachMissed',
  'restoring',
  'restoreFailed',
  'restoringData',
  'dataFailed',
  'newPasscode',
  'done',
  'cancelled',
] as const;
export const JourneyStateSchema = z.enum(JOURNEY_STATES);
export type JourneyState = z.infer<typeof JourneyStateSchema>;

/** What a person can do. `journey.act` takes one of these; the snapshot lists the ones that make sense now. */
export const JOURNEY_ACTIONS = [
  'backUp',
  'useBackup',
  'continueWithoutBackup',
  'acceptNoBackup',
  'checkPassword',
  'confirmErase',
  'startCoach',
  'skipBackupRestore',
  'passcodeSet',
  'retry',
  'chooseAnotherPath',
  'goBack',
  'cancel',
  'startOver',
] as const;
export const JourneyActionIdSchema = z.enum(JOURNEY_ACTIONS);
export type JourneyActionId = z.infer<typeof JourneyActionIdSchema>;

export const JourneyActionSchema = z.object({
  id: JourneyActionIdSchema,
  /** The button's words ("Back up now", "Use the backup from 3 May"). */
  label: z.string(),
  /** For `useBackup`: which backup this button picks. */
  backupId: z.string().optional(),
  /** Irreversible (the erase): render as a danger button behind its typed confirmation. */
  destructive: z.boolean().optional(),
});
export type JourneyAction = z.infer<typeof JourneyActionSchema>;

/** The phone's data, in one line: "Your photos: saved in a backup from today" / "not saved yet" / "cannot be saved — …". */
export const JourneySafetySchema = z.object({
  status: z.enum(['saved', 'not-saved', 'cannot-be-saved', 'unknown']),
  line: z.string(),
});
export type JourneySafety = z.infer<typeof JourneySafetySchema>;

/** A backup the journey can bring back. */
export const JourneyBackupSchema = z.object({
  id: z.string(),
  date: z.string().nullable(),
  sizeBytes: z.number().nonnegative().nullable(),
  encrypted: z.boolean().nullable(),
  /** "the backup from 3 May 2025" */
  label: z.string(),
});
export type JourneyBackup = z.infer<typeof JourneyBackupSchema>;

/** What the "Before we erase" screen says; the erase is confirmed by typing `phrase`. */
export const JourneyConfirmationSchema = z.object({
  willBeLost: z.array(z.string()),
  comesBack: z.string(),
  activationLock: z.string(),
  phrase: z.string(),
});

export const JourneySnapshotSchema = z.object({
  /** The registry's phone id (the one `journey.act` takes). */
  phoneId: z.string(),
  /** The phone's opaque public id (`ph-…`): the name of its journey file, the id `--json` prints. */
  publicId: z.string(),
  /** "Anna's iPhone" or the model's name. */
  name: z.string(),
  modelName: z.string(),
  mode: PhoneModeSchema,
  connected: z.boolean(),
  state: JourneyStateSchema,
  step: JourneyStepSchema,
  stepIndex: z.number().int().nonnegative(),
  stepTotal: z.number().int().positive(),
  /** The screen's headline and one short line under it. */
  title: z.string(),
  message: z.string(),
  safety: JourneySafetySchema,
  /** The job running for this step (backup, firmware, recovery, coach, restore, putting data back), if any. */
  job: z.string().nullable(),
  progress: ProgressSchema.nullable(),
  problem: ProblemSchema.nullable(),
  /** Said once after a resume ("Lifeline was closed during the restore; it continues now"). */
  notice: z.string().nullable(),
  /** The one primary action; null while Lifeline works (nothing to press). */
  next: JourneyActionSchema.nullable(),
  /** Quiet links. */
  secondary: z.array(JourneyActionSchema),
  /** Backups of this phone on this computer (choosing), newest first. */
  backups: z.array(JourneyBackupSchema),
  /** The backup that comes back after the restore (null: none). */
  chosenBackup: JourneyBackupSchema.nullable(),
  firmware: z.object({ version: z.string(), build: z.string() }).nullable(),
  /** Present in confirmErase. */
  confirmation: JourneyConfirmationSchema.nullable(),
  /** The coach attempt to show in coaching / coachMissed (coach.changed carries its live snapshot). */
  coachAttempt: z.string().nullable(),
  /** Present in newPasscode: where the setting is on this iOS, in steps. */
  passcodeGuidance: z.array(z.string()).nullable(),
  updatedAt: z.string(),
});
export type JourneySnapshot = z.infer<typeof JourneySnapshotSchema>;

export const JourneyActRequestSchema = z
  .object({
    phoneId: PhoneIdSchema,
    action: JourneyActionIdSchema,
    /** useBackup: which one. */
    backupId: z.string().min(1).max(200).optional(),
    /** checkPassword: the encrypted backup's password (held in memory for this journey only; never saved or logged). */
    password: z.string().min(1).max(4096).optional(),
    /** confirmErase: what the person typed; must equal the confirmation's phrase. */
    typed: z.string().max(200).optional(),
  })
  .strict();
export type JourneyActRequest = z.infer<typeof JourneyActRequestSchema>;

export const journeyCommands = {
  /** Every phone's journey (running, waiting for its phone, or finished and not yet forgotten). */
  'journey.list': { request: z.object({}).strict(), response: z.array(JourneySnapshotSchema) },
  /** Starts the journey of a connected phone, or returns the one it already has (resumed after a crash). */
  'journey.start': { request: z.object({ phoneId: PhoneIdSchema }).strict(), response: JourneySnapshotSchema },
  /** One action of the person; refused with a Problem when it does not fit the state. */
  'journey.act': { request: JourneyActRequestSchema, response: JourneySnapshotSchema },
  /** Forgets a finished or cancelled journey (its saved file goes). */
  'journey.forget': { request: z.object({ phoneId: PhoneIdSchema }).strict(), response: z.object({ forgotten: z.boolean() }) },
} as const;

export const journeyEvents = {
  /** A journey moved, or its progress changed (coalesced like every progress record). */
  'journey.changed': JourneySnapshotSchema,
} as const;
