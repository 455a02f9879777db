import type { Duplex } from 'node:stream';
import {
  DLMessage,
  FileBatchWriter,
  deviceReadyMessage,
  writeWithBackpressure,
  parseDeviceLinkMessage,
  processMessage,
  versionExchangeMessage,
  type DeviceLinkMessage,
} from '../../main/devicelink/device-link';
import { PlistChannel } from '../../main/plist/framing';
import { PlistReal, type PlistValue } from '../../main/plist/plist-value';
import type { SimService, SimServicePhone } from '../../main/sim/sim-service';

/** What a hostile "phone" does after the host's Backup request. */
export type HostileScript =
  | { kind: 'upload'; path: (udid: string) => string }
  | { kind: 'download'; path: (udid: string) => string }
  | { kind: 'move'; from: (udid: string) => string; to: (udid: string) => string }
  | { kind: 'remove'; path: (udid: string) => string }
  /** Sends part of a file and then nothing at all. */
  | { kind: 'stall-mid-file' }
  /** Uploads one honest file, then sends `frame` (length prefix and plist, written as given) as its next message. */
  | { kind: 'frame-after-file'; frame: Buffer };

export type HostileOutcome = {
  statuses: PlistValue[][];
  finished: boolean;
  /** Called with each status the host answered, as it arrives (a test waits for it instead of polling). */
  onStatus?: (status: PlistValue[]) => void;
};

/**
 * A com.apple.mobilebackup2 that speaks correct DeviceLink but names paths outside the backup folder
 * (or stalls), to prove the host refuses them. Replaces the simulator's service via createServices.
 */
export function hostileMobileBackup2(phone: SimServicePhone, script: HostileScript, outcome: HostileOutcome): SimService {
  return {
    name: 'com.apple.mobilebackup2',
    ssl: false,
    serve(stream: Duplex): void {
      stream.on('error', () => undefined);
      void run(phone, stream, script, outcome).catch(() => stream.destroy());
    },
  };
}

async function run(phone: SimServicePhone, stream: Duplex, script: HostileScript, outcome: HostileOutcome): Promise<void> {
  const channel = new PlistChannel(stream, { format: 'binary', timeoutMs: 10_000 });
  const receive = async (): Promise<DeviceLinkMessage> => parseDeviceLinkMessage(await channel.receive());
  const status = async (): Promise<void> => {
    const reply = await receive();
    const entry = [reply.name, ...reply.args];
    outcome.statuses.push(entry);
    outcome.onStatus?.(entry);
  };
  await channel.send(versionExchangeMessage());
  await receive();
  await channel.send(deviceReadyMessage());
  await receive(); // Hello
  await channel.send(processMessage({ MessageName: 'Response', ErrorCode: 0, ProtocolVersion: new PlistReal(2.1) }));
  const request = await receive();
  if (request.name !== DLMessage.ProcessMessage) return;
  const udid = phone.udid;
  const writer = new FileBatchWriter(stream);
  switch (script.kind) {
    case 'upload': {
      await channel.send([DLMessage.UploadFiles, {}, new PlistReal(50), 1000]);
      await writer.beginFile({ sourceName: 'HomeDomain/evil', path: script.path(udid) });
      await writer.data(Buffer.from('written by a hostile phone'));
      await writer.endFile();
      await writer.endBatch();
      await status();
      break;
    }
    case 'download': {
      await channel.send([DLMessage.DownloadFiles, [script.path(udid)], {}, new PlistReal(0)]);
      // Drain the host's file stream up to the batch end, then its status.
      const reader = channel.reader;
      for (;;) {
        const length = (await reader.read(4)).readUInt32BE(0);
        if (length === 0) break;
        await reader.read(length); // name
        for (;;) {
          const blockLength = (await reader.read(4)).readUInt32BE(0);
          const block = await reader.read(blockLength);
          if (block[0] !== 0x0c) break;
        }
      }
      await status();
      break;
    }
    case 'move':
      await channel.send([DLMessage.MoveItems, { [script.from(udid)]: script.to(udid) }, {}, new PlistReal(0)]);
      await status();
      break;
    case 'remove':
      await channel.send([DLMessage.RemoveItems, [script.path(udid)], {}, new PlistReal(0)]);
      await status();
      break;
    case 'frame-after-file':
      await channel.send([DLMessage.UploadFiles, {}, new PlistReal(20), 100]);
      await writer.beginFile({ sourceName: 'HomeDomain/first', path: `${udid}/ab/ab00000000000000000000000000000000000001` });
      await writer.data(Buffer.from('an honest first file'));
      await writer.endFile();
      await writer.endBatch();
      await status();
      await writeWithBackpressure(stream, script.frame);
      break;
    case 'stall-mid-file':
      await channel.send([DLMessage.UploadFiles, {}, new PlistReal(10), 1_000_000]);
      await writer.beginFile({ sourceName: 'HomeDomain/big', path: `${udid}/ab/ab00000000000000000000000000000000000000` });
      await writer.data(Buffer.alloc(1000, 1));
      await new Promise(() => undefined);
  }
  // A hostile phone claims success; the host must not believe it.
  try {
    await channel.send(processMessage({ ErrorCode: 0 }));
    outcome.finished = true;
  } catch {
    // Host already gone.
  }
}
