import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Engine } from '../../main/rescue/engine';
import { startWebBridge, type WebBridge } from '../../main/transport/web-bridge';

let bridge: WebBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

async function start(staticDir?: string) {
  const engine = new Engine({ version: '9.9.9' });
  bridge = await startWebBridge(staticDir ? { engine, staticDir } : { engine });
  return { engine, bridge };
}

function connect(b: WebBridge, token = b.token, origin = b.origin): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${b.port}/bridge?token=${token}`, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
}

describe('loopback WebSocket bridge', () => {
  it('listens on 127.0.0.1 only, on a random port, with a per-run token in the URL fragment', async () => {
    const { bridge: b } = await start();
    expect(b.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{20,}$/);
    const other = await startWebBridge({ engine: new Engine({ version: '1' }) });
    expect(other.token).not.toBe(b.token);
    expect(other.port).not.toBe(b.port);
    await other.close();
  });

  it('runs commands and delivers events for a client with the token and the right origin', async () => {
    const { engine, bridge: b } = await start();
    const ws = await connect(b);
    ws.send(JSON.stringify({ type: 'invoke', id: 7, command: 'app.info', request: {} }));
    expect(await nextMessage(ws)).toMatchObject({
      type: 'result',
      id: 7,
      envelope: { ok: true, value: { version: '9.9.9', transport: 'web-bridge' } },
    });
    ws.send(JSON.stringify({ type: 'subscribe', event: 'devices.changed' }));
    await new Promise((r) => setTimeout(r, 50));
    const event = nextMessage(ws);
    engine.emit('devices.changed', []);
    expect(await event).toEqual({ type: 'event', event: 'devices.changed', payload: [] });
    ws.close();
  });

  it('refuses a wrong token and a foreign origin', async () => {
    const { bridge: b } = await start();
    await expect(connect(b, 'wrong-token-wrong-token-wrong')).rejects.toThrow(/401/);
    await expect(connect(b, b.token, 'https://evil.example')).rejects.toThrow(/401/);
  });

  it('validates arguments at the boundary and closes on malformed messages', async () => {
    const { bridge: b } = await start();
    const ws = await connect(b);
    ws.send(JSON.stringify({ type: 'invoke', id: 1, command: 'devices.list', request: { evil: true } }));
    expect(await nextMessage(ws)).toMatchObject({ envelope: { ok: false, problem: { code: 'bad-request' } } });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('not json');
    expect(await closed).toBe(1008);
  });

  it('serves the renderer with a strict CSP header and never a file outside its folder', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeline-static-'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
    const { bridge: b } = await start(dir);
    const page = await fetch(`${b.origin}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    for (const attempt of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/x%00.js']) {
      const response = await fetch(`${b.origin}${attempt}`);
      expect(await response.text(), attempt).not.toContain('root:');
    }
  });
});
