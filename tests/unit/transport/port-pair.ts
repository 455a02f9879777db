import { EventEmitter } from 'node:events';
import type { EnginePort } from '../../../main/transport/engine-port';

type Message = Record<string, unknown>;

/** One side of a process channel, driven by a test: it plays the other side. */
export type TestPort = EnginePort & {
  /** Delivers anything (even what the protocol forbids) to this side's listeners, on a later turn as a real channel does. */
  deliver(raw: unknown): void;
  /** The other side goes away with this reason. */
  end(reason: string): void;
  /** The next message this side sent (since the last one taken) that matches, decoded. */
  next(match?: (message: Message) => boolean): Promise<Message>;
  /** Every message this side sent, decoded. */
  sent(): Message[];
  closed: boolean;
};

/**
 * `whenClosed` plays what closing does on the other side (a killed child exits); `whenSent` plays what the other
 * side does with a message at once (an engine asked to shut down exits).
 */
export function testPort(whenClosed?: (port: TestPort) => void, whenSent?: (message: Message, port: TestPort) => void): TestPort {
  const events = new EventEmitter();
  const outbox: string[] = [];
  let cursor = 0;
  const port: TestPort = {
    closed: false,
    postMessage(message) {
      outbox.push(message);
      events.emit('sent');
      whenSent?.(JSON.parse(message) as Message, port);
    },
    onMessage(listener) {
      events.on('message', listener);
      return () => events.off('message', listener);
    },
    onClose(listener) {
      events.once('close', listener);
      return () => events.off('close', listener);
    },
    close() {
      if (port.closed) return;
      port.closed = true;
      whenClosed?.(port);
    },
    deliver(raw) {
      setImmediate(() => events.emit('message', raw));
    },
    end(reason) {
      setImmediate(() => events.emit('close', reason));
    },
    next(match = () => true) {
      return new Promise((resolve) => {
        const scan = (): void => {
          while (cursor < outbox.length) {
            const message = JSON.parse(outbox[cursor++]!) as Message;
            if (match(message)) {
              events.off('sent', scan);
              resolve(message);
              return;
            }
          }
        };
        events.on('sent', scan);
        scan();
      });
    },
    sent: () => outbox.map((text) => JSON.parse(text) as Message),
  };
  return port;
}
