import { openEnvelope, type Envelope, type EventName, type LifelineApi } from '../../common/api';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export type BridgeLocation = { host: string; hash: string; protocol: string };

/**
 * The renderer's transport when it runs in an ordinary browser against `npm run dev:web`.
 * Reconnects with backoff and re-subscribes, so a restarted engine is picked up again.
 */
export function createWebBridgeClient(location: BridgeLocation, onConnectionChange?: (connected: boolean) => void): LifelineApi {
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/bridge?token=${encodeURIComponent(token)}`;
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const outbox: string[] = [];
  let nextId = 1;
  let socket: WebSocket | null = null;
  let retryMs = 250;

  const open = (): void => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener('open', () => {
      retryMs = 250;
      onConnectionChange?.(true);
      for (const event of listeners.keys()) ws.send(JSON.stringify({ type: 'subscribe', event }));
      for (const message of outbox.splice(0)) ws.send(message);
    });
    ws.addEventListener('message', (message) => {
      const data = JSON.parse(String(message.data)) as
        { type: 'result'; id: number; envelope: Envelope<unknown> } | { type: 'event'; event: EventName; payload: unknown };
      if (data.type === 'result') {
        const waiter = pending.get(data.id);
        pending.delete(data.id);
        if (!waiter) return;
        try {
          waiter.resolve(openEnvelope(data.envelope));
        } catch (error) {
          waiter.reject(error as Error);
        }
      } else {
        for (const listener of listeners.get(data.event) ?? []) listener(data.payload);
      }
    });
    ws.addEventListener('close', () => {
      onConnectionChange?.(false);
      for (const waiter of pending.values()) waiter.reject(new Error('Lost the connection to the Lifeline engine'));
      pending.clear();
      setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    });
  };

  const send = (message: object): void => {
    const text = JSON.stringify(message);
    if (socket?.readyState === WebSocket.OPEN) socket.send(text);
    else outbox.push(text);
  };

  open();

  return {
    invoke(command, request) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        send({ type: 'invoke', id, command, request });
      });
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
        send({ type: 'subscribe', event });
      }
      const callback = listener as (payload: unknown) => void;
      set.add(callback);
      return () => {
        set.delete(callback);
        if (set.size === 0) {
          listeners.delete(event);
          send({ type: 'unsubscribe', event });
        }
      };
    },
  };
}
