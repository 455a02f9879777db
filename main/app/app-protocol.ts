import { protocol } from 'electron';
import { APP_SCHEME } from '../../common/ipc-channels';
import { appRequestHandler } from './app-request-handler';

/** Must run before `app.ready`: app:// behaves like https (secure context, same-origin rules). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves the built renderer with the CSP as a real response header (checklist item 7). */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, appRequestHandler(rendererDir));
}
