import {
  MAX_PROGRESS_HZ,
  commandSchemas,
  eventSchemas,
  isCommandName,
  isEventName,
  type CommandName,
  type Envelope,
  type EventName,
  type EventPayload,
  type LifelineApi,
  type Problem,
  ProblemError,
  type Unsubscribe,
} from '../../common/api';
import { renderProblem } from '../../common/problems/catalog';
import { log } from '../log/log';
import type { Engine } from '../rescue/engine';
import type { CallContext } from '../rescue/engine-ports';
import { problemFrom } from '../rescue/problems';

export { problemFrom };
import { coalesceProgress } from './progress-coalescer';

/**
 * The boundary every transport shares: validates the command name and its arguments (they may
 * come from a compromised renderer or a stray web page), runs the engine, and wraps the outcome.
 */
export async function dispatch(engine: Engine, context: CallContext, command: unknown, request: unknown): Promise<Envelope<unknown>> {
  if (!isCommandName(command)) return { ok: false, problem: unknownCommandProblem(command) };
  const parsed = commandSchemas[command].request.safeParse(request ?? {});
  if (!parsed.success) {
    // Never the request itself, nor zod's words about it: some requests carry a password.
    log.warn('command.refused', {
      command,
      code: 'bad-request',
      fields: parsed.error.issues.map((issue) => issue.path.join('.')).slice(0, 10),
    });
    return {
      ok: false,
      problem: renderProblem('bad-request', { command, issue: parsed.error.message }),
    };
  }
  try {
    const handler = engine.handlers[command] as (request: unknown, context: CallContext) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data, context) };
  } catch (error) {
    const problem = problemFrom(error);
    log.warn('command.failed', { command, code: problem.code, cause: error instanceof Error ? (error.cause ?? error) : null });
    return { ok: false, problem };
  }
}

export function unknownCommandProblem(command: unknown): Problem {
  return renderProblem('unknown-command', { command: String(command) });
}

/**
 * The boundary for a transport that holds a `LifelineApi` rather than an Engine (the app's IPC in front of the
 * engine process): the same envelope, the thrown Problem kept as it is.
 */
export async function forward(api: LifelineApi, command: unknown, request: unknown): Promise<Envelope<unknown>> {
  if (!isCommandName(command)) return { ok: false, problem: unknownCommandProblem(command) };
  try {
    return { ok: true, value: await api.invoke(command, (request ?? {}) as never) };
  } catch (error) {
    return { ok: false, problem: problemFrom(error) };
  }
}

/**
 * Subscribes a transport to one event. Progress is coalesced to MAX_PROGRESS_HZ per job so a
 * chatty job cannot flood a renderer; other events pass as they come.
 */
export function subscribe<E extends EventName>(engine: Engine, event: unknown, send: (payload: EventPayload<E>) => void): Unsubscribe {
  if (!isEventName(event)) throw new ProblemError('unknown-event', { event: String(event) });
  if (event === 'progress') {
    const coalescer = coalesceProgress(1000 / MAX_PROGRESS_HZ, send as (payload: EventPayload<'progress'>) => void);
    const off = engine.on('progress', coalescer.push);
    return () => {
      off();
      coalescer.stop();
    };
  }
  return engine.on(event as E, send);
}

export function commandNames(): CommandName[] {
  return Object.keys(commandSchemas) as CommandName[];
}

export function eventNames(): EventName[] {
  return Object.keys(eventSchemas) as EventName[];
}
