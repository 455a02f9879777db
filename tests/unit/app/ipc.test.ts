import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';

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
    expect(await handlers.get(IPC_INVOKE)!(sender('app://lifeline/'), 'devices.list', { rogue: 1 })).toMatchObject({ ok: false, problem: { code: 'bad-request' } });
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
