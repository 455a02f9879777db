import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DLMessage,
  FileBatchWriter,
  FileBlockCode,
  parseDeviceLinkMessage,
  processMessage,
  readFileBatch,
  statusResponseMessage,
  versionsOkMessage,
  type DeviceLinkMessage,
} from '../../main/devicelink/device-link';
import { PlistChannel } from '../../main/plist/framing';
import { PlistReal, type PlistDict } from '../../main/plist/plist-value';
import { createDuplexPair } from '../../main/sim/duplex-pair';
import { FaultPlan } from '../../main/sim/faults';
import { parseScenario, type ScenarioInput } from '../../main/sim/scenario';
import { AFC_MAGIC, AfcOp, AfcStatus } from '../../main/afc/afc-packet';
import { createSimServices, virtualFilesystemOf } from '../../main/sim/services/index';
import { PASSCODE_ENTERED_EVENT } from '../../main/sim/services/mobilebackup2';
import type { SimServicePhone } from '../../main/sim/sim-service';
import { ByteReader } from '../../main/wire/byte-reader';

const UDID = '00008030-001234567890802E';
const phones: SimServicePhone[] = [];

function phoneFor(input: ScenarioInput = {}): SimServicePhone {
  const scenario = parseScenario({ filesystem: { seed: 'svc', fileCount: 40, totalBytes: 400_000 }, ...input });
  const phone: SimServicePhone = {
    udid: UDID,
    scenario,
    faults: new FaultPlan(),
    events: new EventEmitter(),
    lockdownValue: (domain, key) => (domain === undefined && key === 'ProductVersion' ? scenario.ios : undefined),
  };
  phones.push(phone);
  return phone;
}

function connect(phone: SimServicePhone, name: string): Duplex {
  const [host, device] = createDuplexPair();
  createSimServices(phone).get(name)!.serve(device);
  return host;
}

afterEach(async () => {
  for (const phone of phones.splice(0)) await virtualFilesystemOf(phone).dispose();
});

/** A scripted host: the DL handshake, then answers with the given policy. */
class TestHost {
  readonly channel: PlistChannel;
  constructor(readonly stream: Duplex) {
    this.channel = new PlistChannel(stream, { format: 'binary', timeoutMs: 5000 });
  }
  async receive(): Promise<DeviceLinkMessage> {
    return parseDeviceLinkMessage(await this.channel.receive());
  }
  async handshake(): Promise<void> {
    expect((await this.receive()).args).toEqual([300, 0]);
    await this.channel.send(versionsOkMessage(300));
    expect((await this.receive()).name).toBe(DLMessage.DeviceReady);
    await this.channel.send(processMessage({ MessageName: 'Hello', SupportedProtocolVersions: [new PlistReal(2.0), new PlistReal(2.1)] }));
    const hello = (await this.receive()).args[0] as PlistDict;
    expect(hello.ErrorCode).toBe(0);
    expect(hello.ProtocolVersion).toBe(2.1);
  }
  /** Runs the DL loop until the final ProcessMessage; missing downloads answer ENOENT. */
  async loop(options: { freeBytes: number }, first?: DeviceLinkMessage): Promise<{ final: PlistDict; seen: string[] }> {
    const seen: string[] = [];
    let pending = first;
    for (;;) {
      const message = pending ?? (await this.receive());
      pending = undefined;
      seen.push(message.name);
      switch (message.name) {
        case DLMessage.ProcessMessage:
          return { final: message.args[0] as PlistDict, seen };
        case DLMessage.GetFreeDiskSpace:
          await this.channel.send(statusResponseMessage(0, undefined, options.freeBytes));
          break;
        case DLMessage.DownloadFiles: {
          const writer = new FileBatchWriter(this.stream);
          for (const path of message.args[0] as string[]) {
            await writer.beginFile({ sourceName: undefined, path });
            await writer.endFile({ ok: false, code: FileBlockCode.LocalError, message: 'No such file or directory' });
          }
          await writer.endBatch();
          await this.channel.send(statusResponseMessage(-13, 'Multi status', {}));
          break;
        }
        case DLMessage.CreateDirectory:
          await this.channel.send(statusResponseMessage(0, undefined, {}));
          break;
        case DLMessage.UploadFiles: {
          expect(message.args).toHaveLength(3);
          await readFileBatch(
            this.channel.reader,
            { beginFile: () => undefined, data: () => undefined, endFile: () => undefined },
            { namesPerFile: 2 },
          );
          await this.channel.send(statusResponseMessage(0, undefined, {}));
          break;
        }
        default:
          throw new Error(`unexpected ${message.name}`);
      }
    }
  }
  backupRequest(): Promise<void> {
    return this.channel.send(processMessage({ MessageName: 'Backup', TargetIdentifier: UDID, SourceIdentifier: UDID }));
  }
}

describe('mobilebackup2 device side', () => {
  it('reports insufficient space (MBErrorDomain/105) when the host disk is too small', async () => {
    const host = new TestHost(connect(phoneFor(), 'com.apple.mobilebackup2'));
    await host.handshake();
    await host.backupRequest();
    const { final, seen } = await host.loop({ freeBytes: 1000 });
    expect(final.ErrorCode).toBe(105);
    expect(String(final.ErrorDescription)).toContain('MBErrorDomain/105');
    expect(seen).not.toContain(DLMessage.UploadFiles);
  });

  it('fails the backup with 105 when the disk-full fault is set', async () => {
    const phone = phoneFor();
    phone.faults.set({ diskFull: true });
    const host = new TestHost(connect(phone, 'com.apple.mobilebackup2'));
    await host.handshake();
    await host.backupRequest();
    expect((await host.loop({ freeBytes: 1e12 })).final.ErrorCode).toBe(105);
  });

  it('completes a backup over a stream pair and ends with ErrorCode 0', async () => {
    const host = new TestHost(connect(phoneFor(), 'com.apple.mobilebackup2'));
    await host.handshake();
    await host.backupRequest();
    const { final, seen } = await host.loop({ freeBytes: 1e12 });
    expect(final.ErrorCode).toBe(0);
    expect(seen.filter((n) => n === DLMessage.UploadFiles).length).toBeGreaterThanOrEqual(3);
  });

  it('waits for the passcode on iOS 16.1+ before any backup traffic, and relays the prompt notification', async () => {
    const phone = phoneFor({ ios: '16.1', passcodeSet: true });
    const np = new PlistChannel(connect(phone, 'com.apple.mobile.notification_proxy'), { timeoutMs: 5000 });
    await np.send({ Command: 'ObserveNotification', Name: 'com.apple.LocalAuthentication.ui.presented' });
    await new Promise((r) => setTimeout(r, 20));
    const host = new TestHost(connect(phone, 'com.apple.mobilebackup2'));
    await host.handshake();
    await host.backupRequest();
    expect(await np.receive()).toEqual({ Command: 'RelayNotification', Name: 'com.apple.LocalAuthentication.ui.presented' });
    const first = host.receive();
    const early = await Promise.race([first.then(() => 'message'), new Promise((r) => setTimeout(() => r('waiting'), 200))]);
    expect(early).toBe('waiting');
    phone.events.emit(PASSCODE_ENTERED_EVENT);
    const firstMessage = await first;
    expect(firstMessage.name).toBe(DLMessage.DownloadFiles);
    expect((await host.loop({ freeBytes: 1e12 }, firstMessage)).final.ErrorCode).toBe(0);
  });

  it('refuses a Hello without a common protocol version', async () => {
    const host = new TestHost(connect(phoneFor(), 'com.apple.mobilebackup2'));
    await host.receive();
    await host.channel.send(versionsOkMessage(300));
    await host.receive();
    await host.channel.send(processMessage({ MessageName: 'Hello', SupportedProtocolVersions: [new PlistReal(9.0)] }));
    expect(((await host.receive()).args[0] as PlistDict).ErrorCode).toBe(1);
  });

  it('closes the connection on garbage instead of crashing', async () => {
    const stream = connect(phoneFor(), 'com.apple.mobilebackup2');
    const reader = new ByteReader(stream);
    await reader.read(4);
    stream.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await expect(
      (async () => {
        for (;;) await reader.readUpTo(65536, { timeoutMs: 3000 });
      })(),
    ).rejects.toThrow(/closed/);
  });
});

describe('notification_proxy', () => {
  it('answers Shutdown with ProxyDeath and reports host posts to the phone', async () => {
    const phone = phoneFor();
    const posted: unknown[] = [];
    phone.events.on('host-notification', (name) => posted.push(name));
    const np = new PlistChannel(connect(phone, 'com.apple.mobile.notification_proxy'), { timeoutMs: 5000 });
    await np.send({ Command: 'PostNotification', Name: 'com.apple.itunes-mobdev.syncWillStart' });
    await np.send({ Command: 'Shutdown' });
    expect(await np.receive()).toEqual({ Command: 'ProxyDeath' });
    expect(posted).toEqual(['com.apple.itunes-mobdev.syncWillStart']);
  });
});

describe('AFC', () => {
  let packetNum = 0n;
  function packet(op: number, data: Buffer, payload: Buffer = Buffer.alloc(0)): Buffer {
    const header = Buffer.alloc(40);
    AFC_MAGIC.copy(header);
    header.writeBigUInt64LE(BigInt(40 + data.length + payload.length), 8);
    header.writeBigUInt64LE(BigInt(40 + data.length), 16);
    header.writeBigUInt64LE(++packetNum, 24);
    header.writeBigUInt64LE(BigInt(op), 32);
    return Buffer.concat([header, data, payload]);
  }
  async function call(
    stream: Duplex,
    reader: ByteReader,
    op: number,
    data: Buffer,
    payload?: Buffer,
  ): Promise<{ op: number; data: Buffer }> {
    stream.write(packet(op, data, payload));
    const header = await reader.read(40, { timeoutMs: 5000 });
    expect(header.readBigUInt64LE(24)).toBe(packetNum);
    const body = await reader.read(Number(header.readBigUInt64LE(8)) - 40);
    return { op: Number(header.readBigUInt64LE(32)), data: body };
  }
  const u64 = (...values: number[]): Buffer =>
    Buffer.concat(
      values.map((v) => {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(BigInt(v));
        return b;
      }),
    );
  const path = (p: string): Buffer => Buffer.from(`${p}\0`);
  const statusOf = (reply: { op: number; data: Buffer }): number =>
    reply.op === AfcOp.Status ? Number(reply.data.readBigUInt64LE(0)) : -1;

  it('does the sync lock and RestoreApplications.plist steps idevicebackup2 uses', async () => {
    const phone = phoneFor();
    const a = connect(phone, 'com.apple.afc');
    const b = connect(phone, 'com.apple.afc');
    const ra = new ByteReader(a);
    const rb = new ByteReader(b);
    const openA = await call(a, ra, AfcOp.FileOpen, Buffer.concat([u64(2), path('/com.apple.itunes.lock_sync')]));
    expect(openA.op).toBe(AfcOp.FileOpenResult);
    const handleA = Number(openA.data.readBigUInt64LE(0));
    expect(handleA).not.toBe(0);
    expect(statusOf(await call(a, ra, AfcOp.FileLock, u64(handleA, 6)))).toBe(AfcStatus.Success);
    const handleB = Number(
      (await call(b, rb, AfcOp.FileOpen, Buffer.concat([u64(2), path('/com.apple.itunes.lock_sync')]))).data.readBigUInt64LE(0),
    );
    expect(statusOf(await call(b, rb, AfcOp.FileLock, u64(handleB, 6)))).toBe(AfcStatus.OpWouldBlock);
    expect(statusOf(await call(a, ra, AfcOp.FileLock, u64(handleA, 12)))).toBe(AfcStatus.Success);
    expect(statusOf(await call(b, rb, AfcOp.FileLock, u64(handleB, 6)))).toBe(AfcStatus.Success);

    expect(statusOf(await call(a, ra, AfcOp.MakeDir, path('/iTunesRestore')))).toBe(AfcStatus.Success);
    const h = Number(
      (await call(a, ra, AfcOp.FileOpen, Buffer.concat([u64(4), path('/iTunesRestore/RestoreApplications.plist')]))).data.readBigUInt64LE(
        0,
      ),
    );
    expect(statusOf(await call(a, ra, AfcOp.FileWrite, u64(h), Buffer.from('<plist/>')))).toBe(AfcStatus.Success);
    expect(statusOf(await call(a, ra, AfcOp.FileClose, u64(h)))).toBe(AfcStatus.Success);
    const info = await call(a, ra, AfcOp.GetFileInfo, path('/iTunesRestore/../iTunesRestore/RestoreApplications.plist'));
    expect(info.op).toBe(AfcOp.Data);
    expect(info.data.toString().split('\0').slice(0, 2)).toEqual(['st_size', '8']);
    expect(statusOf(await call(a, ra, AfcOp.GetFileInfo, path('/nope')))).toBe(AfcStatus.ObjectNotFound);
    expect(statusOf(await call(a, ra, AfcOp.RemovePath, path('/iTunesRestore')))).toBe(AfcStatus.DirNotEmpty);
  });

  it('confines ../ paths to the AFC root', async () => {
    const phone = phoneFor();
    const s = connect(phone, 'com.apple.afc');
    const r = new ByteReader(s);
    expect(statusOf(await call(s, r, AfcOp.MakeDir, path('/../../../etc/x')))).toBe(AfcStatus.Success);
    const list = await call(s, r, AfcOp.ReadDir, path('/etc'));
    expect(list.data.toString().split('\0')).toContain('x');
  });

  it('answers writes with no-space when the disk-full fault is set', async () => {
    const phone = phoneFor();
    phone.faults.set({ diskFull: true });
    const s = connect(phone, 'com.apple.afc');
    const r = new ByteReader(s);
    const h = Number((await call(s, r, AfcOp.FileOpen, Buffer.concat([u64(3), path('/f')]))).data.readBigUInt64LE(0));
    expect(statusOf(await call(s, r, AfcOp.FileWrite, u64(h), Buffer.from('x')))).toBe(AfcStatus.NoSpaceLeft);
  });

  it('drops a connection that announces a huge packet', async () => {
    const s = connect(phoneFor(), 'com.apple.afc');
    const r = new ByteReader(s);
    const header = packet(AfcOp.GetDeviceInfo, Buffer.alloc(0));
    header.writeBigUInt64LE(2n ** 62n, 8);
    s.write(header);
    await expect(r.read(1, { timeoutMs: 3000 })).rejects.toThrow(/closed/);
  });
});
