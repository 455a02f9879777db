import { LOCKDOWN_SERVICE_PORT as LOCKDOWN_PORT } from '../../main/lockdown/lockdown-wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { ByteReader, WireTimeoutError } from '../../main/wire/byte-reader';
import { PlistChannel } from '../../main/plist/framing';
import type { PlistDict } from '../../main/plist/plist-value';
import { decodeUsbmuxPlist, encodeUsbmuxPlist, readUsbmuxPacket, swapPort } from '../../main/usbmux/usbmux-wire';
import { decodePairRecord } from '../../main/lockdown/pair-record';
import type { PairRecord } from '../../main/lockdown/pair-record';
import { hostTlsOptions } from '../../main/lockdown/tls-options';
import { startSimulator } from '../../main/sim/simulator';
import type { Simulator } from '../../main/sim/simulator';
import type { SimService } from '../../main/sim/sim-service';

const echo = (name: string, ssl = false): SimService => ({
  name,
  ssl,
  serve(stream) {
    stream.on('error', () => undefined);
    stream.pipe(stream);
  },
});

async function usbmuxConnect(sim: Simulator, udid: string, port: number): Promise<{ code: number; socket: Socket }> {
  const [host, p] = sim.address.split(':');
  const socket = netConnect(Number(p), host);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const reader = new ByteReader(socket);
  socket.write(encodeUsbmuxPlist(1, { MessageType: 'Connect', DeviceID: sim.daemon.deviceIdOf(udid)!, PortNumber: swapPort(port) }));
  const reply = decodeUsbmuxPlist((await readUsbmuxPacket(reader, { timeoutMs: 3000 })).payload);
  reader.release();
  return { code: reply.Number as number, socket };
}

async function ask(channel: PlistChannel, dict: PlistDict): Promise<PlistDict> {
  await channel.send(dict);
  return (await channel.receive()) as PlistDict;
}

/** Host side of docs/protocols/lockdown.md#the-host-handshake steps 6–7 with the root certificate, as libimobiledevice 1.3.0 does. */
async function session(sim: Simulator, udid: string, record: PairRecord, useHostCert = false): Promise<PlistChannel> {
  const { socket } = await usbmuxConnect(sim, udid, LOCKDOWN_PORT);
  const plain = new PlistChannel(socket, { timeoutMs: 3000 });
  const reply = await ask(plain, { Request: 'StartSession', HostID: record.HostID, SystemBUID: record.SystemBUID });
  expect(reply.EnableSessionSSL).toBe(true);
  plain.reader.release();
  const identity = useHostCert
    ? { certificatePem: record.HostCertificate, privateKeyPem: record.HostPrivateKey }
    : { certificatePem: record.RootCertificate, privateKeyPem: record.RootPrivateKey };
  const tls = tlsConnect({ socket, ...hostTlsOptions(identity) });
  await new Promise<void>((resolve, reject) => tls.once('secureConnect', resolve).once('error', reject));
  return new PlistChannel(tls, { timeoutMs: 3000 });
}

async function echoRoundTrip(stream: Duplex): Promise<string> {
  const reader = new ByteReader(stream);
  stream.write('ping');
  return (await reader.read(4, { timeoutMs: 3000 })).toString();
}

describe('lockdown sessions, services and faults', () => {
  let sim: Simulator;
  let record: PairRecord;
  beforeAll(async () => {
    sim = await startSimulator({
      phones: [{ seed: 'session', trusted: true, locked: true, passcodeSet: true, unlockedSinceBoot: true }],
      phoneOptions: {
        createServices: () =>
          new Map([
            ['com.example.echo', echo('com.example.echo')],
            ['com.example.secure-echo', echo('com.example.secure-echo', true)],
            ['com.apple.mobilebackup2', echo('com.apple.mobilebackup2')],
          ]),
      },
    });
    record = decodePairRecord((await sim.daemon.readPairRecord(sim.phones[0]!.udid))!);
  });
  afterAll(() => sim.close());
  const udid = (): string => sim.phones[0]!.udid;

  it('accepts either the root or the host certificate from the TLS client and then serves session values', async () => {
    for (const useHostCert of [false, true]) {
      const ch = await session(sim, udid(), record, useHostCert);
      const serial = await ask(ch, { Request: 'GetValue', Key: 'SerialNumber' });
      expect(serial.Value).toBe(sim.phones[0]!.identity.serialNumber);
      ch.close();
    }
  });

  it('StartService returns a port that the usbmuxd Connect bridges to the service; unknown names are InvalidService', async () => {
    const ch = await session(sim, udid(), record);
    const started = await ask(ch, { Request: 'StartService', Service: 'com.example.echo' });
    expect(started).toMatchObject({ Request: 'StartService', Service: 'com.example.echo' });
    expect(started.EnableServiceSSL).toBeUndefined();
    const { code, socket } = await usbmuxConnect(sim, udid(), started.Port as number);
    expect(code).toBe(0);
    expect(await echoRoundTrip(socket)).toBe('ping');
    socket.destroy();
    expect(await ask(ch, { Request: 'StartService', Service: 'com.example.nope' })).toMatchObject({ Error: 'InvalidService' });
    ch.close();
  });

  it('an SSL service speaks TLS from the first byte', async () => {
    const ch = await session(sim, udid(), record);
    const started = await ask(ch, { Request: 'StartService', Service: 'com.example.secure-echo' });
    expect(started.EnableServiceSSL).toBe(true);
    const { socket } = await usbmuxConnect(sim, udid(), started.Port as number);
    const tls = tlsConnect({ socket, ...hostTlsOptions({ certificatePem: record.RootCertificate, privateKeyPem: record.RootPrivateKey }) });
    await new Promise<void>((resolve, reject) => tls.once('secureConnect', resolve).once('error', reject));
    expect(await echoRoundTrip(tls)).toBe('ping');
    tls.destroy();
    ch.close();
  });

  it('a locked phone needs the escrow bag for mobilebackup2 (PasswordProtected without, EscrowLocked with a wrong one)', async () => {
    const ch = await session(sim, udid(), record);
    expect(await ask(ch, { Request: 'StartService', Service: 'com.apple.mobilebackup2' })).toMatchObject({ Error: 'PasswordProtected' });
    expect(await ask(ch, { Request: 'StartService', Service: 'com.apple.mobilebackup2', EscrowBag: Buffer.alloc(32) })).toMatchObject({
      Error: 'EscrowLocked',
    });
    const ok = await ask(ch, { Request: 'StartService', Service: 'com.apple.mobilebackup2', EscrowBag: record.EscrowBag! });
    expect(ok.Port).toBeTypeOf('number');
    ch.close();
  });

  it('refuseService makes the service port refuse the Connect; stallService accepts but never answers', async () => {
    const phone = sim.phones[0]!;
    const ch = await session(sim, udid(), record);
    phone.faults.set({ refuseService: ['com.example.echo'] });
    const refused = await ask(ch, { Request: 'StartService', Service: 'com.example.echo' });
    expect((await usbmuxConnect(sim, udid(), refused.Port as number)).code).toBe(3);
    phone.faults.reset().set({ stallService: ['com.example.echo'] });
    const stalled = await ask(ch, { Request: 'StartService', Service: 'com.example.echo' });
    const { code, socket } = await usbmuxConnect(sim, udid(), stalled.Port as number);
    expect(code).toBe(0);
    socket.write('ping');
    await expect(new ByteReader(socket).read(1, { timeoutMs: 300 })).rejects.toBeInstanceOf(WireTimeoutError);
    socket.destroy();
    phone.faults.reset();
    ch.close();
  });

  it('a StopSession with the wrong SessionID is InvalidSessionID and the session stays usable', async () => {
    const ch = await session(sim, udid(), record);
    const start = await ask(ch, { Request: 'GetValue', Key: 'UniqueDeviceID' });
    expect(start.Value).toBe(udid());
    expect(await ask(ch, { Request: 'StopSession', SessionID: 'wrong' })).toMatchObject({ Error: 'InvalidSessionID' });
    expect((await ask(ch, { Request: 'GetValue', Key: 'SerialNumber' })).Value).toBe(sim.phones[0]!.identity.serialNumber);
    ch.close();
  });
});
