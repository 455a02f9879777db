import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { LifelineApi } from '../../../common/api';

// The one place a test stands in for Electron: ipcMain is a plain registry of handlers here.
const handlers = new Map<string, (...args: unknown[]) => unknown>();
const listeners = new EventEmitter();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: (...args: unknown[]) => unknown) => handlers.set(channel, handler),
    removeHandler: (channel: string) => handlers.delete(channel),
    on: (channel: string, listener: (...args: unknown[]) => void) => listeners.on(channel, listener),
    removeAllListeners: (channel: string) => listeners.removeAllListeners(channel),
  },
}));

const { registerIpc } = await import('../../../main/app/ipc');
const { Engine } = await import('../../../main/rescue/engine');
const { createInProcessClient } = await import('../../../main/transport/in-process');
const electronClient = (engine: InstanceType<typeof Engine>) => createInProcessClient(engine, { transport: 'electron' });
const { IPC_EVENT, IPC_INVOKE, IPC_SUBSCRIBE } = await import('../../../common/ipc-channels');
const { ProblemError } = await import('../../../common/api');

function sender(url: string, isTop = true) {
  const contents = Object.assign(new EventEmitter(), { send: vi.fn(), isDestroyed: () => false });
  return { senderFrame: { url, parent: isTop ? null : {} }, sender: contents };
}

describe('Electron IPC wrapper', () => {
  beforeEach(() => {
    handlers.clear();
    listeners.removeAllListeners();
  });

  it('answers the app’s own top frame through the shared dispatcher', async () => {
    registerIpc(electronClient(new Engine({ version: '3.2.1' })));
    const reply = await handlers.get(IPC_INVOKE)!(sender('app://lifeline/index.html'), 'app.info', {});
    expect(reply).toMatchObject({ ok: true, value: { version: '3.2.1', transport: 'electron' } });
  });

  it('refuses senders that are not the app’s top frame, before any argument is looked at', async () => {
    const engine = new Engine({ version: '1' });
    const spy = vi.spyOn(engine.handlers, 'app.info');
    registerIpc(electronClient(engine));
    for (const event of [sender('https://evil.example/'), sender('app://lifeline/index.html', false), sender('file:///tmp/x.html')]) {
      expect(await handlers.get(IPC_INVOKE)!(event, 'app.info', {})).toMatchObject({ ok: false, problem: { code: 'untrusted-sender' } });
    }
    expect(spy).not.toHaveBeenCalled();
  });

  it('validates arguments from a trusted sender too', async () => {
    registerIpc(electronClient(new Engine({ version: '1' })));
    expect(await handlers.get(IPC_INVOKE)!(sender('app://lifeline/'), 'devices.list', { rogue: 1 })).toMatchObject({
      ok: false,
      problem: { code: 'bad-request' },
    });
  });

  it('delivers subscribed events only to a trusted sender, and stops when its page goes away', () => {
    const engine = new Engine({ version: '1' });
    registerIpc(electronClient(engine));
    const trusted = sender('app://lifeline/index.html');
    const stranger = sender('https://evil.example/');
    listeners.emit(IPC_SUBSCRIBE, trusted, 'devices.changed');
    listeners.emit(IPC_SUBSCRIBE, stranger, 'devices.changed');
    engine.emit('devices.changed', []);
    expect(trusted.sender.send).toHaveBeenCalledWith(IPC_EVENT, 'devices.changed', []);
    expect(stranger.sender.send).not.toHaveBeenCalled();
    trusted.sender.emit('destroyed');
    engine.emit('devices.changed', []);
    expect(trusted.sender.send).toHaveBeenCalledTimes(1);
  });
});

describe('Electron IPC in front of the engine process', () => {
  beforeEach(() => {
    handlers.clear();
    listeners.removeAllListeners();
  });

  it('passes a Problem from the engine process through unchanged, and refuses unknown commands before forwarding', async () => {
    const problem = {
      code: 'engine-stopped',
      title: 'Lifeline’s engine stopped while answering',
      detail: 'x',
      nextSteps: ['Try again in a moment.'],
    };
    const invoke = vi.fn(async () => {
      throw ProblemError.forward(problem);
    });
    registerIpc({ invoke, on: () => () => undefined } as LifelineApi);
    expect(await handlers.get(IPC_INVOKE)!(sender('app://lifeline/'), 'devices.list', {})).toEqual({ ok: false, problem });
    expect(await handlers.get(IPC_INVOKE)!(sender('app://lifeline/'), { not: 'a name' }, {})).toMatchObject({
      ok: false,
      problem: { code: 'unknown-command' },
    });
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it('delivers engine.status to the app’s window and ignores names outside the contract', () => {
    const subscribed: string[] = [];
    const statusListeners: Array<(payload: unknown) => void> = [];
    registerIpc({
      invoke: async () => undefined,
      on: (event: string, listener: (payload: unknown) => void) => {
        subscribed.push(event);
        if (event === 'engine.status') statusListeners.push(listener);
        return () => undefined;
      },
    } as unknown as LifelineApi);
    const trusted = sender('app://lifeline/index.html');
    listeners.emit(IPC_SUBSCRIBE, trusted, 'engine.status');
    listeners.emit(IPC_SUBSCRIBE, trusted, 'no.such.event');
    statusListeners[0]!({ state: 'restarting', reason: 'The engine process stopped (signal SIGKILL).' });
    expect(subscribed).toEqual(['engine.status']);
    expect(trusted.sender.send).toHaveBeenCalledWith(IPC_EVENT, 'engine.status', {
      state: 'restarting',
      reason: 'The engine process stopped (signal SIGKILL).',
    });
  });
});
