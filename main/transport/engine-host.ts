import type { Unsubscribe } from '../../common/api';
import { renderProblem } from '../../common/problems/catalog';
import type { Engine } from '../rescue/engine';
import type { TransportKind } from '../rescue/engine-ports';
import { dispatch, problemFrom, subscribe } from './dispatcher';
import type { EnginePort } from './engine-port';
import { decodeAppToEngine, encodeEngineMessage, type AppToEngineMessage, type EngineToAppMessage } from './engine-port-protocol';

export type EngineHostOptions = {
  /** What `app.info` reports as the transport (the app's window reaches the engine through Electron). */
  transport: TransportKind;
  log?: (line: string) => void;
};

export type EngineHost = {
  /** Settles once the engine is closed (shutdown asked, or the app went away): the exit code to end with. */
  closed: Promise<number>;
};

/**
 * Serves one Engine over a port, inside the engine process. Every command goes through the shared
 * dispatcher (the one place arguments are validated) and every event through its subscribe (progress
 * coalesced there); messages that fail the port protocol are refused and logged, never acted on.
 */
export function serveEngineHost(port: EnginePort, startEngine: () => Promise<Engine>, options: EngineHostOptions): EngineHost {
  const log = options.log ?? (() => undefined);
  const subscriptions = new Map<string, Unsubscribe>();
  let finish: (code: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => (finish = resolve));
  let closing: Promise<void> | null = null;

  const post = (message: EngineToAppMessage): void => {
    let text = encodeEngineMessage(message);
    if (text === null && message.type === 'result') {
      text = encodeEngineMessage({
        type: 'result',
        id: message.id,
        envelope: {
          ok: false,
          problem: renderProblem('answer-too-large'),
        },
      });
    }
    if (text === null) {
      log(`engine host: dropped an unsendable ${message.type} message`);
      return;
    }
    try {
      port.postMessage(text);
    } catch (error) {
      log(`engine host: could not send (${error instanceof Error ? error.message : String(error)})`);
    }
  };

  const engineReady = startEngine();
  engineReady.then(
    () => post({ type: 'ready' }),
    (error: unknown) => {
      post({ type: 'fatal', problem: problemFrom(error) });
      finish(1);
    },
  );

  const shutdown = (engine: Engine): Promise<void> => {
    closing ??= (async () => {
      for (const off of subscriptions.values()) off();
      subscriptions.clear();
      offMessage();
      offClose();
      try {
        await engine.close();
      } finally {
        finish(0);
      }
    })();
    return closing;
  };

  const handle = (engine: Engine, message: AppToEngineMessage): void => {
    if (closing) return;
    switch (message.type) {
      case 'invoke':
        void dispatch(engine, { transport: options.transport }, message.command, message.request).then((envelope) =>
          post({ type: 'result', id: message.id, envelope }),
        );
        return;
      case 'subscribe': {
        if (subscriptions.has(message.event)) return;
        const event = message.event;
        try {
          subscriptions.set(
            event,
            subscribe(engine, event, (payload) => post({ type: 'event', event, payload })),
          );
        } catch {
          log(`engine host: refused a subscription to an unknown event "${event.slice(0, 100)}"`);
        }
        return;
      }
      case 'unsubscribe':
        subscriptions.get(message.event)?.();
        subscriptions.delete(message.event);
        return;
      case 'shutdown':
        void shutdown(engine);
        return;
    }
  };

  // Messages are handled in arrival order, each once the engine is up; none is acted on if it never starts.
  const offMessage = port.onMessage((raw) => {
    const decoded = decodeAppToEngine(raw);
    if (!decoded.ok) {
      log(`engine host: refused a message (${decoded.reason})`);
      return;
    }
    void engineReady.then(
      (engine) => handle(engine, decoded.message),
      () => undefined,
    );
  });
  const offClose = port.onClose(() => {
    void engineReady.then(
      (engine) => shutdown(engine),
      () => undefined,
    );
  });

  return { closed };
}
