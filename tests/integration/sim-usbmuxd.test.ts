import { LOCKDOWN_SERVICE_PORT as LOCKDOWN_PORT } from '../../main/lockdown/lockdown-wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { ByteReader, StreamClosedError } from '../../main/wire/byte-reader';
import { PlistChannel } from '../../main/plist/framing';
import { encodeBinaryPlist, encodeXmlPlist } from '../../main/plist/plist-codec';
import type { PlistDict } from '../../main/plist/plist-value';
import {
  decodeUsbmuxPlist,
  encodeUsbmuxHeader,
  encodeUsbmuxPacket,
  encodeUsbmuxPlist,
  readUsbmuxPacket,
  swapPort,
} from '../../main/usbmux/usbmux-wire';
import { startSimulator } from '../../main/sim/simulator';
import type { Simulator } from '../../main/sim/simulator';
import type { SimService } from '../../main/sim/sim-service';

type Conn = { socket: Socket; reader: ByteReader };

async function open(address: string): Promise<Conn> {
  const colon = address.lastIndexOf(':');
  const socket = connect(Number(address.slice(colon + 1)), address.slice(0, colon));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  return { socket, reader: new ByteReader(socket) };
}

async function request(conn: Conn, dict: PlistDict, tag = 1): Promise<{ tag: number; version: number; body: PlistDict }> {
  conn.socket.write(encodeUsbmuxPlist(tag, dict));
  return receive(conn);
}

async function receive(conn: Conn): Promise<{ tag: number; version: number; body: PlistDict }> {
  const packet = await readUsbmuxPacket(conn.reader, { timeoutMs: 3000 });
  return { tag: packet.header.tag, version: packet.header.version, body: decodeUsbmuxPlist(packet.payload) };
}

async function expectClosed(conn: Conn): Promise<void> {
  await expect(conn.reader.read(1, { timeoutMs: 3000 })).rejects.toBeInstanceOf(StreamClosedError);
}

const echoService: SimService = {
  name: 'com.example.echo',
  ssl: false,
  serve(stream) {
    stream.on('error', () => undefined);
    stream.pipe(stream);
  },
};

describe('fake usbmuxd over real sockets', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      phones: [{ seed: 'first', trusted: true, locked: false }, { seed: 'second' }],
      phoneOptions: { createServices: () => new Map([[echoService.name, echoService]]) },
    });
  });
  afterAll(() => sim.close());

  const deviceId = (i: number): number => sim.daemon.deviceIdOf(sim.phones[i]!.udid)!;

  it('ListDevices returns every phone with USB properties and echoes the tag', async () => {
    const conn = await open(sim.address);
    const reply = await request(conn, { MessageType: 'ListDevices', ProgName: 'test' }, 77);
    expect(reply.tag).toBe(77);
    const list = reply.body.DeviceList as PlistDict[];
    expect(list.map((d) => (d.Properties as PlistDict).SerialNumber).sort()).toEqual(sim.phones.map((p) => p.udid).sort());
    expect((list[0]!.Properties as PlistDict).ConnectionType).toBe('USB');
    conn.socket.destroy();
  });

  it('Listen answers Result 0, then Attached per phone, then live Detached/Attached with a new DeviceID', async () => {
    const conn = await open(sim.address);
    const result = await request(conn, { MessageType: 'Listen' }, 5);
    expect(result.body).toEqual({ MessageType: 'Result', Number: 0 });
    const attached = [await receive(conn), await receive(conn)];
    expect(attached.map((a) => a.body.MessageType)).toEqual(['Attached', 'Attached']);
    expect(attached.every((a) => a.tag === 0)).toBe(true);
    const phone = sim.phones[1]!;
    const oldId = deviceId(1);
    sim.daemon.detach(phone);
    expect((await receive(conn)).body).toEqual({ MessageType: 'Detached', DeviceID: oldId });
    sim.daemon.attach(phone);
    const again = await receive(conn);
    expect(again.body.MessageType).toBe('Attached');
    expect(again.body.DeviceID).not.toBe(oldId);
    conn.socket.destroy();
  });

  it('ReadBUID returns the daemon SystemBUID', async () => {
    const conn = await open(sim.address);
    expect((await request(conn, { MessageType: 'ReadBUID' })).body).toEqual({ BUID: sim.daemon.systemBuid });
    conn.socket.destroy();
  });

  it('Save/Read/DeletePairRecord accept binary data and answer ENOENT afterwards', async () => {
    const conn = await open(sim.address);
    const data = encodeBinaryPlist({ HostID: 'H', SystemBUID: 'B' });
    expect((await request(conn, { MessageType: 'SavePairRecord', PairRecordID: 'X-1', PairRecordData: data })).body.Number).toBe(0);
    const read = await request(conn, { MessageType: 'ReadPairRecord', PairRecordID: 'X-1' });
    expect(Buffer.from(read.body.PairRecordData as Uint8Array).toString()).toContain('<key>HostID</key>');
    expect((await request(conn, { MessageType: 'DeletePairRecord', PairRecordID: 'X-1' })).body.Number).toBe(0);
    expect((await request(conn, { MessageType: 'ReadPairRecord', PairRecordID: 'X-1' })).body).toEqual({
      MessageType: 'Result',
      Number: 2,
    });
    expect(
      (await request(conn, { MessageType: 'SavePairRecord', PairRecordID: 'X-2', PairRecordData: Buffer.from('junk') })).body.Number,
    ).toBe(22);
    conn.socket.destroy();
  });

  it('answers BADCOMMAND to unknown requests and BADVERSION to unknown header versions', async () => {
    const conn = await open(sim.address);
    expect((await request(conn, { MessageType: 'Nonsense' })).body).toEqual({ MessageType: 'Result', Number: 1 });
    conn.socket.destroy();
    const other = await open(sim.address);
    other.socket.write(encodeUsbmuxPacket({ version: 7, message: 8, tag: 3 }, encodeXmlPlist({ MessageType: 'ListDevices' })));
    const packet = await readUsbmuxPacket(other.reader, { timeoutMs: 3000 });
    expect(packet.header.tag).toBe(3);
    expect(packet.payload.readUInt32LE(0)).toBe(6);
    other.socket.destroy();
  });

  it('Connect errors: missing device → 2, missing port → 1, closed port → 3', async () => {
    const conn = await open(sim.address);
    expect((await request(conn, { MessageType: 'Connect', DeviceID: 9999, PortNumber: swapPort(LOCKDOWN_PORT) })).body.Number).toBe(2);
    expect((await request(conn, { MessageType: 'Connect', DeviceID: deviceId(0) })).body.Number).toBe(1);
    expect((await request(conn, { MessageType: 'Connect', DeviceID: deviceId(0), PortNumber: swapPort(1234) })).body.Number).toBe(3);
    conn.socket.destroy();
  });

  it('Connect to the byte-swapped lockdown port turns the socket into a raw lockdown pipe', async () => {
    const conn = await open(sim.address);
    expect((await request(conn, { MessageType: 'Connect', DeviceID: deviceId(0), PortNumber: swapPort(LOCKDOWN_PORT) })).body.Number).toBe(
      0,
    );
    conn.reader.release();
    const lockdown = new PlistChannel(conn.socket, { timeoutMs: 3000 });
    await lockdown.send({ Request: 'QueryType', Label: 'test' });
    expect(await lockdown.receive()).toEqual({ Request: 'QueryType', Type: 'com.apple.mobile.lockdown' });
    lockdown.close();
  });

  it.each([
    ['an absurd length', encodeUsbmuxHeader({ length: 0xffffffff, version: 1, message: 8, tag: 1 })],
    ['a length below the header size', encodeUsbmuxHeader({ length: 3, version: 1, message: 8, tag: 1 })],
    ['a garbage plist', encodeUsbmuxPacket({ version: 1, message: 8, tag: 1 }, Buffer.from('<plist><dict><key>'))],
    ['a non-dict plist', encodeUsbmuxPacket({ version: 1, message: 8, tag: 1 }, encodeXmlPlist(['ListDevices']))],
  ])('closes only the client that sent %s and keeps serving others', async (_name, bytes) => {
    const bad = await open(sim.address);
    bad.socket.write(bytes);
    await expectClosed(bad);
    const good = await open(sim.address);
    const reply = await request(good, { MessageType: 'ListDevices' });
    expect((reply.body.DeviceList as PlistDict[]).length).toBe(2);
    good.socket.destroy();
  });
});

describe('lockdownd behind the fake usbmuxd', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      phones: [{ seed: 'ld-1', trusted: true, locked: true, passcodeSet: true }, { seed: 'ld-2' }],
      phoneOptions: { createServices: () => new Map([[echoService.name, echoService]]) },
    });
  });
  afterAll(() => sim.close());

  async function lockdown(index: number): Promise<PlistChannel> {
    const conn = await open(sim.address);
    const id = sim.daemon.deviceIdOf(sim.phones[index]!.udid)!;
    const reply = await request(conn, { MessageType: 'Connect', DeviceID: id, PortNumber: swapPort(LOCKDOWN_PORT) });
    expect(reply.body.Number).toBe(0);
    conn.reader.release();
    return new PlistChannel(conn.socket, { timeoutMs: 3000 });
  }

  async function ask(channel: PlistChannel, dict: PlistDict): Promise<PlistDict> {
    await channel.send(dict);
    return (await channel.receive()) as PlistDict;
  }

  it('answers pre-session GetValue from the whitelist, GetProhibited for session values, MissingValue for unknown keys', async () => {
    const ch = await lockdown(0);
    expect(await ask(ch, { Request: 'GetValue', Key: 'ProductVersion' })).toEqual({
      Request: 'GetValue',
      Key: 'ProductVersion',
      Value: '14.8',
    });
    expect((await ask(ch, { Request: 'GetValue', Key: 'SerialNumber' })).Error).toBe('GetProhibited');
    expect((await ask(ch, { Request: 'GetValue', Key: 'NoSuchKey' })).Error).toBe('MissingValue');
    const pk = await ask(ch, { Request: 'GetValue', Key: 'DevicePublicKey' });
    expect(Buffer.from(pk.Value as Uint8Array).toString()).toContain('BEGIN RSA PUBLIC KEY');
    ch.close();
  });

  it('refuses StartService without a session and StartSession for an unknown HostID', async () => {
    const ch = await lockdown(0);
    expect(await ask(ch, { Request: 'StartService', Service: 'com.example.echo' })).toMatchObject({
      Request: 'StartService',
      Error: 'SessionInactive',
    });
    expect(await ask(ch, { Request: 'StartSession', HostID: 'NOT-A-HOST', SystemBUID: 'x' })).toMatchObject({ Error: 'InvalidHostID' });
    ch.close();
  });

  it('Pair with a record whose DeviceCertificate is junk is InvalidPairRecord', async () => {
    const ch = await lockdown(1);
    const reply = await ask(ch, {
      Request: 'Pair',
      ProtocolVersion: '2',
      PairRecord: {
        HostID: 'H',
        SystemBUID: 'B',
        DeviceCertificate: Buffer.from('x'),
        HostCertificate: Buffer.from('x'),
        RootCertificate: Buffer.from('x'),
      },
    });
    expect(reply).toMatchObject({ Request: 'Pair', Error: 'InvalidPairRecord' });
    ch.close();
  });

  it('an unnamed request, a garbage frame or a huge length closes that connection; the other phone keeps answering', async () => {
    const a = await lockdown(0);
    await a.send(['not', 'a', 'dict']);
    await expect(a.receive()).rejects.toBeInstanceOf(StreamClosedError);
    const b = await lockdown(0);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(0x7fffffff);
    b.stream.write(len);
    await expect(b.receive()).rejects.toBeInstanceOf(StreamClosedError);
    const c = await lockdown(1);
    c.stream.write(Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from('junk!')]));
    await expect(c.receive()).rejects.toBeInstanceOf(StreamClosedError);
    const d = await lockdown(1);
    expect(await ask(d, { Request: 'QueryType' })).toMatchObject({ Type: 'com.apple.mobile.lockdown' });
    d.close();
  });

  it('replies echo Request, and unknown requests get an error answer', async () => {
    const ch = await lockdown(1);
    expect(await ask(ch, { Request: 'FlyToTheMoon' })).toMatchObject({ Request: 'FlyToTheMoon', Error: 'InvalidRequest' });
    ch.close();
  });

  it('the corruptFrameAfterBytes fault flips bytes the device sends', async () => {
    const phone = sim.phones[1]!;
    phone.faults.set({ corruptFrameAfterBytes: 0 });
    try {
      const ch = await lockdown(1);
      await ch.send({ Request: 'QueryType' });
      await expect(ch.receive()).rejects.toThrow();
      ch.close();
    } finally {
      phone.faults.reset();
    }
  });

  it('the refusePort fault makes Connect answer 3', async () => {
    const phone = sim.phones[1]!;
    phone.faults.set({ refusePort: [LOCKDOWN_PORT] });
    try {
      const conn = await open(sim.address);
      const id = sim.daemon.deviceIdOf(phone.udid)!;
      expect((await request(conn, { MessageType: 'Connect', DeviceID: id, PortNumber: swapPort(LOCKDOWN_PORT) })).body.Number).toBe(3);
      conn.socket.destroy();
    } finally {
      phone.faults.reset();
    }
  });
});

describe('unplug faults', () => {
  it('unplugAfterBytes unplugs the phone mid-conversation: bridge closed, Detached, no longer listed', async () => {
    const sim = await startSimulator({ phones: [{ seed: 'unplug', timeFactor: 0.01 }] });
    try {
      const phone = sim.phones[0]!;
      phone.faults.set({ unplugAfterBytes: 100 });
      const conn = await open(sim.address);
      const id = sim.daemon.deviceIdOf(phone.udid)!;
      expect((await request(conn, { MessageType: 'Connect', DeviceID: id, PortNumber: swapPort(LOCKDOWN_PORT) })).body.Number).toBe(0);
      conn.reader.release();
      const ch = new PlistChannel(conn.socket, { timeoutMs: 3000 });
      await ch.send({ Request: 'GetValue', Key: 'ProductVersion' });
      await expect(ch.receive()).rejects.toBeInstanceOf(StreamClosedError);
      expect(phone.hardware.plugged).toBe(false);
      expect(sim.daemon.listedUdids()).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});
