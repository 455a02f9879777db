import { WebSocket } from 'ws';
import { openEnvelope, type Envelope, type EventName, type LifelineApi } from '../../common/api';
import type { RunningBridge } from './web-bridge-fixture';

/**
 * The spec's own line to the engine, beside the page's: it watches the journey as the engine tells it and does to
 * the practice phones what a person's hands would (pull the cable at a moment). It never presses the app's buttons.
 */
export type BridgeClient = LifelineApi & { close(): void };

export async function connectBridge(bridge: RunningBridge): Promise<BridgeClient> {
  const token = new URL(bridge.url).hash.replace(/^#token=/, '');
  const ws = new WebSocket(`${bridge.origin.replace(/^http/, 'ws')}/bridge?token=${encodeURIComponent(token)}`, { origin: bridge.origin });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let nextId = 1;
  ws.on('message', (raw) => {
    const data = JSON.parse(String(raw)) as
      { type: 'result'; id: number; envelope: Envelope<unknown> } | { type: 'event'; event: string; payload: unknown };
    if (data.type === 'event') {
      for (const listener of listeners.get(data.event) ?? []) listener(data.payload);
      return;
    }
    const waiter = pending.get(data.id);
    pending.delete(data.id);
    try {
      waiter?.resolve(openEnvelope(data.envelope));
    } catch (error) {
      waiter?.reject(error as Error);
    }
  });
  ws.on('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('the bridge closed'));
    pending.clear();
  });
  return {
    invoke(command, request) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        ws.send(JSON.stringify({ type: 'invoke', id, command, request }));
      });
    },
    on(event: EventName, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
        ws.send(JSON.stringify({ type: 'subscribe', event }));
      }
      const callback = listener as (payload: unknown) => void;
      set.add(callback);
      return () => set.delete(callback);
    },
    close: () => ws.close(),
  };
}
