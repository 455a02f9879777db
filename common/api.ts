/**
 * THE contract between the user interface and the engine. Every transport (Electron IPC, the
 * loopback WebSocket bridge, the in-process CLI client) carries exactly these commands and events.
 * Everything here is JSON-serialisable; every request is validated by its schema at the boundary.
 */
import { z } from 'zod';
import { HostStatusSchema, PhoneSchema } from './phone';

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
  message: z.string(),
});
export type Progress = z.infer<typeof ProgressSchema>;

/** The one error shape people see (ARCHITECTURE rule 8). */
export const ProblemSchema = z.object({
  code: z.string(),
  title: z.string(),
  detail: z.string(),
  nextSteps: z.array(z.string()),
});
export type Problem = z.infer<typeof ProblemSchema>;

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.enum(['darwin', 'win32', 'linux', 'other']),
  transport: z.enum(['electron', 'web-bridge', 'in-process']),
  demo: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

const NoArguments = z.object({}).strict();

/** Practice mode (virtual phones only): what the person could do with a real phone in their hands. */
export const PracticeActionSchema = z.enum(['plug', 'unplug', 'enter-recovery', 'restart', 'enter-passcode']);
export type PracticeAction = z.infer<typeof PracticeActionSchema>;

export const PracticePhoneSchema = z.object({ id: z.string(), name: z.string(), plugged: z.boolean() });
export type PracticePhone = z.infer<typeof PracticePhoneSchema>;

/** Commands: request → response. Add a row here and the compiler walks you through every transport. */
export const commandSchemas = {
  'app.info': { request: NoArguments, response: AppInfoSchema },
  'devices.list': { request: NoArguments, response: z.array(PhoneSchema) },
  'host.status': { request: NoArguments, response: HostStatusSchema },
  'practice.phones': { request: NoArguments, response: z.array(PracticePhoneSchema) },
  'practice.act': {
    request: z.object({ phoneId: z.string().min(1).max(64), action: PracticeActionSchema }).strict(),
    response: z.object({ done: z.literal(true) }),
  },
} as const;

/** Events: what the engine pushes. Subscriptions return an unsubscribe function. */
export const eventSchemas = {
  'devices.changed': z.array(PhoneSchema),
  'host.status': HostStatusSchema,
  progress: ProgressSchema,
} as const;

export type CommandName = keyof typeof commandSchemas;
export type CommandRequest<C extends CommandName> = z.input<(typeof commandSchemas)[C]['request']>;
export type CommandResponse<C extends CommandName> = z.infer<(typeof commandSchemas)[C]['response']>;
export type EventName = keyof typeof eventSchemas;
export type EventPayload<E extends EventName> = z.infer<(typeof eventSchemas)[E]>;
export type Unsubscribe = () => void;

/** What the renderer (and the CLI) hold: `window.lifeline` has exactly this shape. */
export interface LifelineApi {
  invoke<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<CommandResponse<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe;
}

/** On the wire, answers travel as an envelope so a Problem keeps its shape across every transport. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; problem: Problem };

export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.title}: ${problem.detail}`);
    this.name = 'ProblemError';
  }
}

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && Object.hasOwn(commandSchemas, value);
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(eventSchemas, value);
}

/** Client side of every transport: turn an envelope back into a value or a thrown ProblemError. */
export function openEnvelope<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw new ProblemError(envelope.problem);
}

/** Progress is coalesced to at most this rate by every transport. */
export const MAX_PROGRESS_HZ = 20;

/**
 * Reads the Problem out of a rejection from any transport. (Across Electron's context bridge an
 * Error loses its fields, so the preload rejects with a plain `{ problem }` object instead.)
 */
export function problemOf(error: unknown): Problem | null {
  if (typeof error === 'object' && error !== null && 'problem' in error) {
    const parsed = ProblemSchema.safeParse((error as { problem: unknown }).problem);
    if (parsed.success) return parsed.data;
  }
  return null;
}
