import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter, once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { PlistChannel } from '../../main/plist/framing';
import { isPlistDict } from '../../main/plist/plist-value';
import type { PlistDict, PlistValue } from '../../main/plist/plist-value';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';
import type { UsbmuxDevice } from '../../main/usbmux/usbmux-client';
import { LockdownClient, LockdownError } from '../../main/lockdown/lockdown-client';
import { readDeviceInfo } from '../../main/lockdown/device-info';
import { generateRsaKeyPair } from '../../main/lockdown/pair-record';
import type { PairRecord, RsaKeyPairPem } from '../../main/lockdown/pair-record';
import { readPairRecord } from '../../main/lockdown/pair-record-store';
import { startSimulator } from '../../main/sim/simulator';
import type { Simulator } from '../../main/sim/simulator';
import type { SimService } from '../../main/sim/sim-service';
import { FakeUsbmuxd } from '../../main/sim/usbmuxd-daemon';
import type { UsbmuxPhone } from '../../main/sim/usbmuxd-daemon';
import { FaultPlan } from '../../main/sim/faults';
import { createDuplexPair } from '../../main/sim/duplex-pair';
import type { VirtualIphone } from '../../main/sim/virtual-iphone';

const echo: SimService = {
  name: 'com.example.echo',
  ssl: false,
  serve(stream) {
    stream.on('error', () => undefined);
    stream.pipe(stream);
  },
};

let deviceKey: RsaKeyPairPem;
let sim: Simulator;
let usbmux: UsbmuxClient;
let trusted: VirtualIphone;
let untrustedLocked: VirtualIphone;
let trustedLocked: VirtualIphone;
let toRecover: VirtualIphone;
let recoverRecord: PairRecord;
let record: PairRecord;

beforeAll(async () => {
  deviceKey = await generateRsaKeyPair();
  sim = await startSimulator({
    phones: [
      {
        seed: 'ld-trusted',
        trusted: true,
        locked: false,
        ios: '14.8',
        deviceName: 'Ada’s iPhone',
        backupEncryption: true,
        timeFactor: 0.01,
      },
      {
        seed: 'ld-untrusted',
        trusted: false,
        locked: true,
        passcodeSet: true,
        ios: '16.0',
        model: { productType: 'iPhone10,3' },
        timeFactor: 0.01,
      },
      {
        seed: 'ld-locked',
        trusted: true,
        locked: true,
        passcodeSet: true,
        ios: '12.5.7',
        model: { productType: 'iPhone6,1' },
        timeFactor: 0.01,
      },
      { seed: 'ld-recovery', trusted: true, locked: false, ios: '15.7', timeFactor: 0.01 },
    ],
    phoneOptions: { deviceKey, createServices: () => new Map([[echo.name, echo]]) },
  });
  [trusted, untrustedLocked, trustedLocked, toRecover] = sim.phones as [VirtualIphone, VirtualIphone, VirtualIphone, VirtualIphone];
  const address = parseUsbmuxSocketAddress(sim.address, 'linux');
  if (!address) throw new Error('sim address');
  usbmux = new UsbmuxClient({ address });
  record = (await readPairRecord(usbmux, trusted.udid))!;
  recoverRecord = (await readPairRecord(usbmux, toRecover.udid))!;
}, 60_000);
afterAll(() => sim.close());

async function device(phone: VirtualIphone): Promise<UsbmuxDevice> {
  const found = (await usbmux.listDevices()).find((d) => d.udid === phone.udid);
  if (!found) throw new Error(`${phone.udid} not listed`);
  return found;
}

async function lockdown(phone: VirtualIphone, timeoutMs = 3000): Promise<LockdownClient> {
  return LockdownClient.connect(usbmux, (await device(phone)).deviceId, { timeoutMs });
}

describe('LockdownClient before a session', () => {
  it('QueryType answers com.apple.mobile.lockdown and GetValue reads the whitelisted values', async () => {
    const client = await lockdown(untrustedLocked);
    expect(await client.queryType()).toBe('com.apple.mobile.lockdown');
    expect(await client.getValue({ key: 'ProductType' })).toBe('iPhone10,3');
    expect(await client.getValue({ key: 'ProductVersion' })).toBe('16.0');
    const all = await client.getValue();
    expect(all).toMatchObject({ ProductType: 'iPhone10,3', UniqueDeviceID: untrustedLocked.udid, ChipID: untrustedLocked.model.cpid });
    expect(all).not.toHaveProperty('SerialNumber');
    client.close();
  });

  it('session-only values and services are typed errors: GetProhibited, SessionInactive', async () => {
    const client = await lockdown(untrustedLocked);
    const prohibited = await client.getValue({ key: 'SerialNumber' }).catch((e: unknown) => e);
    expect(prohibited).toBeInstanceOf(LockdownError);
    expect(prohibited).toMatchObject({ code: 'GetProhibited', request: 'GetValue' });
    expect((prohibited as LockdownError).libimobiledeviceCode).toBe(-13);
    await expect(client.startService(echo.name)).rejects.toMatchObject({ code: 'SessionInactive' });
    // The connection stays usable after a device error.
    expect(await client.queryType()).toBe('com.apple.mobile.lockdown');
    client.close();
  });

  it('an untrusted locked phone refuses our pair record with InvalidHostID', async () => {
    const client = await lockdown(untrustedLocked);
    const error = await client.startSession(record).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockdownError);
    expect(error).toMatchObject({ code: 'InvalidHostID', request: 'StartSession' });
    expect((error as LockdownError).details.deviceError).toBe('InvalidHostID');
    expect((error as LockdownError).libimobiledeviceCode).toBe(-21);
    expect(client.activeSession).toBeNull();
    client.close();
  });
});

describe('LockdownClient sessions', () => {
  it('StartSession wraps TLS around the same socket, reads session values, and StopSession ends it', async () => {
    for (const certificate of ['host', 'root'] as const) {
      const client = await lockdown(trusted);
      const session = await client.startSession(record, { certificate });
      expect(session.ssl).toBe(true);
      expect(session.sessionId).toMatch(/^[0-9A-F-]{36}$/);
      expect(await client.getValue({ key: 'SerialNumber' })).toBe(trusted.identity.serialNumber);
      expect(await client.getValue({ domain: 'com.apple.mobile.backup', key: 'WillEncrypt' })).toBe(true);
      await expect(client.startSession(record)).rejects.toMatchObject({ code: 'SessionActive' });
      await client.stopSession();
      expect(client.activeSession).toBeNull();
      client.close();
    }
  });

  it('StartService returns the port, which usbmuxd Connect then reaches; unknown names are InvalidService', async () => {
    const client = await lockdown(trusted);
    await client.startSession(record);
    const started = await client.startService(echo.name);
    expect(started).toMatchObject({ service: echo.name, ssl: false });
    const stream = await usbmux.connect((await device(trusted)).deviceId, started.port);
    stream.write('ping');
    stream.resume();
    const [reply] = (await once(stream, 'data')) as [Buffer];
    expect(reply.toString()).toBe('ping');
    stream.destroy();
    await expect(client.startService('com.example.nothing')).rejects.toMatchObject({ code: 'InvalidService' });
    client.close();
  });

  it('EnterRecovery needs a session on iOS 14.5+, and with one the phone reboots into recovery', async () => {
    const plain = await lockdown(toRecover);
    await expect(plain.enterRecovery()).rejects.toMatchObject({ code: 'SessionInactive' });
    plain.close();

    const client = await lockdown(toRecover);
    await client.startSession(recoverRecord);
    const recovery = new Promise<void>((resolve) => {
      const onMode = (mode: string): void => {
        if (mode !== 'recovery') return;
        toRecover.events.off('mode', onMode);
        resolve();
      };
      toRecover.events.on('mode', onMode);
    });
    await client.enterRecovery();
    await recovery;
    expect(toRecover.hardware.mode).toBe('recovery');
    client.close();
  });
});

describe('LockdownClient against a broken peer', () => {
  const servers: Server[] = [];
  const peerSockets = new Set<Duplex>();
  afterEach(async () => {
    for (const socket of peerSockets) socket.destroy();
    peerSockets.clear();
    for (const server of servers.splice(0)) {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  async function rawPeer(onData: (socket: Duplex, chunk: Buffer) => void): Promise<Duplex> {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => onData(socket, chunk));
      peerSockets.add(socket);
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    return socket;
  }

  it('a peer that never answers gives a Timeout error within the bound, and the connection is closed', async () => {
    const client = new LockdownClient(await rawPeer(() => undefined), { timeoutMs: 300 });
    const started = Date.now();
    const error = await client.queryType().catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ code: 'Timeout', request: 'QueryType' });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
    expect(client.closed).toBe(true);
    await expect(client.getValue()).rejects.toMatchObject({ code: 'ConnectionClosed' });
  });

  it('GetValue takes its own bound when configured', async () => {
    const client = new LockdownClient(await rawPeer(() => undefined), { timeoutMs: 5000, getValueTimeoutMs: 200 });
    const started = Date.now();
    await expect(client.getValue({ key: 'ProductType' })).rejects.toMatchObject({ code: 'Timeout' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('an absurd frame length, a reply for another request and a peer hanging up are typed errors', async () => {
    const huge = new LockdownClient(await rawPeer((socket) => socket.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]))), { timeoutMs: 2000 });
    await expect(huge.queryType()).rejects.toMatchObject({ code: 'ProtocolError' });

    const frame = (xml: string): Buffer => {
      const body = Buffer.from(xml);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      return Buffer.concat([head, body]);
    };
    const other = new LockdownClient(
      await rawPeer((socket) =>
        socket.write(frame('<?xml version="1.0"?><plist version="1.0"><dict><key>Request</key><string>GetValue</string></dict></plist>')),
      ),
      { timeoutMs: 2000 },
    );
    await expect(other.queryType()).rejects.toMatchObject({ code: 'ProtocolError' });

    const hangUp = new LockdownClient(await rawPeer((socket) => socket.destroy()), { timeoutMs: 2000 });
    await expect(hangUp.queryType()).rejects.toMatchObject({ code: 'ConnectionClosed' });
  });
});

/** A phone whose port 62078 accepts and then never answers: what readDeviceInfo must survive. */
function stallingPhone(udid: string): UsbmuxPhone {
  return {
    udid,
    faults: new FaultPlan(),
    events: new EventEmitter(),
    usbVisible: () => true,
    usbProductId: () => 0x12a8,
    openPort: () => {
      const [host, phone] = createDuplexPair();
      phone.on('error', () => undefined);
      phone.resume();
      return host;
    },
    unplug: () => undefined,
  };
}

/** A phone whose lockdownd answers from a script (for answers the virtual iPhone never gives). */
function scriptedPhone(udid: string, answer: (request: PlistDict) => PlistDict): UsbmuxPhone {
  return {
    ...stallingPhone(udid),
    openPort: () => {
      const [host, phone] = createDuplexPair();
      const channel = new PlistChannel(phone);
      void (async () => {
        for (;;) {
          const request = await channel.receive();
          if (!isPlistDict(request)) return;
          await channel.send(answer(request));
        }
      })().catch(() => undefined);
      return host;
    },
  };
}

describe('readDeviceInfo', () => {
  it('a trusted unlocked phone: pre-session facts, trusted, session-only values', async () => {
    const info = await readDeviceInfo(usbmux, await device(trusted));
    expect(info).toMatchObject({
      lockdownType: 'com.apple.mobile.lockdown',
      productVersion: '14.8',
      uniqueDeviceId: trusted.udid,
      deviceName: 'Ada’s iPhone',
      trust: 'trusted',
      pairRecordFound: true,
      passwordProtected: false,
      willEncrypt: true,
    });
  });

  it('a trusted locked phone is trusted, reports its passcode lock and its identity', async () => {
    const info = await readDeviceInfo(usbmux, await device(trustedLocked));
    expect(info).toMatchObject({
      udid: trustedLocked.udid,
      productType: 'iPhone6,1',
      hardwareModel: trustedLocked.model.boardConfig.toUpperCase(),
      productVersion: '12.5.7',
      buildVersion: '16H81',
      uniqueDeviceId: trustedLocked.udid,
      chipId: trustedLocked.model.cpid,
      boardId: trustedLocked.model.bdid,
      ecid: trustedLocked.identity.ecid,
      trust: 'trusted',
      trustError: null,
      pairRecordFound: true,
      passwordProtected: true,
      willEncrypt: false,
    });
  });

  it('an untrusted phone is not trusted, with its facts still read', async () => {
    const info = await readDeviceInfo(usbmux, await device(untrustedLocked));
    expect(info).toMatchObject({
      productType: 'iPhone10,3',
      productVersion: '16.0',
      chipId: untrustedLocked.model.cpid,
      ecid: untrustedLocked.identity.ecid,
      trust: 'not-trusted',
      pairRecordFound: false,
      willEncrypt: null,
    });
  });

  it('a pair record the phone no longer knows means not trusted (InvalidHostID)', async () => {
    const info = await readDeviceInfo(usbmux, await device(untrustedLocked), { pairRecord: record });
    expect(info).toMatchObject({ trust: 'not-trusted', trustError: 'InvalidHostID', pairRecordFound: true });
  });

  it('a paired phone that refuses the session with PasswordProtected is paired-locked', async () => {
    const daemon = new FakeUsbmuxd();
    const address = parseUsbmuxSocketAddress(await daemon.start(), 'linux')!;
    try {
      daemon.attach(
        scriptedPhone('e'.repeat(40), (request): PlistDict => {
          const name = request.Request as string;
          if (name === 'QueryType') return { Request: name, Type: 'com.apple.mobile.lockdown' };
          if (name === 'GetValue' && request.Key === undefined) {
            return { Request: name, Value: { ProductType: 'iPhone9,3', ProductVersion: '13.7', UniqueChipID: 2n ** 63n + 5n } };
          }
          if (name === 'StartSession') return { Request: name, Error: 'PasswordProtected' };
          return { Request: name, Error: 'GetProhibited' };
        }),
      );
      const client = new UsbmuxClient({ address });
      const [listed] = await client.listDevices();
      const info = await readDeviceInfo(client, listed!, { pairRecord: record, timeoutMs: 3000 });
      expect(info).toMatchObject({
        productType: 'iPhone9,3',
        ecid: 2n ** 63n + 5n,
        deviceName: null,
        trust: 'paired-locked',
        trustError: 'PasswordProtected',
        passwordProtected: true,
      });
    } finally {
      await daemon.close();
    }
  });

  it('a phone that refuses the whole pre-session dict is identified key by key', async () => {
    const daemon = new FakeUsbmuxd();
    const address = parseUsbmuxSocketAddress(await daemon.start(), 'linux')!;
    const single: Record<string, PlistValue> = { ProductType: 'iPhone14,5', ProductVersion: '17.0', ChipID: 0x8110, UniqueChipID: 0x1234 };
    try {
      daemon.attach(
        scriptedPhone('d'.repeat(40), (request): PlistDict => {
          const name = request.Request as string;
          if (name === 'QueryType') return { Request: name, Type: 'com.apple.mobile.lockdown' };
          const value = typeof request.Key === 'string' ? single[request.Key] : undefined;
          return value === undefined
            ? { Request: name, Error: 'GetProhibited' }
            : { Request: name, Key: request.Key as string, Value: value };
        }),
      );
      const client = new UsbmuxClient({ address });
      const [listed] = await client.listDevices();
      const info = await readDeviceInfo(client, listed!, { pairRecord: null, timeoutMs: 3000 });
      expect(info).toMatchObject({
        productType: 'iPhone14,5',
        productVersion: '17.0',
        chipId: 0x8110,
        ecid: 0x1234n,
        buildVersion: null,
        trust: 'not-trusted',
      });
    } finally {
      await daemon.close();
    }
  });

  it('a phone whose lockdownd stalls gives a Timeout within the overall bound', async () => {
    const daemon = new FakeUsbmuxd();
    const address = parseUsbmuxSocketAddress(await daemon.start(), 'linux')!;
    try {
      const phone = stallingPhone('f'.repeat(40));
      daemon.attach(phone);
      const client = new UsbmuxClient({ address });
      const [listed] = await client.listDevices();
      const started = Date.now();
      const error = await readDeviceInfo(client, listed!, { timeoutMs: 600, requestTimeoutMs: 5000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockdownError);
      expect(error).toMatchObject({ code: 'Timeout' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await daemon.close();
    }
  });
});
