import { z } from 'zod';
import { ProblemSchema } from '../../common/api';

/**
 * What travels between the app and its engine process. Each message is one JSON string, bounded before it
 * is parsed, then checked by these schemas on whichever side receives it: the app does not trust an engine
 * that handles hostile phones, and the engine does not trust what the app relays from a renderer.
 */
export const ENGINE_PORT_MAX_MESSAGE_CHARS = 4 * 1024 * 1024;

const Name = z.string().min(1).max(100);
const CallId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** App → engine. */
export const AppToEngineMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('invoke'), id: CallId, command: Name, request: z.unknown() }).strict(),
  z.object({ type: z.literal('subscribe'), event: Name }).strict(),
  z.object({ type: z.literal('unsubscribe'), event: Name }).strict(),
  /** Cancel every job, close the engine, exit. */
  z.object({ type: z.literal('shutdown') }).strict(),
]);
export type AppToEngineMessage = z.infer<typeof AppToEngineMessageSchema>;

const EnvelopeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }).strict(),
  z.object({ ok: z.literal(false), problem: ProblemSchema }).strict(),
]);

/** Engine → app. */
export const EngineToAppMessageSchema = z.discriminatedUnion('type', [
  /** The engine is composed and listening. */
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('result'), id: CallId, envelope: EnvelopeSchema }).strict(),
  z.object({ type: z.literal('event'), event: Name, payload: z.unknown() }).strict(),
  /** The engine could not start; the process exits after this. */
  z.object({ type: z.literal('fatal'), problem: ProblemSchema }).strict(),
]);
export type EngineToAppMessage = z.infer<typeof EngineToAppMessageSchema>;

export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: string };

/** JSON text of a message, or null when it cannot be sent (not JSON-serialisable, or over the size bound). */
export function encodeEngineMessage(message: AppToEngineMessage | EngineToAppMessage): string | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch {
    return null;
  }
  return text !== undefined && text.length <= ENGINE_PORT_MAX_MESSAGE_CHARS ? text : null;
}

export function decodeAppToEngine(raw: unknown): Decoded<AppToEngineMessage> {
  return decode(raw, AppToEngineMessageSchema);
}

export function decodeEngineToApp(raw: unknown): Decoded<EngineToAppMessage> {
  return decode(raw, EngineToAppMessageSchema);
}

function decode<T>(raw: unknown, schema: z.ZodType<T>): Decoded<T> {
  if (typeof raw !== 'string') return { ok: false, reason: 'not a string' };
  if (raw.length > ENGINE_PORT_MAX_MESSAGE_CHARS) return { ok: false, reason: `over ${ENGINE_PORT_MAX_MESSAGE_CHARS} characters` };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, message: parsed.data } : { ok: false, reason: parsed.error.message.slice(0, 300) };
}
