import { EventEmitter, once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startFdrAgent, type FdrAgent, type FdrEvent } from '../../main/fdr/fdr-client';
import { FDR_CONTROL_PORT } from '../../main/fdr/fdr-wire';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';
import { createDuplexPair } from '../../main/sim/duplex-pair';
import { FaultPlan } from '../../main/sim/faults';
import { FdrService, type FdrServiceOptions } from '../../main/sim/restore/fdr-service';
import { FakeUsbmuxd, type UsbmuxPhone } from '../../main/sim/usbmuxd-daemon';

/** A phone in restore mode that serves only the FDR ports, attached to the fake usbmuxd. */
class FdrPhone implements UsbmuxPhone {
  readonly udid = '00008030-001A2B3C4D5E6F70';
  readonly faults = new FaultPlan();
  readonly events = new EventEmitter();
  constructor(readonly fdr: FdrService) {}
  usbVisible(): boolean {
    return true;
  }
  usbProductId(): number {
    return 0x12a8;
  }
  openPort(port: number): Duplex | null {
    if (port !== FDR_CONTROL_PORT && port !== this.fdr.connPort) return null;
    const [host, device] = createDuplexPair();
    if (port === FDR_CONTROL_PORT) this.fdr.serveControl(device);
    else this.fdr.serveConn(device);
    return host;
  }
  unplug(): void {}
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(options: FdrServiceOptions, agentOptions: { allow?: (target: { host: string; port: number }) => boolean } = {}) {
  const daemon = new FakeUsbmuxd();
  await daemon.start();
  cleanups.push(() => daemon.close());
  const fdr = new FdrService(options);
  const phone = new FdrPhone(fdr);
  daemon.attach(phone);
  const client = new UsbmuxClient({ address: { kind: 'tcp', host: '127.0.0.1', port: Number(daemon.address.split(':')[1]) } });
  const [device] = await client.listDevices();
  const events: FdrEvent[] = [];
  const agent: FdrAgent = await startFdrAgent({
    connect: (port) => client.connect(device!.deviceId, port, { timeoutMs: 5_000 }),
    connectAttempts: 1,
    onEvent: (event) => events.push(event),
    ...(agentOptions.allow ? { allowProxyTarget: agentOptions.allow } : {}),
  });
  cleanups.push(async () => {
    agent.stop();
    await agent.closed;
  });
  return { fdr, agent, events };
}

async function echoServer(): Promise<{ port: number }> {
  const server: Server = createServer((socket) => socket.pipe(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port };
}

describe('FDR channel, host agent ↔ virtual phone over the fake usbmuxd', () => {
  it('does the control handshake, opens the data connection on sync and answers Ping', async () => {
    const { fdr, agent, events } = await setUp({ connPort: 1083, identifier: 'SIM-FDR-1' });
    expect(agent.connPort).toBe(1083);
    await fdr.waitFor('pong');
    expect(events).toEqual(
      expect.arrayContaining([
        { kind: 'control-ready', connPort: 1083 },
        { kind: 'connection', identifier: 'SIM-FDR-1' },
        { kind: 'ping' },
      ]),
    );
    expect(fdr.lastProblem).toBeNull();
  });

  it('tunnels the phone to a target the policy allows, bytes both ways', async () => {
    const echo = await echoServer();
    const target = { host: '127.0.0.1', port: echo.port };
    const { fdr, events } = await setUp(
      { proxy: { target, payload: Buffer.from('factory data, please') } },
      { allow: (t) => t.host === '127.0.0.1' && t.port === echo.port },
    );
    await fdr.waitFor('proxied');
    expect(events).toContainEqual({ kind: 'proxy', target, allowed: true });
  });

  it('refuses to tunnel the phone anywhere the default policy does not allow', async () => {
    const echo = await echoServer();
    const target = { host: '127.0.0.1', port: echo.port };
    const { fdr, events } = await setUp({ proxy: { target, payload: Buffer.from('x') } });
    await fdr.waitFor('failed');
    expect(events).toContainEqual({ kind: 'proxy', target, allowed: false });
    expect(fdr.lastProblem).not.toBeNull();
  });
});
