/**
 * The whole bridge between the sandboxed renderer and the main process: `window.lifeline`,
 * frozen, with exactly the contract's two verbs. No Node, no ipcRenderer, no Electron objects leak.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE, IPC_SUBSCRIBE, IPC_UNSUBSCRIBE } from '../common/ipc-channels';

type Envelope = { ok: true; value: unknown } | { ok: false; problem: unknown };
type Listener = (payload: unknown) => void;

const listeners = new Map<string, Set<Listener>>();

ipcRenderer.on(IPC_EVENT, (_event: IpcRendererEvent, name: string, payload: unknown) => {
  for (const listener of listeners.get(name) ?? []) listener(payload);
});

const lifeline = Object.freeze({
  invoke(command: string, request: unknown): Promise<unknown> {
    return ipcRenderer.invoke(IPC_INVOKE, command, request).then((envelope: Envelope) => {
      if (envelope.ok) return envelope.value;
      // A plain object survives the context bridge intact; an Error would lose `problem`.
      return Promise.reject({ name: 'ProblemError', problem: envelope.problem });
    });
  },
  on(event: string, listener: Listener): () => void {
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
      ipcRenderer.send(IPC_SUBSCRIBE, event);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) {
        listeners.delete(event);
        ipcRenderer.send(IPC_UNSUBSCRIBE, event);
      }
    };
  },
});

contextBridge.exposeInMainWorld('lifeline', lifeline);
