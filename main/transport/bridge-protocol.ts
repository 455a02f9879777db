import { z } from 'zod';

/** Messages a browser sends over the loopback bridge. Anything else closes the connection. */
export const BridgeClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('invoke'), id: z.number().int().nonnegative(), command: z.string().max(100), request: z.unknown() }),
  z.object({ type: z.literal('subscribe'), event: z.string().max(100) }),
  z.object({ type: z.literal('unsubscribe'), event: z.string().max(100) }),
]);
export type BridgeClientMessage = z.infer<typeof BridgeClientMessageSchema>;

export const BRIDGE_PATH = '/bridge';
export const BRIDGE_MAX_MESSAGE_BYTES = 1024 * 1024;
