import { request as httpRequest } from 'node:http';
import { z } from 'zod';
import { PracticeButtonSchema, PracticePhoneSchema } from '../../common/contract/practice';
import { openEnvelope, type Envelope, type PracticeControls } from '../../common/api';
import { readBoundedBody } from '../net/http-client';
import { parseUsbipAddress, openUsbipBus } from '../usbip/usbip-bus';
import { parseUsbmuxSocketAddress } from '../usbmux/usbmux-address';
import type { PracticeConnection } from './practice-host';
import { PracticeHostInfoSchema, type PracticeHostAddress, type PracticeHostRequest } from './practice-host-server';

/** The engine's side of a practice host in its own process (practice-host-server.ts): the same phones after a restart. */
export async function connectPracticeHost(address: PracticeHostAddress): Promise<PracticeConnection> {
  const call = async <T>(request: PracticeHostRequest, schema: z.ZodType<T>): Promise<T> => {
    const envelope = (await postJson(address, request)) as Envelope<unknown>;
    return schema.parse(openEnvelope(envelope));
  };
  const info = await call({ command: 'info' }, PracticeHostInfoSchema);
  const usbmuxAddress = parseUsbmuxSocketAddress(info.usbmux);
  const usbipAddress = parseUsbipAddress(info.usbip);
  if (!usbmuxAddress || !usbipAddress)
    throw new Error(`The practice host gave addresses that are not loopback sockets: ${info.usbmux}, ${info.usbip}`);
  // The practice host is on this computer: poll its USB list often, as hotplug is quick on a real bus.
  const usb = await openUsbipBus({ address: usbipAddress, pollMs: 100 });
  const done = z.object({ done: z.literal(true) });
  const practice: PracticeControls = {
    phones: () => call({ command: 'phones' }, z.array(PracticePhoneSchema)),
    act: async (phoneId, action) => {
      await call({ command: 'act', phoneId, action }, done);
    },
    button: (phoneId, button, down) =>
      call({ command: 'button', phoneId, button, down }, z.object({ accepted: z.boolean(), pressed: z.array(PracticeButtonSchema) })),
  };
  return {
    usb,
    usbmuxAddress,
    practice,
    firmwareSettings: info.firmware,
    tssUrl: info.tssUrl,
    dataDir: info.dataDir,
    // The phones stay: they are not this process's to close.
    close: async () => usb.close(),
  };
}

/** One request on the practice host's loopback control line; a bounded answer. */
function postJson(address: PracticeHostAddress, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      address.url,
      { method: 'POST', headers: { authorization: `Bearer ${address.token}`, 'content-type': 'application/json' }, timeout: 30_000 },
      (res) => {
        readBoundedBody(res, { maxBytes: 1024 * 1024, timeoutMs: 30_000, what: 'the practice host’s answer' }).then((buffer) => {
          if (res.statusCode !== 200) return reject(new Error(`The practice host answered HTTP ${res.statusCode}`));
          resolve(JSON.parse(buffer.toString('utf8')));
        }, reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('The practice host did not answer')));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
