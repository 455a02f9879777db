import type { ChildProcess } from 'node:child_process';
import type { Unsubscribe } from '../../common/api';

/**
 * The least a message channel between the app and its engine process must do. Node's `child_process.fork`
 * IPC channel, Electron's `utilityProcess` and its `process.parentPort` are each adapted to it, so the engine
 * host and its supervisor are the same code in tests and in the app. Messages are strings (see
 * engine-port-protocol.ts); what arrives is `unknown` until decoded.
 */
export interface EnginePort {
  postMessage(message: string): void;
  onMessage(listener: (message: unknown) => void): Unsubscribe;
  /** The other side is gone: the child exited (parent side) or the parent went away (child side). */
  onClose(listener: (reason: string) => void): Unsubscribe;
  /** Parent side: kill the child at once. Child side: let go of the parent. */
  close(): void;
}

/** Parent side over a `child_process.fork` child. */
export function childProcessPort(child: ChildProcess): EnginePort {
  return {
    postMessage(message) {
      if (child.connected) child.send(message);
    },
    onMessage(listener) {
      child.on('message', listener);
      return () => child.off('message', listener);
    },
    onClose(listener) {
      // 'close' comes after the last message the child sent, unlike 'exit'.
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => listener(exitReason(code, signal));
      child.once('close', onExit);
      return () => child.off('close', onExit);
    },
    close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Child side over the IPC channel of a process started with `child_process.fork`. */
export function forkedProcessPort(host: NodeJS.Process = process): EnginePort {
  if (!host.send) throw new Error('This process was not started with an IPC channel');
  let sending = 0;
  let closeWhenSent = false;
  const disconnect = (): void => {
    if (host.connected) host.disconnect?.();
  };
  return {
    postMessage(message) {
      if (!host.connected) return;
      sending++;
      host.send?.(message, undefined, undefined, () => {
        sending--;
        if (sending === 0 && closeWhenSent) disconnect();
      });
    },
    onMessage(listener) {
      host.on('message', listener);
      return () => host.off('message', listener);
    },
    onClose(listener) {
      const onDisconnect = (): void => listener('The app went away.');
      host.once('disconnect', onDisconnect);
      return () => host.off('disconnect', onDisconnect);
    },
    // Disconnecting drops messages still queued, so the last answer (or the reason the engine could not start) goes first.
    close() {
      if (sending === 0) disconnect();
      else closeWhenSent = true;
    },
  };
}

/** The shape of Electron's `process.parentPort` that the engine host uses (typed here: only main/app imports electron). */
export type ParentPortLike = {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  off(event: 'message', listener: (event: { data: unknown }) => void): unknown;
};

/** Child side inside an Electron utility process. Electron ends the utility process with the app, so there is no close event. */
export function parentPortPort(parentPort: ParentPortLike): EnginePort {
  return {
    postMessage: (message) => parentPort.postMessage(message),
    onMessage(listener) {
      const onMessage = (event: { data: unknown }): void => listener(event.data);
      parentPort.on('message', onMessage);
      return () => parentPort.off('message', onMessage);
    },
    onClose: () => () => undefined,
    close: () => undefined,
  };
}

/** This process's channel to the app: Electron's parentPort in a utility process, else the fork IPC channel. */
export function thisProcessPort(): EnginePort {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike | null }).parentPort;
  return parentPort ? parentPortPort(parentPort) : forkedProcessPort();
}

export function exitReason(code: number | null, signal: string | null): string {
  if (signal) return `The engine process stopped (signal ${signal}).`;
  return `The engine process stopped (exit code ${code ?? 'unknown'}).`;
}
