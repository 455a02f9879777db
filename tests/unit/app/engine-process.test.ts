import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';

/** Electron's UtilityProcess, played by an EventEmitter: messages and exit come from the test. */
class FakeUtilityProcess extends EventEmitter {
  readonly posted: unknown[] = [];
  kills = 0;
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  kill(): boolean {
    this.kills++;
    return true;
  }
}

const forks: Array<{ modulePath: string; args: string[]; options: unknown; child: FakeUtilityProcess }> = [];
vi.mock('electron', () => ({
  utilityProcess: {
    fork: (modulePath: string, args: string[], options: unknown) => {
      const child = new FakeUtilityProcess();
      forks.push({ modulePath, args, options, child });
      return child;
    },
  },
}));

const { forkEngineProcess, utilityProcessPort } = await import('../../../main/app/engine-process');
const { engineArguments, engineOptionsFromArguments } = await import('../../../main/transport/engine-arguments');

describe('the engine process under Electron (utilityProcess adapter)', () => {
  it('starts the built engine host with the app’s own options', () => {
    const options = engineOptionsFromArguments(['/opt/Lifeline/lifeline', '--demo', '--usbip', '127.0.0.1:3240']);
    forkEngineProcess('/app/out/main/engine-host.js', engineArguments(options));
    expect(forks.at(-1)).toMatchObject({
      modulePath: '/app/out/main/engine-host.js',
      args: ['--demo', '--usbip=127.0.0.1:3240'],
      options: { serviceName: 'Lifeline engine' },
    });
    expect(engineOptionsFromArguments(engineArguments(options))).toEqual({ demo: true, usbip: '127.0.0.1:3240' });
    expect(engineArguments(engineOptionsFromArguments(['lifeline']))).toEqual([]);
  });

  it('carries messages both ways, reports the exit, and kills at most once', () => {
    const child = new FakeUtilityProcess();
    const port = utilityProcessPort(child);
    const received: unknown[] = [];
    const reasons: string[] = [];
    port.onMessage((message) => received.push(message));
    port.onClose((reason) => reasons.push(reason));
    port.postMessage('{"type":"shutdown"}');
    child.emit('message', '{"type":"ready"}');
    expect(child.posted).toEqual(['{"type":"shutdown"}']);
    expect(received).toEqual(['{"type":"ready"}']);
    port.close();
    child.emit('exit', 9);
    port.close();
    port.postMessage('{"type":"shutdown"}');
    expect(child.kills).toBe(1);
    expect(reasons).toEqual(['The engine process stopped (exit code 9).']);
    expect(child.posted).toHaveLength(1);
  });
});
