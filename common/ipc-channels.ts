/** The only Electron IPC channels. Kept free of imports: the sandboxed preload bundles this file. */
export const IPC_INVOKE = 'lifeline:invoke';
export const IPC_SUBSCRIBE = 'lifeline:subscribe';
export const IPC_UNSUBSCRIBE = 'lifeline:unsubscribe';
export const IPC_EVENT = 'lifeline:event';

/** The renderer's origin inside the app: served by the custom app:// protocol, never file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'lifeline';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;
