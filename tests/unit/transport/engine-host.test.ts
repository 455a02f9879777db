import { describe, expect, it } from 'vitest';
import { Engine } from '../../../main/rescue/engine';
import { serveEngineHost } from '../../../main/transport/engine-host';
import { testPort } from './port-pair';

function host(engine = new Engine({ version: '4.5.6' })) {
  const port = testPort();
  const log: string[] = [];
  const served = serveEngineHost(port, async () => engine, { transport: 'electron', log: (line) => log.push(line) });
  const send = (message: unknown): void => port.deliver(JSON.stringify(message));
  return { port, log, served, engine, send };
}

describe('engine host (the engine process’s side of the port)', () => {
  it('says ready, then answers commands through the shared dispatcher', async () => {
    const { port, send } = host();
    expect(await port.next()).toEqual({ type: 'ready' });
    send({ type: 'invoke', id: 3, command: 'app.info', request: {} });
    expect(await port.next()).toMatchObject({
      type: 'result',
      id: 3,
      envelope: { ok: true, value: { version: '4.5.6', transport: 'electron' } },
    });
    send({ type: 'invoke', id: 4, command: 'devices.list', request: { rogue: 1 } });
    expect(await port.next()).toMatchObject({ type: 'result', id: 4, envelope: { ok: false, problem: { code: 'bad-request' } } });
    send({ type: 'invoke', id: 5, command: 'no.such.command', request: {} });
    expect(await port.next()).toMatchObject({
      type: 'result',
      id: 5,
      envelope: { ok: false, problem: { code: 'unknown-command', title: 'Unknown command' } },
    });
  });

  it('refuses messages that break the protocol, and keeps serving', async () => {
    const { port, send, log } = host();
    await port.next();
    for (const raw of [
      { type: 'invoke' },
      'not json',
      '{"type":"eval"}',
      JSON.stringify({ type: 'invoke', id: 1, command: 'app.info', request: {}, extra: 1 }),
    ])
      port.deliver(raw);
    send({ type: 'subscribe', event: 'no.such.event' });
    send({ type: 'invoke', id: 9, command: 'app.info', request: {} });
    expect(await port.next()).toMatchObject({ type: 'result', id: 9, envelope: { ok: true } });
    expect(log.filter((line) => line.includes('refused'))).toHaveLength(5);
    expect(port.sent().filter((message) => message.type === 'result')).toHaveLength(1);
  });

  it('passes on subscribed events only, until unsubscribed', async () => {
    const { port, send, engine } = host();
    await port.next();
    send({ type: 'subscribe', event: 'devices.changed' });
    send({ type: 'invoke', id: 1, command: 'app.info', request: {} });
    await port.next((message) => message.type === 'result');
    engine.emit('host.status', { usb: { state: 'ok' }, usbmux: { state: 'ok' } } as never);
    engine.emit('devices.changed', []);
    expect(await port.next()).toEqual({ type: 'event', event: 'devices.changed', payload: [] });
    send({ type: 'unsubscribe', event: 'devices.changed' });
    send({ type: 'invoke', id: 2, command: 'app.info', request: {} });
    await port.next((message) => message.type === 'result');
    engine.emit('devices.changed', []);
    expect(port.sent().filter((message) => message.type === 'event')).toHaveLength(1);
  });

  it('closes the engine and ends with 0 when asked to shut down, or when the app goes away', async () => {
    for (const stop of ['shutdown', 'app gone'] as const) {
      let closed = 0;
      const engine = new Engine({ version: '1', onClose: async () => void closed++ });
      const { port, send, served } = host(engine);
      await port.next();
      if (stop === 'shutdown') send({ type: 'shutdown' });
      else port.end('The app went away.');
      expect(await served.closed).toBe(0);
      expect(closed).toBe(1);
    }
  });

  it('reports an engine that cannot start as fatal, with its Problem, and ends with 1', async () => {
    const port = testPort();
    const served = serveEngineHost(
      port,
      async () => {
        throw new Error('no USB here');
      },
      { transport: 'electron' },
    );
    port.deliver(JSON.stringify({ type: 'invoke', id: 1, command: 'app.info', request: {} }));
    expect(await served.closed).toBe(1);
    expect(port.sent()).toEqual([
      { type: 'fatal', problem: expect.objectContaining({ code: 'internal', detail: expect.stringContaining('no USB here') }) },
    ]);
  });
});
