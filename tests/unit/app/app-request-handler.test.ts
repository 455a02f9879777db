import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRequestHandler } from '../../../main/app/app-request-handler';
import { contentSecurityPolicy } from '../../../main/transport/content-security-policy';

let dir: string;
let handle: (request: Request) => Promise<Response>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-app-protocol-'));
  await mkdir(join(dir, 'renderer', 'assets'), { recursive: true });
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Lifeline</title>');
  await writeFile(join(dir, 'renderer', 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'outside the renderer');
  handle = appRequestHandler(join(dir, 'renderer'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('app:// request handler (no Electron needed)', () => {
  it('serves the renderer with the strict CSP, no network connect, as a response header', async () => {
    const response = await handle(new Request('app://lifeline/index.html'));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>Lifeline</title>');
    const csp = response.headers.get('Content-Security-Policy');
    expect(csp).toBe(contentSecurityPolicy({ allowSelfConnect: false }));
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(response.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(response.headers.get('Referrer-Policy')).toBe('no-referrer');
  });

  it('sends the CSP header with every file it serves, not only the page', async () => {
    const response = await handle(new Request('app://lifeline/assets/app.js'));
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('Content-Security-Policy')).toBe(contentSecurityPolicy({ allowSelfConnect: false }));
  });

  it.each([
    'app://evil/index.html',
    'app://lifeline.evil/index.html',
    'app://evil.lifeline/index.html',
    'app://lifeline:8080/index.html',
    'https://lifeline/index.html',
    'file://lifeline/index.html',
  ])('serves nothing to another host or scheme: %s', async (url) => {
    const response = await handle(new Request(url));
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('Lifeline</title>');
  });

  it('serves nothing from outside the renderer folder, however the path is spelled', async () => {
    for (const url of [
      'app://lifeline/../secret.txt',
      'app://lifeline/%2e%2e/secret.txt',
      'app://lifeline/..%2fsecret.txt',
      'app://lifeline/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    ]) {
      const response = await handle(new Request(url));
      expect(await response.text(), url).not.toContain('outside the renderer');
    }
  });

  it('answers only GET and HEAD', async () => {
    const post = await handle(new Request('app://lifeline/index.html', { method: 'POST', body: 'x' }));
    expect(post.status).toBe(405);
    const head = await handle(new Request('app://lifeline/index.html', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.headers.get('Content-Security-Policy')).toBe(contentSecurityPolicy({ allowSelfConnect: false }));
  });
});
