import { LOCKDOWN_SERVICE_PORT as LOCKDOWN_PORT } from '../../main/lockdown/lockdown-wire';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlistChannel } from '../../main/plist/framing';
import type { PlistDict } from '../../main/plist/plist-value';
import { UsbmuxResult, encodeUsbmuxHeader, encodeUsbmuxPlist } from '../../main/usbmux/usbmux-wire';
import { parseUsbmuxSocketAddress, usbmuxConnectOptions } from '../../main/usbmux/usbmux-address';
import type { UsbmuxAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient, UsbmuxError } from '../../main/usbmux/usbmux-client';
import type { UsbmuxDevice, UsbmuxListedDevice } from '../../main/usbmux/usbmux-client';
import { UsbmuxWatcher } from '../../main/usbmux/usbmux-watcher';
import type { UsbmuxWatcherState } from '../../main/usbmux/usbmux-watcher';
import { PairRecordError, generateRsaKeyPair } from '../../main/lockdown/pair-record';
import { readPairRecord } from '../../main/lockdown/pair-record-store';
import { encodeXmlPlist } from '../../main/plist/plist-codec';
import type { RsaKeyPairPem } from '../../main/lockdown/pair-record';
import { startSimulator } from '../../main/sim/simulator';
import type { Simulator } from '../../main/sim/simulator';
import { FakeUsbmuxd } from '../../main/sim/usbmuxd-daemon';
import { VirtualIphone } from '../../main/sim/virtual-iphone';

function addressOf(text: string): UsbmuxAddress {
  const address = parseUsbmuxSocketAddress(text, 'linux');
  if (!address) throw new Error(`bad address ${text}`);
  return address;
}

/** Resolves with the first `event` whose payload passes `match`, or rejects after `ms`. */
function nextEvent<T>(
  emitter: UsbmuxWatcher,
  event: 'attached' | 'detached' | 'state',
  match: (value: T) => boolean,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener as never);
      reject(new Error(`no matching ${event} event within ${ms} ms`));
    }, ms);
    const listener = (value: T): void => {
      if (!match(value)) return;
      clearTimeout(timer);
      emitter.off(event, listener as never);
      resolve(value);
    };
    emitter.on(event, listener as never);
  });
}

const openSockets = new Map<Server, Set<Socket>>();

/** A raw TCP server playing a hostile or broken usbmuxd. */
async function rawServer(onConnection: (socket: Socket) => void): Promise<{ server: Server; address: UsbmuxAddress }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  openSockets.set(server, sockets);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, address: { kind: 'tcp', host: '127.0.0.1', port } };
}

function closeServer(server: Server): Promise<void> {
  for (const socket of openSockets.get(server) ?? []) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** An address where nothing listens: a server that was opened and closed again. */
async function deadAddress(): Promise<UsbmuxAddress> {
  const { server, address } = await rawServer(() => undefined);
  await closeServer(server);
  return address;
}

/** Forwards to a usbmuxd; crashAndRedirect() drops every connection at once and forwards new ones elsewhere. */
async function crashableProxy(initial: UsbmuxAddress): Promise<{
  address: UsbmuxAddress;
  crashAndRedirect(target: UsbmuxAddress): void;
  close(): Promise<void>;
}> {
  let target = initial;
  const live = new Set<Socket>();
  const { server, address } = await rawServer((inbound) => {
    const outbound = connect(usbmuxConnectOptions(target));
    outbound.on('error', () => undefined);
    live.add(inbound);
    live.add(outbound);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const drop = (): void => {
      inbound.destroy();
      outbound.destroy();
      live.delete(inbound);
      live.delete(outbound);
    };
    inbound.on('close', drop);
    outbound.on('close', drop);
  });
  return {
    address,
    crashAndRedirect(next) {
      target = next;
      for (const socket of [...live]) socket.destroy();
    },
    close: () => closeServer(server),
  };
}

let deviceKey: RsaKeyPairPem;
beforeAll(async () => {
  deviceKey = await generateRsaKeyPair();
});

describe('UsbmuxClient against the fake usbmuxd', () => {
  let sim: Simulator;
  let client: UsbmuxClient;
  beforeAll(async () => {
    sim = await startSimulator({
      phones: [
        { seed: 'list-a', trusted: true, model: { productType: 'iPhone12,1' } },
        { seed: 'list-b', model: { productType: 'iPhone8,1' } },
      ],
      phoneOptions: { deviceKey },
    });
    client = new UsbmuxClient({ address: addressOf(sim.address) });
  });
  afterAll(() => sim.close());

  it('lists every phone with its DeviceID, UDID, ProductID, ConnectionType and LocationID', async () => {
    const devices = await client.listDevices();
    expect(devices.map((d) => d.udid).sort()).toEqual(sim.phones.map((p) => p.udid).sort());
    for (const device of devices) {
      expect(device.deviceId).toBe(sim.daemon.deviceIdOf(device.serialNumber));
      expect(device.productId).toBe(0x12a8);
      expect(device.connectionType).toBe('USB');
      expect(device.locationId).toBeGreaterThan(0);
    }
  });

  it('reads the SystemBUID and the stored pair record bytes; a phone without one gives null', async () => {
    expect(await client.readBuid()).toBe(sim.daemon.systemBuid);
    const data = await client.readPairRecordData(sim.phones[0]!.udid);
    expect(data).toEqual(await sim.daemon.readPairRecord(sim.phones[0]!.udid));
    expect(await client.readPairRecordData(sim.phones[1]!.udid)).toBeNull();
  });

  it('lockdown decodes the record usbmuxd stores; a phone without one gives null', async () => {
    const record = await readPairRecord(client, sim.phones[0]!.udid);
    expect(record?.SystemBUID).toBe(sim.daemon.systemBuid);
    expect(sim.phones[0]!.pairedHostIds()).toContain(record?.HostID);
    expect(await readPairRecord(client, sim.phones[1]!.udid)).toBeNull();
  });

  it('lockdown refuses a stored record that is not a pair record', async () => {
    const udid = sim.phones[1]!.udid;
    await sim.daemon.storePairRecord(udid, encodeXmlPlist({ HostID: 'only a host id' }));
    try {
      expect(await client.readPairRecordData(udid)).not.toBeNull();
      await expect(readPairRecord(client, udid)).rejects.toBeInstanceOf(PairRecordError);
    } finally {
      await sim.daemon.deletePairRecord(udid);
    }
  });

  it('Connect turns the socket into a pipe to the device port (lockdownd answers QueryType)', async () => {
    const deviceId = sim.daemon.deviceIdOf(sim.phones[0]!.udid)!;
    const stream = await client.connect(deviceId, LOCKDOWN_PORT);
    const channel = new PlistChannel(stream, { timeoutMs: 3000 });
    await channel.send({ Request: 'QueryType' });
    expect(await channel.receive()).toMatchObject({ Request: 'QueryType', Type: 'com.apple.mobile.lockdown' });
    channel.close();
  });

  it('Connect to an unknown device or a refused port fails with the daemon result code', async () => {
    const bad = await client.connect(9999, LOCKDOWN_PORT).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(UsbmuxError);
    expect(bad).toMatchObject({ kind: 'result', result: UsbmuxResult.BadDevice });
    const deviceId = sim.daemon.deviceIdOf(sim.phones[0]!.udid)!;
    const refused = await client.connect(deviceId, 4444).catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'result', result: UsbmuxResult.ConnectionRefused });
  });

  it('talks to a daemon on a UNIX socket (UNIX:/path) just the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-usbmux-'));
    const daemon = new FakeUsbmuxd({ listen: `UNIX:${join(dir, 'usbmuxd')}` });
    try {
      daemon.attach(sim.phones[0]!);
      const unixClient = new UsbmuxClient({ address: addressOf(await daemon.start()) });
      expect(unixClient.address.kind).toBe('unix');
      expect((await unixClient.listDevices()).map((d) => d.udid)).toEqual([sim.phones[0]!.udid]);
    } finally {
      daemon.detach(sim.phones[0]!);
      await daemon.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreachable daemon as daemon-unreachable with the socket error', async () => {
    const dead = new UsbmuxClient({ address: await deadAddress() });
    const error = await dead.listDevices().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'daemon-unreachable', details: { socketCode: 'ECONNREFUSED' } });
  });
});

describe('UsbmuxClient against a hostile daemon', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(closeServer));
  });
  async function hostile(onData: (socket: Socket, chunk: Buffer) => void): Promise<UsbmuxClient> {
    const { server, address } = await rawServer((socket) => socket.on('data', (chunk) => onData(socket, chunk)));
    servers.push(server);
    return new UsbmuxClient({ address, resultTimeoutMs: 400 });
  }

  it('rejects an absurd frame length without reading or allocating it', async () => {
    const client = await hostile((socket) => {
      socket.write(encodeUsbmuxHeader({ length: 0xfffffff0, version: 1, message: 8, tag: 1 }));
    });
    const started = Date.now();
    const error = await client.listDevices().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsbmuxError);
    expect(error).toMatchObject({ kind: 'protocol' });
    expect((error as Error).message).toMatch(/exceeds/);
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('times out when the daemon never answers', async () => {
    const client = await hostile(() => undefined);
    const started = Date.now();
    await expect(client.listDevices()).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports a connection closed mid-frame, a wrong tag and a non-plist payload as errors', async () => {
    const truncated = await hostile((socket) => {
      socket.end(Buffer.concat([encodeUsbmuxHeader({ length: 200, version: 1, message: 8, tag: 1 }), Buffer.from('<?xml')]));
    });
    await expect(truncated.listDevices()).rejects.toMatchObject({ kind: 'closed' });

    const wrongTag = await hostile((socket) => socket.write(encodeUsbmuxPlist(4242, { DeviceList: [] })));
    await expect(wrongTag.listDevices()).rejects.toMatchObject({ kind: 'protocol' });

    const garbage = await hostile((socket) => {
      const body = Buffer.from('not a plist at all');
      socket.write(Buffer.concat([encodeUsbmuxHeader({ length: 16 + body.length, version: 1, message: 8, tag: 1 }), body]));
    });
    await expect(garbage.listDevices()).rejects.toMatchObject({ kind: 'protocol' });
  });

  it('skips device entries that lack a SerialNumber or ConnectionType and applies the UDID dash rule', async () => {
    const list: PlistDict[] = [
      { DeviceID: 1, MessageType: 'Attached', Properties: { DeviceID: 1, ConnectionType: 'USB' } },
      { DeviceID: 2, MessageType: 'Attached', Properties: { DeviceID: 2, SerialNumber: 'abc' } },
      { DeviceID: 3, MessageType: 'Attached', Properties: { DeviceID: 3, SerialNumber: 'a'.repeat(40), ConnectionType: 'USB' } },
      {
        DeviceID: 4,
        MessageType: 'Attached',
        Properties: { DeviceID: 4, SerialNumber: '00008030001A2B3C4D5E6F70', ConnectionType: 'USB', ProductID: 0x12a8 },
      },
      { DeviceID: 5, MessageType: 'Attached', Properties: { DeviceID: 5, SerialNumber: 'x/../../victim', ConnectionType: 'USB' } },
    ];
    const client = await hostile((socket, chunk) => socket.write(encodeUsbmuxPlist(chunk.readUInt32LE(12), { DeviceList: list })));
    const devices = await client.listDevices();
    expect(devices.map((d) => d.deviceId)).toEqual([3, 4]);
    // docs/protocols/usbmux.md#udid-normalisation: a 24-hex serial gets its dash after the 8th character.
    expect(devices[1]).toMatchObject({ udid: '00008030-001A2B3C4D5E6F70', serialNumber: '00008030001A2B3C4D5E6F70', productId: 0x12a8 });
  });

  it('lists a device whose SerialNumber is not a UDID as unidentified, never by that serial', async () => {
    const list: PlistDict[] = [
      { DeviceID: 5, MessageType: 'Attached', Properties: { DeviceID: 5, SerialNumber: 'x/../../victim', ConnectionType: 'USB' } },
      { DeviceID: 6, MessageType: 'Attached', Properties: { DeviceID: 6, SerialNumber: 'x'.repeat(40), ConnectionType: 'USB' } },
    ];
    const client = await hostile((socket, chunk) => socket.write(encodeUsbmuxPlist(chunk.readUInt32LE(12), { DeviceList: list })));
    expect(await client.listDevices()).toEqual([]);
    const all = await client.listAllDevices();
    expect(all).toMatchObject([
      { deviceId: 5, udid: null, reportedIdentity: '"x/../../victim"' },
      { deviceId: 6, udid: null },
    ]);
    await expect(client.readPairRecordData('x/../../victim')).rejects.toBeInstanceOf(RangeError);
  });

  it('a watcher on a hostile daemon reports daemon-missing, retries, and stops cleanly', async () => {
    const { server, address } = await rawServer((socket) =>
      socket.on('data', () => socket.write(encodeUsbmuxHeader({ length: 0x7fffffff, version: 1, message: 8, tag: 1 }))),
    );
    servers.push(server);
    let connections = 0;
    server.on('connection', () => connections++);
    const watcher = new UsbmuxWatcher({ address, initialBackoffMs: 20, maxBackoffMs: 40 });
    const missing = nextEvent<UsbmuxWatcherState>(watcher, 'state', (s) => s.status === 'daemon-missing');
    watcher.start();
    expect((await missing).status).toBe('daemon-missing');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(connections).toBeGreaterThan(2);
    await watcher.stop();
    expect(watcher.state.status).toBe('stopped');
  });
});

describe('UsbmuxWatcher against the fake usbmuxd', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('reports every phone attached on start, then live attach and detach, two phones at once', async () => {
    const sim = await startSimulator({ phones: [{ seed: 'w-1', timeFactor: 0.01 }], phoneOptions: { deviceKey } });
    cleanups.push(() => sim.close());
    const watcher = new UsbmuxWatcher({ address: addressOf(sim.address) });
    cleanups.push(() => watcher.stop());
    const attached: UsbmuxListedDevice[] = [];
    const detached: UsbmuxListedDevice[] = [];
    watcher.on('attached', (d) => attached.push(d));
    watcher.on('detached', (d) => detached.push(d));
    const connected = nextEvent<UsbmuxWatcherState>(watcher, 'state', (s) => s.status === 'connected');
    const first = nextEvent<UsbmuxDevice>(watcher, 'attached', (d) => d.udid === sim.phones[0]!.udid);
    watcher.start();
    await connected;
    await first;

    const secondUdid = 'a'.repeat(40);
    const secondAttached = nextEvent<UsbmuxDevice>(watcher, 'attached', (d) => d.udid === secondUdid);
    const second = await sim.addPhone({ seed: 'w-2', udid: secondUdid, timeFactor: 0.01 });
    expect(second.udid).toBe(secondUdid);
    const reported = await secondAttached;
    expect(
      watcher
        .devices()
        .map((d) => d.udid)
        .sort(),
    ).toEqual([sim.phones[0]!.udid, second.udid].sort());

    const gone = nextEvent<UsbmuxDevice>(watcher, 'detached', (d) => d.udid === second.udid);
    second.unplug();
    expect((await gone).deviceId).toBe(reported.deviceId);
    expect(watcher.devices().map((d) => d.udid)).toEqual([sim.phones[0]!.udid]);
    expect(attached.filter((d) => d.udid === sim.phones[0]!.udid)).toHaveLength(1);
    expect(detached.map((d) => d.udid)).toEqual([second.udid]);
  });

  it('survives a daemon restart on the same port: re-lists, reports removed phones detached and new ones attached', async () => {
    const [p1, p2, p3] = await Promise.all(
      ['r-1', 'r-2', 'r-3'].map((seed) => VirtualIphone.create({ seed, timeFactor: 0.01 }, { deviceKey })),
    );
    cleanups.push(() => [p1, p2, p3].forEach((p) => p!.dispose()));
    const first = new FakeUsbmuxd();
    const address = await first.start();
    first.attach(p1!);
    first.attach(p2!);
    const watcher = new UsbmuxWatcher({ address: addressOf(address), initialBackoffMs: 50, maxBackoffMs: 200 });
    cleanups.push(() => watcher.stop());
    const states: string[] = [];
    watcher.on('state', (s) => states.push(s.status));
    const bothAttached = Promise.all([p1!, p2!].map((p) => nextEvent<UsbmuxDevice>(watcher, 'attached', (d) => d.udid === p.udid)));
    watcher.start();
    await bothAttached;

    // The daemon goes away: the watcher says so, with advice, and the phones behind it are gone.
    const missing = nextEvent<UsbmuxWatcherState>(watcher, 'state', (s) => s.status === 'daemon-missing');
    const p2Detached = nextEvent<UsbmuxDevice>(watcher, 'detached', (d) => d.udid === p2!.udid);
    await first.close();
    const missingState = await missing;
    expect(missingState.status === 'daemon-missing' && missingState.advice.length).toBeGreaterThan(10);
    await p2Detached;
    expect(watcher.devices()).toEqual([]);

    // It comes back on the same port with a different set of phones.
    const second = new FakeUsbmuxd({ listen: address });
    cleanups.push(() => second.close());
    const reconnected = nextEvent<UsbmuxWatcherState>(watcher, 'state', (s) => s.status === 'connected');
    const p1Again = nextEvent<UsbmuxDevice>(watcher, 'attached', (d) => d.udid === p1!.udid);
    const p3Attached = nextEvent<UsbmuxDevice>(watcher, 'attached', (d) => d.udid === p3!.udid);
    second.attach(p1!);
    second.attach(p3!);
    await second.start();
    await reconnected;
    await Promise.all([p1Again, p3Attached]);
    expect(
      watcher
        .devices()
        .map((d) => d.udid)
        .sort(),
    ).toEqual([p1!.udid, p3!.udid].sort());
    expect(states).toEqual(['starting', 'connected', 'daemon-missing', 'connected']);
  });

  it('a daemon that dies without a word and is back before the retry is re-listed: only real changes are reported', async () => {
    const [p1, p2, p3] = await Promise.all(
      ['q-1', 'q-2', 'q-3'].map((seed) => VirtualIphone.create({ seed, timeFactor: 0.01 }, { deviceKey })),
    );
    cleanups.push(() => [p1, p2, p3].forEach((p) => p!.dispose()));
    const before = new FakeUsbmuxd();
    before.attach(p1!);
    before.attach(p2!);
    const after = new FakeUsbmuxd();
    after.attach(p1!);
    after.attach(p3!);
    cleanups.push(
      () => before.close(),
      () => after.close(),
    );
    // A crash sends no Detached events: play it with a proxy in front of two daemons.
    const proxy = await crashableProxy(addressOf(await before.start()));
    cleanups.push(() => proxy.close());
    const afterAddress = addressOf(await after.start());

    const watcher = new UsbmuxWatcher({ address: proxy.address, initialBackoffMs: 300 });
    cleanups.push(() => watcher.stop());
    const ready = Promise.all([p1!, p2!].map((p) => nextEvent<UsbmuxDevice>(watcher, 'attached', (d) => d.udid === p.udid)));
    watcher.start();
    await ready;
    const events: string[] = [];
    watcher.on('attached', (d) => events.push(`+${d.udid}`));
    watcher.on('detached', (d) => events.push(`-${d.udid}`));
    watcher.on('state', (s) => events.push(s.status));

    const p3Attached = nextEvent<UsbmuxDevice>(watcher, 'attached', (d) => d.udid === p3!.udid);
    proxy.crashAndRedirect(afterAddress);
    await p3Attached;
    expect(events).toEqual([`-${p2!.udid}`, `+${p3!.udid}`]);
    expect(
      watcher
        .devices()
        .map((d) => d.udid)
        .sort(),
    ).toEqual([p1!.udid, p3!.udid].sort());
  });

  it('reports daemon-missing with platform advice when nothing listens, and stop() ends the retries', async () => {
    const address = await deadAddress();
    const watcher = new UsbmuxWatcher({ address, platform: 'win32', initialBackoffMs: 10, maxBackoffMs: 20 });
    const missing = nextEvent<UsbmuxWatcherState>(watcher, 'state', (s) => s.status === 'daemon-missing');
    watcher.start();
    const state = await missing;
    expect(state).toMatchObject({ status: 'daemon-missing' });
    expect(state.status === 'daemon-missing' && state.error).toMatch(/ECONNREFUSED/);
    await watcher.stop();
    const after: UsbmuxWatcherState[] = [];
    watcher.on('state', (s) => after.push(s));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(after).toEqual([]);
  });
});
