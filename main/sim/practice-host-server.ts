import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { PracticeActionSchema, PracticeButtonSchema } from '../../common/contract/practice';
import { ProblemError } from '../../common/api';
import { renderProblem } from '../../common/problems/catalog';
import { ecidKey } from '../devices/phone-views';
import type { FirmwareSettings } from '../firmware/firmware-service';
import type { PracticeHost } from './practice-host';
import { startSimUsbipServer } from './usbip-server';

/**
 * Practice mode's phones in a process of their own, the way real phones are separate from the app: an engine that
 * stops and starts again finds the same virtual phones where it left them. The engine reaches them as it reaches
 * real ones — usbmuxd for phones that run iOS, USB/IP for the USB bus — plus this loopback control line for the
 * person's hands (practice controls) and, for tests, the restore's cable-pull hook.
 */

/** What an engine needs to use the practice host (the `info` answer). */
export const PracticeHostInfoSchema = z.object({
  usbmux: z.string().max(300),
  usbip: z.string().max(100),
  tssUrl: z.string().max(300),
  firmware: z.object({ cacheDir: z.string().max(4096), appleUrl: z.string().max(300), ipswmeUrl: z.string().max(300) }),
  dataDir: z.string().max(4096),
});
export type PracticeHostInfo = z.infer<typeof PracticeHostInfoSchema>;

const RestoreStageSchema = z.enum(['boot-chain', 'ramdisk', 'asr', 'baseband', 'final-reboot']);

export const PracticeHostRequestSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('info') }).strict(),
  z.object({ command: z.literal('phones') }).strict(),
  z.object({ command: z.literal('act'), phoneId: z.string().max(100), action: PracticeActionSchema }).strict(),
  z.object({ command: z.literal('button'), phoneId: z.string().max(100), button: PracticeButtonSchema, down: z.boolean() }).strict(),
  /** Tests: pull the cable when the phone's next restore reaches `unplugAt` (null: no more pulls). */
  z.object({ command: z.literal('restore-fault'), phoneId: z.string().max(100), unplugAt: RestoreStageSchema.nullable() }).strict(),
]);
export type PracticeHostRequest = z.infer<typeof PracticeHostRequestSchema>;

/** Where the control line listens, and the secret every request carries (Authorization: Bearer …). */
export type PracticeHostAddress = { url: string; token: string };

const MAX_REQUEST_BYTES = 16 * 1024;

export type PracticeHostServer = PracticeHostAddress & { close(): Promise<void> };

export async function servePracticeHost(host: PracticeHost): Promise<PracticeHostServer> {
  const usbip = await startSimUsbipServer({ bus: host.usb });
  const token = randomBytes(24).toString('base64url');
  const firmware: FirmwareSettings = host.firmware.settings;
  const info: PracticeHostInfo = {
    usbmux: host.sim.address,
    usbip: usbip.address,
    tssUrl: host.tss.url,
    firmware: { cacheDir: firmware.cacheDir, appleUrl: firmware.appleUrl, ipswmeUrl: firmware.ipswmeUrl },
    dataDir: host.dataDir,
  };

  const answer = async (request: PracticeHostRequest): Promise<unknown> => {
    switch (request.command) {
      case 'info':
        return info;
      case 'phones':
        return host.practice.phones();
      case 'act':
        await host.practice.act(request.phoneId, request.action);
        return { done: true };
      case 'button':
        return host.practice.button!(request.phoneId, request.button, request.down);
      case 'restore-fault': {
        const phone = host.sim.phones.find((p) => ecidKey(p.identity.ecid) === request.phoneId);
        if (!phone) throw new ProblemError('no-such-practice-phone', { phoneId: request.phoneId });
        phone.faults.set({ restore: request.unplugAt === null ? {} : { unplugAt: request.unplugAt } });
        return { done: true };
      }
    }
  };

  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/practice' || !authorised(req, token)) return send(res, 404, { error: 'not found' });
    readBody(req).then(
      async (body) => {
        const parsed = PracticeHostRequestSchema.safeParse(body);
        if (!parsed.success) return send(res, 400, { error: 'bad request' });
        try {
          send(res, 200, { ok: true, value: await answer(parsed.data) });
        } catch (error) {
          const problem = error instanceof ProblemError ? error.problem : renderProblem('internal', { message: String(error) });
          send(res, 200, { ok: false, problem });
        }
      },
      // Answered, then the connection goes: the rest of an oversized body is never read.
      () => send(res, 413, { error: 'too large' }, () => req.socket.destroy()),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/practice`,
    token,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await usbip.close();
    },
  };
}

function authorised(req: IncomingMessage, token: string): boolean {
  const offered = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /, ''));
  const expected = Buffer.from(token);
  return offered.length === expected.length && timingSafeEqual(offered, expected);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        req.pause();
        reject(new Error('request too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(undefined);
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, sent?: () => void): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(sent ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body), sent);
}
