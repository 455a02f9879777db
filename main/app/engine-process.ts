/** The engine process of the desktop app: an Electron utility process, adapted to the port the supervisor speaks. */
import { utilityProcess } from 'electron';
import { exitReason, type EnginePort } from '../transport/engine-port';

/** The parts of Electron's UtilityProcess the port uses (a fake in tests). */
export type UtilityProcessLike = {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
};

export function utilityProcessPort(child: UtilityProcessLike): EnginePort {
  let exited = false;
  child.on('exit', () => (exited = true));
  return {
    postMessage(message) {
      if (!exited) child.postMessage(message);
    },
    onMessage(listener) {
      child.on('message', listener);
      return () => child.off('message', listener);
    },
    onClose(listener) {
      const onExit = (code: number): void => listener(exitReason(code, null));
      child.on('exit', onExit);
      return () => child.off('exit', onExit);
    },
    close() {
      if (!exited) child.kill();
    },
  };
}

/** Starts out/main/engine-host.js (main/transport/engine-host-entry.ts) in a utility process. */
export function forkEngineProcess(modulePath: string, args: string[]): EnginePort {
  const child = utilityProcess.fork(modulePath, args, { serviceName: 'Lifeline engine', stdio: 'inherit' });
  return utilityProcessPort(child);
}
