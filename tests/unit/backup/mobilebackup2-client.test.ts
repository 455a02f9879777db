import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DLMessage,
  FileBatchWriter,
  deviceReadyMessage,
  parseDeviceLinkMessage,
  processMessage,
  readFileBatch,
  versionExchangeMessage,
  type DeviceLinkMessage,
} from '../../../main/devicelink/device-link';
import { DeviceLinkFolderHost } from '../../../main/backup/device-link-host';
import type { MobileBackup2Error } from '../../../main/backup/mobilebackup2-client';
import { MobileBackup2Client } from '../../../main/backup/mobilebackup2-client';
import { PlistChannel } from '../../../main/plist/framing';
import { PlistReal, type PlistDict, type PlistValue } from '../../../main/plist/plist-value';
import { createDuplexPair } from '../../../main/sim/duplex-pair';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeline-mb2-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A scripted phone: handshake, then whatever `script` does; returns the host's replies. */
class ScriptedPhone {
  readonly channel: PlistChannel;
  constructor(readonly stream: Duplex) {
    this.channel = new PlistChannel(stream, { format: 'binary', timeoutMs: 5000 });
  }
  async receive(): Promise<DeviceLinkMessage> {
    return parseDeviceLinkMessage(await this.channel.receive());
  }
  async handshake(major = 300): Promise<PlistDict> {
    await this.channel.send(versionExchangeMessage(major));
    const ok = await this.receive();
    if (ok.args[0] !== 'DLVersionsOk') return {};
    await this.channel.send(deviceReadyMessage());
    const hello = (await this.receive()).args[0] as PlistDict;
    await this.channel.send(processMessage({ MessageName: 'Response', ErrorCode: 0, ProtocolVersion: new PlistReal(2.1) }));
    return hello;
  }
  async ask(message: PlistValue[]): Promise<PlistValue[]> {
    await this.channel.send(message);
    const reply = await this.receive();
    return reply.args as PlistValue[];
  }
}

function pair(): { client: MobileBackup2Client; phone: ScriptedPhone } {
  const [host, device] = createDuplexPair();
  return { client: new MobileBackup2Client(host, { handshakeTimeoutMs: 2000 }), phone: new ScriptedPhone(device) };
}

describe('MobileBackup2Client', () => {
  it('offers protocol 2.0 and 2.1 as reals and accepts DeviceLink 300 and 400', async () => {
    for (const major of [300, 400]) {
      const { client, phone } = pair();
      const [version, hello] = await Promise.all([client.handshake(), phone.handshake(major)]);
      expect(version).toBe(2.1);
      expect(hello.MessageName).toBe('Hello');
      expect(hello.SupportedProtocolVersions).toEqual([2.0, 2.1]);
      client.close();
    }
  });

  it('refuses a DeviceLink major newer than its own with DLMessageDisconnect', async () => {
    const { client, phone } = pair();
    const failing = client.handshake().catch((e: unknown) => e);
    await phone.channel.send(versionExchangeMessage(500));
    expect((await phone.receive()).name).toBe(DLMessage.Disconnect);
    expect(await failing).toMatchObject({ kind: 'version' });
  });

  it('answers every device → host message of a backup against the folder', async () => {
    const { client, phone } = pair();
    await Promise.all([client.handshake(), phone.handshake()]);
    await mkdir(join(root, 'U', 'ab'), { recursive: true });
    await writeFile(join(root, 'U', 'Status.plist'), 'previous status');
    const host = new DeviceLinkFolderHost(root, { freeSpace: async () => 123_456_789 });
    const running = client.run(host, { idleTimeoutMs: 2000 });
    const script = (async () => {
      await phone.channel.send([DLMessage.Ping, 'ping']);
      // Download: one present, one missing → multi status.
      await phone.channel.send([DLMessage.DownloadFiles, ['U/Status.plist', 'U/Manifest.plist'], {}, new PlistReal(0)]);
      const got = new Map<string, string>();
      let name = '';
      await readFileBatch(
        phone.channel.reader,
        {
          beginFile: (f) => {
            name = f.path;
            got.set(name, '');
          },
          data: (b) => {
            got.set(name, got.get(name)! + b.toString());
          },
          endFile: (o) => {
            if (!o.ok) got.set(name, `error:${o.message}`);
          },
        },
        { namesPerFile: 1 },
      );
      const download = (await phone.receive()).args;
      expect(got.get('U/Status.plist')).toBe('previous status');
      expect(got.get('U/Manifest.plist')).toBe('error:No such file or directory');
      expect(download[0]).toBe(-13);
      expect((download[2] as PlistDict)['U/Manifest.plist']).toMatchObject({ DLFileErrorCode: -6 });

      expect(await phone.ask([DLMessage.GetFreeDiskSpace])).toEqual([0, '___EmptyParameterString___', 123_456_789]);
      expect((await phone.ask([DLMessage.PurgeDiskSpace]))[0]).toBe(-1);
      expect((await phone.ask([DLMessage.CreateDirectory, 'U/cd', {}, new PlistReal(1)]))[0]).toBe(0);

      await phone.channel.send([DLMessage.UploadFiles, {}, new PlistReal(50), 11]);
      const writer = new FileBatchWriter(phone.stream);
      await writer.beginFile({ sourceName: 'HomeDomain/a', path: 'U/cd/cd01' });
      await writer.data(Buffer.from('hello '));
      await writer.data(Buffer.from('world'));
      await writer.endFile();
      await writer.endBatch();
      expect((await phone.receive()).args[0]).toBe(0);

      expect((await phone.ask([DLMessage.CopyItem, 'U/cd/cd01', 'U/cd/copy', {}, new PlistReal(0)]))[0]).toBe(0);
      expect((await phone.ask([DLMessage.MoveItems, { 'U/cd/copy': 'U/ab/moved' }, {}, new PlistReal(60)]))[0]).toBe(0);
      const listing = await phone.ask([DLMessage.ContentsOfDirectory, 'U/ab', {}, new PlistReal(0)]);
      expect(listing[2]).toMatchObject({ moved: { DLFileType: 'DLFileTypeRegular', DLFileSize: 11 } });
      expect((await phone.ask([DLMessage.RemoveItems, ['U/cd', 'U/nothing-here'], {}, new PlistReal(90)]))[0]).toBe(0);
      expect((await phone.ask(['DLMessageSomethingNew', 'x']))[0]).toBe(-1);
      await phone.channel.send(processMessage({ ErrorCode: 0, Content: 'done' }));
    })();
    const [result] = await Promise.all([running, script]);
    expect(result.content).toBe('done');
    expect(await readFile(join(root, 'U', 'ab', 'moved'), 'utf8')).toBe('hello world');
    expect((await readdir(join(root, 'U'))).sort()).toEqual(['Status.plist', 'ab']);
    expect(host.filesReceived).toBe(1);
    client.close();
  });

  it('turns a non-zero final ErrorCode into a device error carrying the code', async () => {
    const { client, phone } = pair();
    await Promise.all([client.handshake(), phone.handshake()]);
    const running = client.run(new DeviceLinkFolderHost(root), { idleTimeoutMs: 2000 }).catch((e: unknown) => e);
    await phone.channel.send(processMessage({ ErrorCode: 105, ErrorDescription: 'Insufficient free disk space (MBErrorDomain/105)' }));
    const error = (await running) as MobileBackup2Error;
    expect(error.kind).toBe('device');
    expect(error.deviceCode).toBe(105);
  });

  it('reports a closed connection and never hangs when the phone vanishes mid-file', async () => {
    const { client, phone } = pair();
    await Promise.all([client.handshake(), phone.handshake()]);
    const running = client.run(new DeviceLinkFolderHost(root), { idleTimeoutMs: 2000 }).catch((e: unknown) => e);
    await phone.channel.send([DLMessage.UploadFiles, {}, new PlistReal(1), 100]);
    const writer = new FileBatchWriter(phone.stream);
    await writer.beginFile({ sourceName: 'x', path: 'U/file' });
    await writer.data(Buffer.alloc(10));
    phone.stream.destroy();
    expect(await running).toMatchObject({ kind: 'closed' });
  });

  it('rejects hostile non-DeviceLink messages as a protocol error', async () => {
    const { client, phone } = pair();
    await Promise.all([client.handshake(), phone.handshake()]);
    const running = client.run(new DeviceLinkFolderHost(root), { idleTimeoutMs: 2000 }).catch((e: unknown) => e);
    await phone.channel.send({ not: 'an array' } as unknown as PlistValue[]);
    expect(await running).toMatchObject({ kind: 'protocol' });
  });
});
