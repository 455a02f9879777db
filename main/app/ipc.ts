/**
 * The one typed wrapper around ipcMain (lint forbids raw ipcMain anywhere else). Every message is
 * checked against its sender frame before it is passed on to the engine (in the app: the supervisor of the
 * engine process, whose host validates arguments in the shared dispatcher).
 */
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { isEventName, type LifelineApi, type Unsubscribe } from '../../common/api';
import { IPC_EVENT, IPC_INVOKE, IPC_SUBSCRIBE, IPC_UNSUBSCRIBE } from '../../common/ipc-channels';
import { renderProblem } from '../../common/problems/catalog';
import { forward } from '../transport/dispatcher';
import { isTrustedSender } from './security';

const UNTRUSTED = { ok: false as const, problem: renderProblem('untrusted-sender') };

export function registerIpc(api: LifelineApi): () => void {
  const subscriptions = new Map<WebContents, Map<string, Unsubscribe>>();

  const forget = (contents: WebContents): void => {
    for (const off of subscriptions.get(contents)?.values() ?? []) off();
    subscriptions.delete(contents);
  };

  ipcMain.handle(IPC_INVOKE, (event: IpcMainInvokeEvent, command: unknown, request: unknown) => {
    if (!isTrustedSender(event.senderFrame)) return UNTRUSTED;
    return forward(api, command, request);
  });

  ipcMain.on(IPC_SUBSCRIBE, (event: IpcMainEvent, name: unknown) => {
    // unknown event names are ignored: the renderer's contract is typed, so this is a stray sender
    if (!isTrustedSender(event.senderFrame) || !isEventName(name)) return;
    const contents = event.sender;
    let mine = subscriptions.get(contents);
    if (!mine) {
      mine = new Map();
      subscriptions.set(contents, mine);
      contents.once('destroyed', () => forget(contents));
    }
    if (mine.has(name)) return;
    mine.set(
      name,
      api.on(name, (payload) => {
        if (!contents.isDestroyed()) contents.send(IPC_EVENT, name, payload);
      }),
    );
  });

  ipcMain.on(IPC_UNSUBSCRIBE, (event: IpcMainEvent, name: unknown) => {
    if (!isTrustedSender(event.senderFrame) || typeof name !== 'string') return;
    const mine = subscriptions.get(event.sender);
    mine?.get(name)?.();
    mine?.delete(name);
  });

  return () => {
    ipcMain.removeHandler(IPC_INVOKE);
    ipcMain.removeAllListeners(IPC_SUBSCRIBE);
    ipcMain.removeAllListeners(IPC_UNSUBSCRIBE);
    for (const contents of [...subscriptions.keys()]) forget(contents);
  };
}
