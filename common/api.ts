/**
 * THE contract between the user interface and the engine. Every transport (Electron IPC, the
 * loopback WebSocket bridge, the in-process CLI client) carries exactly these commands and events.
 * Everything here is JSON-serialisable; every request is validated by its schema at the boundary.
 *
 * Each domain declares its commands and events in common/contract/<domain>.ts; this file composes them.
 */
import type { z } from 'zod';
import { coreCommands, coreEvents } from './contract/core';
import { practiceCommands, practiceEvents } from './contract/practice';
import { coachCommands, coachEvents } from './contract/coach';
import { backupCommands, backupEvents } from './contract/backup';
import { dfuCommands, dfuEvents } from './contract/dfu';
import { restoreCommands, restoreEvents } from './contract/restore';
import { firmwareCommands, firmwareEvents } from './contract/firmware';
import { journeyCommands, journeyEvents } from './contract/journey';
import { diagnosticsCommands, diagnosticsEvents } from './contract/diagnostics';
import { desktopCommands, desktopEvents } from './contract/desktop';
import { backupContentsCommands, backupContentsEvents } from './contract/backup-contents';
import { activationLockCommands, activationLockEvents } from './contract/activation-lock';
import { ProblemSchema, type Problem } from './contract/shapes';
import { ProblemError } from './problems/problem-error';

export * from './contract/shapes';
export * from './contract/core';
export * from './contract/practice';
export * from './contract/coach';
export * from './contract/backup';
export * from './contract/dfu';
export * from './contract/restore';
export * from './contract/firmware';
export * from './contract/journey';
export * from './contract/diagnostics';
export * from './contract/desktop';
export * from './contract/backup-contents';
export * from './contract/activation-lock';
export { ProblemError, type ProblemErrorOptions } from './problems/problem-error';
export type { ProblemCode } from './problems/catalog';

/** Commands: request → response. Add a row in a contract file and the compiler walks you through every transport. */
export const commandSchemas = {
  ...coreCommands,
  ...practiceCommands,
  ...coachCommands,
  ...backupCommands,
  ...dfuCommands,
  ...restoreCommands,
  ...firmwareCommands,
  ...journeyCommands,
  ...diagnosticsCommands,
  ...desktopCommands,
  ...backupContentsCommands,
  ...activationLockCommands,
} as const;

/** Events: what the engine pushes. Subscriptions return an unsubscribe function. */
export const eventSchemas = {
  ...coreEvents,
  ...practiceEvents,
  ...coachEvents,
  ...backupEvents,
  ...dfuEvents,
  ...restoreEvents,
  ...firmwareEvents,
  ...journeyEvents,
  ...diagnosticsEvents,
  ...desktopEvents,
  ...backupContentsEvents,
  ...activationLockEvents,
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

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && Object.hasOwn(commandSchemas, value);
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(eventSchemas, value);
}

/** Client side of every transport: turn an envelope back into a value or a thrown ProblemError. */
export function openEnvelope<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw ProblemError.forward(envelope.problem);
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
