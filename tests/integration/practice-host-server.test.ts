/** The practice host's control line: only with its secret, only well-formed bounded requests, the hands do what they say. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPracticeHost, type PracticeHost } from '../../main/sim/practice-host';
import { servePracticeHost, type PracticeHostServer } from '../../main/sim/practice-host-server';
import { connectPracticeHost } from '../../main/sim/remote-practice-host';

let host: PracticeHost;
let server: PracticeHostServer;

beforeAll(async () => {
  host = await startPracticeHost({
    phones: [
      { seed: 'control', model: { productType: 'iPhone6,1' }, ios: '12.5.8', deviceName: 'Control', trusted: true, timeFactor: 0.05 },
    ],
  });
  server = await servePracticeHost(host);
});
afterAll(async () => {
  await server.close();
  await host.close();
});

const post = (body: string, token = server.token) =>
  fetch(server.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });

describe('the practice host control line', () => {
  it('answers nothing without the secret, refuses a malformed or oversized request', async () => {
    expect((await post(JSON.stringify({ command: 'phones' }), 'x'.repeat(server.token.length))).status).toBe(404);
    expect((await post(JSON.stringify({ command: 'phones' }), '')).status).toBe(404);
    expect((await post('not json')).status).toBe(400);
    expect((await post(JSON.stringify({ command: 'act', phoneId: 'p', action: 'explode' }))).status).toBe(400);
    expect((await post(JSON.stringify({ command: 'phones', extra: true }))).status).toBe(400);
    expect((await post(JSON.stringify({ command: 'phones', pad: 'x'.repeat(20 * 1024) }))).status).toBe(413);
  });

  it('lets an engine elsewhere use the phones: their list, the hands, a Problem for an unknown phone', async () => {
    const joined = await connectPracticeHost({ url: server.url, token: server.token });
    try {
      const [phone] = await joined.practice.phones();
      expect(phone).toMatchObject({ name: 'iPhone 5s (GSM) — “Control”', plugged: true, timeFactor: 0.05 });
      await joined.practice.act(phone!.id, 'unplug');
      expect(host.sim.phones[0]!.hardware.plugged).toBe(false);
      expect((await joined.practice.phones())[0]).toMatchObject({ plugged: false });
      await joined.practice.act(phone!.id, 'plug');
      await expect(joined.practice.act('0000000000000000', 'plug')).rejects.toMatchObject({ code: 'no-such-practice-phone' });
      expect(joined).toMatchObject({ tssUrl: host.tss.url, dataDir: host.dataDir, firmwareSettings: host.firmware.settings });
    } finally {
      await joined.close();
    }
  });
});
