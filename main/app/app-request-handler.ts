import { APP_HOST, APP_SCHEME } from '../../common/ipc-channels';
import { SECURITY_HEADERS, contentSecurityPolicy } from '../transport/content-security-policy';
import { readStaticFile } from '../transport/static-files';

/**
 * The app:// handler as a plain function (no Electron): only `app://lifeline/…` GET/HEAD requests are served,
 * from the built renderer folder, always with the CSP as a real response header (checklist item 7).
 */
export function appRequestHandler(rendererDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return new Response('Method not allowed', { status: 405, headers: { Allow: 'GET, HEAD' } });
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return notFound();
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return notFound();
    const file = await readStaticFile(rendererDir, url.pathname);
    if (!file) return notFound();
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.body), {
      status: 200,
      headers: {
        'Content-Type': file.contentType,
        'Content-Security-Policy': contentSecurityPolicy({ allowSelfConnect: false }),
        ...SECURITY_HEADERS,
      },
    });
  };
}

function notFound(): Response {
  return new Response('Not found', { status: 404 });
}
