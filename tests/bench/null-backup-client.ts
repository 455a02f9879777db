/**
 * The backup bench's limit: a MobileBackup2 host that writes nothing. It speaks just enough DeviceLink for the phone
 * to send every file (version exchange, Hello, Backup, "no such file" for the old Status.plist, free space, folders
 * created) and skips the upload stream in place, straight off the socket's chunks: no ByteReader, no promise per
 * block, no file, no copy. What it reaches is what the phone, usbmuxd and the socket can deliver to one reader.
 */
import type { Duplex } from 'node:stream';
import {
  DLMessage,
  DeviceLinkStatus,
  EMPTY_PARAMETER_STRING,
  FileBlockCode,
  disconnectMessage,
  encodeBlockHeader,
  encodeFileName,
  parseDeviceLinkMessage,
  processMessage,
  statusResponseMessage,
  versionsOkMessage,
} from '../../main/devicelink/device-link';
import { MobileBackup2Message } from '../../main/devicelink/mobilebackup2-messages';
import { LockdownClient } from '../../main/lockdown/lockdown-client';
import { readPairRecord } from '../../main/lockdown/pair-record-store';
import { MOBILEBACKUP2_SERVICE } from '../../main/lockdown/service-names';
import { PlistChannel, encodePlistFrame } from '../../main/plist/framing';
import { decodePlist } from '../../main/plist/plist-codec';
import { PlistReal, isPlistDict, type PlistValue } from '../../main/plist/plist-value';
import type { UsbmuxClient } from '../../main/usbmux/usbmux-client';

export type NullBackupResult = { files: number; bytes: number };

const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const MAX_NAME_BYTES = 4096;

/** Opens mobilebackup2 on the phone and runs one full Backup, discarding every file. */
export async function nullBackup(usbmux: UsbmuxClient, deviceId: number, udid: string): Promise<NullBackupResult> {
  const record = await readPairRecord(usbmux, udid);
  if (!record) throw new Error('the bench phone is not paired');
  const lockdown = await LockdownClient.connect(usbmux, deviceId, { label: 'lifeline-bench' });
  await lockdown.startSession(record);
  const service = await lockdown.startService(MOBILEBACKUP2_SERVICE, record.EscrowBag ? { escrowBag: record.EscrowBag } : {});
  await lockdown.stopSession().catch(() => undefined);
  lockdown.close();
  if (service.ssl) throw new Error('the null client speaks plain mobilebackup2 only (BENCH_BACKUP_IOS below 15)');
  const stream = await usbmux.connect(deviceId, service.port);
  try {
    const channel = new PlistChannel(stream, { format: 'binary', maxBytes: MAX_FRAME_BYTES });
    const receive = async (): Promise<{ name: string; args: readonly PlistValue[] }> =>
      parseDeviceLinkMessage(await channel.receive({ timeoutMs: 60_000 }));
    const exchange = await receive();
    await channel.send(versionsOkMessage(Number(exchange.args[0])), 'binary');
    await receive(); // DLMessageDeviceReady
    await channel.send(
      processMessage({ MessageName: MobileBackup2Message.Hello, SupportedProtocolVersions: [new PlistReal(2.0), new PlistReal(2.1)] }),
      'binary',
    );
    await receive(); // Hello's answer
    await channel.send(
      processMessage({
        MessageName: MobileBackup2Message.Backup,
        TargetIdentifier: udid,
        SourceIdentifier: udid,
        Options: { ForceFullBackup: true },
      }),
      'binary',
    );
    const result = await skipBackupStream(stream, channel.reader.release());
    stream.write(encodePlistFrame(disconnectMessage(EMPTY_PARAMETER_STRING), 'binary'));
    return result;
  } finally {
    stream.destroy();
  }
}

type State = 'frame-length' | 'frame' | 'name-length' | 'name' | 'block-length' | 'block-code' | 'payload';

/** Answers device messages and skips upload batches until the final DLMessageProcessMessage. */
function skipBackupStream(stream: Duplex, early: Buffer): Promise<NullBackupResult> {
  return new Promise((resolve, reject) => {
    let state: State = 'frame-length';
    /** Header or frame bytes being gathered (lengths, codes, plists); payloads and names are skipped, never gathered. */
    let gather = Buffer.allocUnsafe(4);
    let gathered = 0;
    let need = 4;
    let skip = 0;
    let namesLeft = 0;
    let blockCode = 0;
    let sawData = false;
    let files = 0;
    let bytes = 0;
    let done = false;

    const send = (message: PlistValue[]): void => {
      stream.write(encodePlistFrame(message, 'binary'));
    };
    const expect = (next: State, count: number): void => {
      state = next;
      need = count;
      gathered = 0;
      if (gather.length < count) gather = Buffer.allocUnsafe(count);
    };
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      stream.off('data', onData);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve({ files, bytes });
    };
    const onMessage = (value: PlistValue): void => {
      const message = parseDeviceLinkMessage(value);
      switch (message.name) {
        case DLMessage.UploadFiles:
          namesLeft = 2;
          expect('name-length', 4);
          return;
        case DLMessage.DownloadFiles: {
          // Nothing is stored here: every file the phone asks for is "missing", as in a first backup.
          const paths = Array.isArray(message.args[0]) ? message.args[0] : [];
          const text = Buffer.from('No such file or directory');
          const failures: Record<string, PlistValue> = {};
          for (const path of paths) {
            stream.write(Buffer.concat([encodeFileName(String(path)), encodeBlockHeader(FileBlockCode.LocalError, text.length), text]));
            failures[String(path)] = { DLFileErrorCode: DeviceLinkStatus.NoSuchFile, DLFileErrorString: text.toString() };
          }
          stream.write(Buffer.alloc(4));
          send(statusResponseMessage(DeviceLinkStatus.MultiStatus, 'Multi status', failures));
          break;
        }
        case DLMessage.GetFreeDiskSpace:
          send(statusResponseMessage(DeviceLinkStatus.Success, undefined, 1024 ** 5));
          break;
        case DLMessage.CreateDirectory:
          send(statusResponseMessage(DeviceLinkStatus.Success, undefined, EMPTY_PARAMETER_STRING));
          break;
        case DLMessage.ProcessMessage: {
          const [dict] = message.args;
          const code = isPlistDict(dict) ? dict.ErrorCode : undefined;
          if (code !== undefined && code !== 0) finish(new Error(`the phone ended the backup with ErrorCode ${String(code)}`));
          else finish();
          return;
        }
        case DLMessage.Ping:
          break;
        default:
          send(statusResponseMessage(DeviceLinkStatus.Success, undefined, {}));
      }
      expect('frame-length', 4);
    };
    const onField = (field: Buffer): void => {
      switch (state) {
        case 'frame-length': {
          const length = field.readUInt32BE(0);
          if (length === 0 || length > MAX_FRAME_BYTES) throw new Error(`a ${length}-byte message`);
          expect('frame', length);
          return;
        }
        case 'frame':
          onMessage(decodePlist(field, { maxBytes: MAX_FRAME_BYTES }));
          return;
        case 'name-length': {
          const length = field.readUInt32BE(0);
          if (length === 0) {
            // The batch is over: everything "stored".
            send(statusResponseMessage(DeviceLinkStatus.Success, undefined, {}));
            expect('frame-length', 4);
            return;
          }
          if (length > MAX_NAME_BYTES) throw new Error(`a ${length}-byte file name`);
          state = 'name';
          skip = length;
          return;
        }
        case 'block-length': {
          const length = field.readUInt32BE(0);
          if (length === 0) {
            send(statusResponseMessage(DeviceLinkStatus.Success, undefined, {}));
            expect('frame-length', 4);
            return;
          }
          skip = length - 1;
          expect('block-code', 1);
          return;
        }
        case 'block-code':
          blockCode = field[0]!;
          if (blockCode === FileBlockCode.FileData) sawData = true;
          state = 'payload';
          if (skip === 0) afterSkip();
          return;
        default:
          throw new Error(`unexpected state ${state}`);
      }
    };
    const afterSkip = (): void => {
      if (state === 'name') {
        namesLeft--;
        expect(namesLeft > 0 ? 'name-length' : 'block-length', 4);
        return;
      }
      // state 'payload'
      if (blockCode === FileBlockCode.FileData) {
        expect('block-length', 4);
        return;
      }
      if (blockCode === FileBlockCode.Success || sawData) files++;
      sawData = false;
      namesLeft = 2;
      expect('name-length', 4);
    };
    const onData = (chunk: Buffer): void => {
      try {
        let at = 0;
        while (at < chunk.length && !done) {
          if (state === 'name' || state === 'payload') {
            const n = Math.min(skip, chunk.length - at);
            skip -= n;
            at += n;
            if (state === 'payload' && blockCode === FileBlockCode.FileData) bytes += n;
            if (skip === 0) afterSkip();
            continue;
          }
          const n = Math.min(need - gathered, chunk.length - at);
          chunk.copy(gather, gathered, at, at + n);
          gathered += n;
          at += n;
          if (gathered === need) onField(gather.subarray(0, need));
        }
      } catch (error) {
        finish(error as Error);
      }
    };
    const onClose = (): void => finish(new Error('the phone closed the connection'));
    stream.on('close', onClose);
    onData(early);
    stream.on('data', onData);
    stream.resume();
  });
}
