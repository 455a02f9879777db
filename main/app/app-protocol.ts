import { protocol } from 'electron';
import { APP_HOST, APP_SCHEME } from '../../common/ipc-channels';
import { SECURITY_HEADERS, contentSecurityPolicy } from '../transport/content-security-policy';
import { readStaticFile } from '../transport/static-files';

/** Must run before `app.ready`: app:// behaves like https (secure context, same-origin rules). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves the built renderer with the CSP as a real response header (checklist item 7). */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST ? await readStaticFile(rendererDir, url.pathname) : null;
    if (!file) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(file.body), {
      status: 200,
      headers: {
        'Content-Type': file.contentType,
        'Content-Security-Policy': contentSecurityPolicy({ allowSelfConnect: false }),
        ...SECURITY_HEADERS,
      },
    });
  });
}
