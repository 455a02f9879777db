import { createHash, type Decipher } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  DLFileType,
  DLMessage,
  DeviceLinkError,
  DeviceLinkStatus,
  FileBatchWriter,
  FileBlockCode,
  deviceReadyMessage,
  parseDeviceLinkMessage,
  parseStatusResponse,
  parseVersionsOk,
  processMessage,
  processMessageDict,
  readFileBatch,
  versionExchangeMessage,
  type DeviceLinkMessage,
  type DeviceLinkStatusResponse,
  type FileBatchSink,
} from '../../devicelink/device-link';
import { MobileBackup2Message } from '../../devicelink/mobilebackup2-messages';
import { MOBILEBACKUP2_SERVICE } from '../../lockdown/service-names';
import { SyncNotification } from '../../notification-proxy/notification-proxy-wire';
import { buildManifestDb, readManifestDb, readMbFile, type ManifestRecord } from '../../backup/manifest-db';
import { encodeBinaryPlist, decodePlist } from '../../plist/plist-codec';
import { PlistChannel } from '../../plist/framing';
import { PlistReal, isPlistDict, type PlistDict, type PlistValue } from '../../plist/plist-value';
import { backupNeedsPasscode, buildVersionFor, iosAtLeast } from '../scenario';
import type { SimService, SimServicePhone } from '../sim-service';
import { fileIdFor, type VirtualFile, type VirtualFilesystem } from '../virtual-fs';
import {
  BackupPasswordRefused,
  encryptChunks,
  openBackupForRestore,
  type BackupEncryptor,
  type PhoneBackupEncryption,
  type RestoreDecryption,
} from './backup-encryption';
import { DEVICE_NOTIFICATION_EVENT } from './notification-proxy';

/** docs/protocols/mobilebackup2.md#hello: we speak 2.1 and accept hosts offering it (or 2.0). */
const PROTOCOL_VERSIONS = [2.1, 2.0];
/** Phone event a test or the phone model emits when the user types the passcode (iOS ≥ 16.1 backups). */
export const PASSCODE_ENTERED_EVENT = 'passcode-entered';
/** Phone events this service emits. */
export const BackupEvent = {
  PasscodeRequested: 'backup-passcode-requested',
  BackupStarted: 'backup-started',
  /** One more file of a backup went to the host: `{ filesSent }`. */
  BackupFileSent: 'backup-file-sent',
  BackupFinished: 'backup-finished',
  RestoreFinished: 'restore-finished',
  /** One more file of a restore is on the phone: `{ filesApplied }`. */
  RestoreFileApplied: 'restore-file-applied',
  /** A restore stopped part-way (host gone, cancelled, a download failed): `{ filesApplied, live }`. */
  RestoreIncomplete: 'restore-incomplete',
  PasswordChanged: 'backup-password-changed',
  Failed: 'backup-failed',
} as const;

const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
const MAX_SMALL_FILE_BYTES = 8 * 1024 * 1024;
/** Manifest.db grows ~1 KB per file; it is read into memory whole. */
const MAX_MANIFEST_DB_BYTES = 512 * 1024 * 1024;
/** docs/protocols/mobilebackup2.md#backup-order: the host sits idle for seconds (sync lock, Info.plist) before its request. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** A host answering a DL message may stat a big directory or a slow disk. */
const REPLY_TIMEOUT_MS = 5 * 60 * 1000;
const BATCH_MAX_FILES = 500;
const BATCH_MAX_BYTES = 256 * 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;
const MAX_LISTED_FILES = 10_000_000;
/**
 * The virtual phone's model of RestoreSystemFiles (docs/protocols/mobilebackup2.md#what-the-phone-does-on-a-restore):
 * these domains hold the phone's own settings and system data; the rest is the person's data.
 */
const SYSTEM_DOMAINS: ReadonlySet<string> = new Set([
  'SystemPreferencesDomain',
  'RootDomain',
  'WirelessDomain',
  'ManagedPreferencesDomain',
  'DatabaseDomain',
  'MobileDeviceDomain',
]);

/** A failure the device reports to the host as `ErrorCode N: text (MBErrorDomain/N)`. */
class BackupDomainError extends Error {
  constructor(
    readonly code: number,
    text: string,
  ) {
    super(`${text} (MBErrorDomain/${code})`);
  }
}

export type MobileBackup2Options = { filesystem: VirtualFilesystem; encryption: PhoneBackupEncryption };

export function createMobileBackup2Service(phone: SimServicePhone, options: MobileBackup2Options): SimService {
  return {
    name: MOBILEBACKUP2_SERVICE,
    // docs/protocols/lockdown.md#service-connections: modern iOS wraps mobilebackup2 in TLS (seen on iOS 15+/2024 logs); iOS 12 did not.
    ssl: iosAtLeast(phone.scenario, '15.0'),
    serve(stream: Duplex): void {
      stream.on('error', () => undefined);
      const session = new MobileBackup2Session(phone, options.filesystem, options.encryption, stream);
      void session.run().then(() => {
        // docs/protocols/mobilebackup2.md#what-the-phone-does-on-a-restore: the restart comes once the host has let go.
        if (session.rebootWhenDone) phone.reboot?.();
      });
    },
  };
}

type BackedUpFile = {
  fileID: string;
  domain: string;
  relativePath: string;
  size: number;
  path: string;
  encryptionKey?: Buffer | undefined;
};

class MobileBackup2Session {
  private readonly channel: PlistChannel;
  /** A restore finished with RestoreShouldReboot: the phone restarts when this session ends. */
  rebootWhenDone = false;
  /** A restore under way: if the session ends before it finishes, the phone is left "restore incomplete". */
  private unfinishedRestore: { live: boolean; filesApplied: () => number } | undefined;
  /** Files sent to the host on this connection (BackupFileSent). */
  private filesSent = 0;

  constructor(
    private readonly phone: SimServicePhone,
    private readonly fs: VirtualFilesystem,
    private readonly encryption: PhoneBackupEncryption,
    private readonly stream: Duplex,
  ) {
    this.channel = new PlistChannel(stream, { format: 'binary', maxBytes: MAX_MESSAGE_BYTES });
  }

  async run(): Promise<void> {
    try {
      await this.handshake();
      for (;;) {
        const message = await this.receive(IDLE_TIMEOUT_MS);
        if (message.name === DLMessage.Disconnect) break;
        if (message.name !== DLMessage.ProcessMessage) continue; // pings and strays are ignored, like the device
        const request = processMessageDict(message);
        await this.handleRequest(request);
      }
    } catch {
      // Vanished or hostile host: nothing to answer.
    } finally {
      if (this.unfinishedRestore) {
        this.fs.lastRestore = 'incomplete';
        const { live, filesApplied } = this.unfinishedRestore;
        this.phone.events.emit(BackupEvent.RestoreIncomplete, { live, filesApplied: live ? filesApplied() : 0 });
      }
      this.stream.end();
      setTimeout(() => this.stream.destroy(), 1000).unref();
    }
  }

  /** docs/protocols/mobilebackup2.md#devicelink then docs/protocols/mobilebackup2.md#hello. */
  private async handshake(): Promise<void> {
    await this.send(versionExchangeMessage());
    parseVersionsOk(await this.receive(REPLY_TIMEOUT_MS));
    await this.send(deviceReadyMessage());
    const hello = processMessageDict(await this.receive(IDLE_TIMEOUT_MS));
    if (hello.MessageName !== MobileBackup2Message.Hello) throw new DeviceLinkError('Expected Hello');
    const offered = Array.isArray(hello.SupportedProtocolVersions) ? hello.SupportedProtocolVersions.map(realValue) : [];
    const common = PROTOCOL_VERSIONS.find((v) => offered.some((o) => o !== undefined && Math.abs(o - v) < 1e-9));
    if (common === undefined) {
      await this.send(processMessage({ MessageName: MobileBackup2Message.Response, ErrorCode: 1 }));
      throw new DeviceLinkError('No common protocol version');
    }
    await this.send(processMessage({ MessageName: MobileBackup2Message.Response, ErrorCode: 0, ProtocolVersion: new PlistReal(common) }));
  }

  private async handleRequest(request: PlistDict): Promise<void> {
    const name = request.MessageName;
    try {
      switch (name) {
        case MobileBackup2Message.Backup:
          await this.backup(request);
          break;
        case MobileBackup2Message.Restore:
          await this.restore(request);
          break;
        case MobileBackup2Message.Info:
          await this.finish({ Content: await this.info(request) });
          break;
        case MobileBackup2Message.List:
          await this.finish({ Content: await this.list(request) });
          break;
        case 'ChangePassword':
          await this.changePassword(request);
          break;
        default:
          throw new BackupDomainError(1, `Unsupported request ${typeof name === 'string' ? name : '(none)'}`);
      }
    } catch (caught) {
      const error = caught instanceof BackupPasswordRefused ? new BackupDomainError(caught.code, caught.message) : caught;
      if (!(error instanceof BackupDomainError)) throw error;
      this.phone.events.emit(BackupEvent.Failed, { request: name, code: error.code, message: error.message });
      await this.send(processMessage({ ErrorCode: error.code, ErrorDescription: error.message }));
    }
  }

  // ---------------------------------------------------------------- Backup (docs/protocols/mobilebackup2.md#what-the-device-does)

  private async backup(request: PlistDict): Promise<void> {
    const udid = this.phone.udid;
    await this.waitForPasscodeIfRequired();
    const encryptor = await this.encryption.backupEncryptor();
    const fileKeys = new Map<string, FileKey>();
    this.phone.events.emit(BackupEvent.BackupStarted, { full: true });

    // The previous Status.plist tells a real device whether it can go incremental; we always send everything.
    await this.downloadSmallFiles([`${udid}/Status.plist`]);

    const files = this.fs.files();
    const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
    const free = await this.requestFreeDiskSpace();
    const needed = totalBytes + 16 * 1024 * 1024;
    if (this.phone.faults.diskFull || (free !== undefined && free < needed)) {
      throw new BackupDomainError(105, 'Insufficient free disk space on drive to back up');
    }

    const snapshotId = deterministicUuid(`${udid}:${request.TargetIdentifier ?? ''}:${Date.now()}`);
    const started = new Date();
    await this.uploadBatch([this.plistUpload(`${udid}/Status.plist`, this.statusPlist(snapshotId, started, 'uploading'))], 0, totalBytes);

    const prefixes = [...new Set(files.map((f) => f.fileID.slice(0, 2)))].sort();
    for (const prefix of prefixes) await this.createDirectory(`${udid}/${prefix}`);

    let sentBytes = 0;
    let batch: VirtualFile[] = [];
    let batchBytes = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const items = batch.map((f) => this.fileUpload(udid, f, encryptor, fileKeys));
      sentBytes += batchBytes;
      await this.uploadBatch(items, (100 * sentBytes) / Math.max(1, totalBytes), totalBytes);
      batch = [];
      batchBytes = 0;
    };
    for (const file of files) {
      batch.push(file);
      batchBytes += file.size;
      if (batch.length >= BATCH_MAX_FILES || batchBytes >= BATCH_MAX_BYTES) await flush();
    }
    await flush();

    const manifestDb = buildManifestDb(manifestRecords(files, fileKeys));
    const sealed = encryptor ? { keybag: encryptor.keybag, ...encryptor.manifest(manifestDb) } : undefined;
    await this.uploadBatch(
      [
        this.bytesUpload(`${udid}/Manifest.db`, sealed?.bytes ?? manifestDb),
        this.plistUpload(`${udid}/Manifest.plist`, this.manifestPlist(started, sealed)),
        this.plistUpload(`${udid}/Status.plist`, this.statusPlist(snapshotId, started, 'finished')),
      ],
      100,
      totalBytes,
    );
    await this.finish({});
    this.phone.events.emit(BackupEvent.BackupFinished, { files: files.length, bytes: totalBytes });
  }

  /** iOS ≥ 16.1 with a passcode: the phone asks for it before any backup traffic (docs/protocols/mobilebackup2.md#notification-proxy, docs/protocols/mobilebackup2.md#known-errors). */
  private async waitForPasscodeIfRequired(required = backupNeedsPasscode(this.phone.scenario)): Promise<void> {
    if (!required) return;
    this.phone.events.emit(BackupEvent.PasscodeRequested);
    this.phone.events.emit(DEVICE_NOTIFICATION_EVENT, SyncNotification.PasscodePresented);
    await new Promise<void>((resolve, reject) => {
      const onEntered = (): void => {
        cleanup();
        resolve();
      };
      const onClose = (): void => {
        cleanup();
        reject(new DeviceLinkError('Host went away while the phone waited for its passcode'));
      };
      const cleanup = (): void => {
        this.phone.events.off(PASSCODE_ENTERED_EVENT, onEntered);
        this.stream.off('close', onClose);
      };
      this.phone.events.on(PASSCODE_ENTERED_EVENT, onEntered);
      this.stream.on('close', onClose);
    });
    this.phone.events.emit(DEVICE_NOTIFICATION_EVENT, SyncNotification.PasscodeDismissed);
  }

  private statusPlist(uuid: string, date: Date, snapshotState: string): PlistDict {
    return { BackupState: 'new', Date: date, IsFullBackup: true, SnapshotState: snapshotState, UUID: uuid, Version: '3.3' };
  }

  /** docs/protocols/backup-encryption.md#changing-the-password: iOS 13 and later confirm with the passcode first. */
  private async changePassword(request: PlistDict): Promise<void> {
    await this.waitForPasscodeIfRequired(this.phone.scenario.passcodeSet && iosAtLeast(this.phone.scenario, '13.0'));
    const change = await this.encryption.changePassword(request.OldPassword, request.NewPassword);
    this.phone.events.emit(DEVICE_NOTIFICATION_EVENT, SyncNotification.DomainChanged);
    this.phone.events.emit(BackupEvent.PasswordChanged, { change });
    await this.finish({});
  }

  private manifestPlist(date: Date, encryption: { keybag: Buffer; manifestKey: Buffer } | undefined): PlistDict {
    const lockdown: PlistDict = {};
    for (const key of ['BuildVersion', 'DeviceName', 'ProductType', 'ProductVersion', 'SerialNumber', 'UniqueDeviceID']) {
      const value = this.phone.lockdownValue(undefined, key);
      if (value !== undefined) lockdown[key] = value;
    }
    lockdown.UniqueDeviceID ??= this.phone.udid;
    lockdown.ProductVersion ??= this.phone.scenario.ios;
    lockdown.BuildVersion ??= buildVersionFor(this.phone.scenario);
    lockdown.ProductType ??= this.phone.scenario.model.productType;
    lockdown.DeviceName ??= this.phone.scenario.deviceName;
    const applications: PlistDict = {};
    for (const domain of new Set(this.fs.files().map((f) => f.domain))) {
      if (!domain.startsWith('AppDomain-')) continue;
      const bundleId = domain.slice('AppDomain-'.length);
      applications[bundleId] = {
        CFBundleIdentifier: bundleId,
        CFBundleVersion: '1.0',
        ContainerContentClass: 'Data/Application',
        Path: `/var/containers/Bundle/Application/${deterministicUuid(bundleId)}/${bundleId.split('.').pop() ?? 'App'}.app`,
      };
    }
    return {
      // docs/protocols/backup-encryption.md#manifestplist-keys: an unencrypted backup's bag opens only on the phone; ours is a stand-in.
      BackupKeyBag: encryption?.keybag ?? createHash('sha256').update(`keybag:${this.phone.udid}`).digest(),
      ...(encryption ? { ManifestKey: encryption.manifestKey } : {}),
      Date: date,
      IsEncrypted: encryption !== undefined,
      Lockdown: lockdown,
      SystemDomainsVersion: '24.0',
      Version: '10.0',
      WasPasscodeSet: this.phone.scenario.passcodeSet,
      Applications: applications,
    };
  }

  private plistUpload(path: string, value: PlistValue): Upload {
    return this.bytesUpload(path, encodeBinaryPlist(value));
  }

  private bytesUpload(path: string, bytes: Buffer): Upload {
    return {
      sourceName: path.slice(path.indexOf('/') + 1),
      path,
      chunks: async function* () {
        yield bytes;
      },
    };
  }

  private fileUpload(udid: string, file: VirtualFile, encryptor: BackupEncryptor | undefined, keys: Map<string, FileKey>): Upload {
    const fs = this.fs;
    const sealed = encryptor?.forFile(file.domain);
    if (sealed) keys.set(file.fileID, { protectionClass: sealed.protectionClass, encryptionKey: sealed.encryptionKey });
    return {
      sourceName: `${file.domain}/${file.relativePath}`,
      path: `${udid}/${file.fileID.slice(0, 2)}/${file.fileID}`,
      chunks: () =>
        sealed ? encryptChunks(fs.read(file.fileID, READ_CHUNK_BYTES), sealed.cipher) : fs.read(file.fileID, READ_CHUNK_BYTES),
    };
  }

  /** docs/protocols/mobilebackup2.md#device-messages, docs/protocols/mobilebackup2.md#file-transfer-framing: DLMessageUploadFiles, the raw stream, then the host's status. */
  private async uploadBatch(items: Upload[], progress: number, totalBytes: number): Promise<void> {
    await this.send([DLMessage.UploadFiles, {}, new PlistReal(progress), totalBytes]);
    const writer = new FileBatchWriter(this.stream, { stallTimeoutMs: REPLY_TIMEOUT_MS });
    for (const item of items) {
      await writer.beginFile({ sourceName: item.sourceName, path: item.path });
      try {
        for await (const chunk of item.chunks()) await writer.data(chunk);
      } catch (error) {
        await writer.endFile({ ok: false, code: FileBlockCode.RemoteError, message: errorText(error) });
        continue;
      }
      await writer.endFile();
      this.phone.events.emit(BackupEvent.BackupFileSent, { filesSent: ++this.filesSent });
    }
    await writer.endBatch();
    const status = await this.receiveStatus();
    if (status.code !== 0) throw new BackupDomainError(100, `Host failed to store files: ${status.description ?? status.code}`);
  }

  private async createDirectory(path: string): Promise<void> {
    await this.send([DLMessage.CreateDirectory, path, {}, new PlistReal(0)]);
    const status = await this.receiveStatus();
    if (status.code !== 0 && status.code !== DeviceLinkStatus.FileExists) {
      throw new BackupDomainError(100, `Could not create directory ${path}: ${status.description ?? status.code}`);
    }
  }

  private async requestFreeDiskSpace(): Promise<number | undefined> {
    await this.send([DLMessage.GetFreeDiskSpace]);
    const status = await this.receiveStatus();
    if (status.code !== 0) return undefined;
    return typeof status.extra === 'number' ? status.extra : typeof status.extra === 'bigint' ? Number(status.extra) : undefined;
  }

  // ---------------------------------------------------------------- Restore (docs/protocols/mobilebackup2.md#restoring-a-backup)

  private async restore(request: PlistDict): Promise<void> {
    const source = this.sourceIdentifier(request);
    const options = isPlistDict(request.Options) ? request.Options : {};
    // docs/protocols/mobilebackup2.md#what-the-phone-does-on-a-restore: absent booleans take the phone's defaults.
    const systemFiles = options.RestoreSystemFiles !== false;
    const reboot = options.RestoreShouldReboot !== false;
    const copyFirst = options.RestoreDontCopyBackup === false;
    const removeNotRestored = options.RemoveItemsNotRestored === true;
    const restoring = (domain: string): boolean => systemFiles || !SYSTEM_DOMAINS.has(domain);
    const small = await this.downloadSmallFiles(
      [`${source}/Status.plist`, `${source}/Manifest.plist`, `${source}/Info.plist`, `${source}/Manifest.db`],
      MAX_MANIFEST_DB_BYTES,
    );
    const status = parsePlistFile(small.get(`${source}/Status.plist`));
    if (!status || status.SnapshotState !== 'finished') throw new BackupDomainError(103, 'Error reading backup status');
    const manifest = parsePlistFile(small.get(`${source}/Manifest.plist`));
    if (!manifest) throw new BackupDomainError(205, 'Error reading backup properties');
    // docs/protocols/backup-encryption.md#restoring-an-encrypted-backup: the phone opens the keybag with the host's password.
    const decryption: RestoreDecryption | undefined =
      manifest.IsEncrypted === true
        ? await openBackupForRestore(manifest, options.Password, small.get(`${source}/Manifest.db`))
        : undefined;

    const listed = (await this.listBackup(source, decryption?.manifestDb ?? small.get(`${source}/Manifest.db`))).filter((f) =>
      restoring(f.domain),
    );
    const totalBytes = listed.reduce((sum, f) => sum + f.size, 0);
    if (this.phone.faults.diskFull) throw new BackupDomainError(105, 'Not enough free space on the device to restore');

    // The phone's own system files stay unless they are restored too, or the host asked to remove what is not restored.
    // Without "copy first" the phone writes each file in place as it arrives.
    const replacement = this.fs.beginReplace({ keep: (file) => !restoring(file.domain) && !removeNotRestored, live: !copyFirst });
    this.unfinishedRestore = { live: !copyFirst, filesApplied: () => replacement.fileCount };
    const byPath = new Map(listed.map((f) => [f.path, f]));
    let doneBytes = 0;
    const failures: string[] = [];
    for (let i = 0; i < listed.length; i += BATCH_MAX_FILES) {
      const batch = listed.slice(i, i + BATCH_MAX_FILES);
      let current: Awaited<ReturnType<typeof replacement.addFile>> | undefined;
      let decipher: Decipher | undefined;
      const sink: FileBatchSink = {
        beginFile: async ({ path }) => {
          const file = byPath.get(path);
          if (!file) throw new DeviceLinkError(`Host sent an unrequested file ${path}`);
          decipher = decryption?.decipherFor(file.encryptionKey);
          current = await replacement.addFile(file.domain, file.relativePath);
        },
        data: (bytes) => current?.write(decipher ? decipher.update(bytes) : bytes),
        endFile: async (outcome) => {
          if (!current) return;
          const tail = outcome.ok && decipher ? finalBytes(decipher) : Buffer.alloc(0);
          if (outcome.ok && tail) {
            await current.write(tail);
            await current.commit();
            this.phone.events.emit(BackupEvent.RestoreFileApplied, { filesApplied: replacement.fileCount });
          } else if (outcome.ok) {
            failures.push('A file of the backup does not decrypt');
            await current.abort();
          } else {
            failures.push(outcome.message);
            await current.abort();
          }
          current = undefined;
        },
      };
      await this.downloadBatch(
        batch.map((f) => f.path),
        (100 * doneBytes) / Math.max(1, totalBytes),
        sink,
      );
      doneBytes += batch.reduce((sum, f) => sum + f.size, 0);
    }
    if (failures.length > 0) throw new BackupDomainError(205, `Multiple errors downloading files (${failures.length})`);
    replacement.commit();
    this.unfinishedRestore = undefined;
    this.fs.lastRestore = 'complete';
    await this.finish({});
    this.rebootWhenDone = reboot;
    this.phone.events.emit(BackupEvent.RestoreFinished, {
      files: replacement.fileCount,
      reboot,
      systemFiles,
      copyFirst,
      removeNotRestored,
    });
  }

  // ---------------------------------------------------------------- Info / List

  private async info(request: PlistDict): Promise<string> {
    const source = this.sourceIdentifier(request);
    const small = await this.downloadSmallFiles([`${source}/Info.plist`, `${source}/Manifest.plist`, `${source}/Status.plist`]);
    const info = parsePlistFile(small.get(`${source}/Info.plist`)) ?? {};
    const manifest = parsePlistFile(small.get(`${source}/Manifest.plist`)) ?? {};
    const status = parsePlistFile(small.get(`${source}/Status.plist`)) ?? {};
    const lines = [
      `Device Name: ${text(info['Device Name'])}`,
      `Product Type: ${text(info['Product Type'])}`,
      `Product Version: ${text(info['Product Version'])}`,
      `Target Identifier: ${text(info['Target Identifier'] ?? source)}`,
      `Last Backup Date: ${text(info['Last Backup Date'] ?? status.Date)}`,
      `Encrypted: ${manifest.IsEncrypted === true ? 'yes' : 'no'}`,
      `Snapshot State: ${text(status.SnapshotState)}`,
      `Full Backup: ${status.IsFullBackup === true ? 'yes' : 'no'}`,
    ];
    return `${lines.join('\n')}\n`;
  }

  private async list(request: PlistDict): Promise<string> {
    const source = this.sourceIdentifier(request);
    const db = (await this.downloadSmallFiles([`${source}/Manifest.db`], MAX_MANIFEST_DB_BYTES)).get(`${source}/Manifest.db`);
    const files = await this.listBackup(source, db);
    const rows = files.map((f) => [f.domain, f.relativePath, f.fileID, String(f.size)].map(csvField).join(','));
    return `Domain,RelativePath,FileID,Size\n${rows.map((r) => `${r}\n`).join('')}`;
  }

  /** The backup's payload files, from its Manifest.db like a real phone, else by listing the host's folders. */
  private async listBackup(source: string, manifestDb: Buffer | undefined): Promise<BackedUpFile[]> {
    if (manifestDb) {
      try {
        return readManifestDb(manifestDb, { maxRows: MAX_LISTED_FILES })
          .filter((e) => e.flags === 1 && /^[0-9a-f]{40}$/.test(e.fileID))
          .map((e) => {
            const record = readMbFile(e.file);
            return {
              fileID: e.fileID,
              domain: e.domain,
              relativePath: e.relativePath,
              size: record?.size ?? 0,
              path: `${source}/${e.fileID.slice(0, 2)}/${e.fileID}`,
              encryptionKey: record?.encryptionKey,
            };
          });
      } catch {
        // Unreadable Manifest.db: fall back to the folder listing.
      }
    }
    return this.listBackupFolders(source);
  }

  /**
   * Payload files found by listing `<source>/xx/` on the host (DLContentsOfDirectory), named from
   * what this phone has held (for backups without a readable Manifest.db).
   */
  private async listBackupFolders(source: string): Promise<BackedUpFile[]> {
    const top = await this.contentsOfDirectory(source);
    const result: BackedUpFile[] = [];
    for (const [prefix, entry] of [...top].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!/^[0-9a-f]{2}$/.test(prefix) || entry.type !== DLFileType.Directory) continue;
      const inner = await this.contentsOfDirectory(`${source}/${prefix}`);
      for (const [fileID, file] of [...inner].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (!/^[0-9a-f]{40}$/.test(fileID) || !fileID.startsWith(prefix) || file.type !== DLFileType.Regular) continue;
        const names = this.fs.namesFor(fileID);
        if (!names) continue;
        result.push({ fileID, ...names, size: file.size, path: `${source}/${prefix}/${fileID}` });
        if (result.length > MAX_LISTED_FILES) throw new BackupDomainError(11, 'Backup lists too many files');
      }
    }
    return result;
  }

  private async contentsOfDirectory(path: string): Promise<Map<string, { type: string; size: number }>> {
    await this.send([DLMessage.ContentsOfDirectory, path, {}, new PlistReal(0)]);
    const status = await this.receiveStatus();
    const out = new Map<string, { type: string; size: number }>();
    if (status.code !== 0 || !isPlistDict(status.extra)) return out;
    for (const [name, value] of Object.entries(status.extra)) {
      if (!isPlistDict(value)) continue;
      const size =
        typeof value.DLFileSize === 'number' ? value.DLFileSize : typeof value.DLFileSize === 'bigint' ? Number(value.DLFileSize) : 0;
      out.set(name, { type: typeof value.DLFileType === 'string' ? value.DLFileType : DLFileType.Unknown, size });
    }
    return out;
  }

  // ---------------------------------------------------------------- transfers

  /** Downloads a few small files into memory; missing ones are simply absent from the map. */
  private async downloadSmallFiles(paths: string[], maxBytes = MAX_SMALL_FILE_BYTES): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>();
    let current: { path: string; chunks: Buffer[]; size: number } | undefined;
    await this.downloadBatch(paths, 0, {
      beginFile: ({ path }) => {
        current = { path, chunks: [], size: 0 };
      },
      data: (bytes) => {
        if (!current) return;
        current.size += bytes.length;
        if (current.size > maxBytes) throw new DeviceLinkError(`${current.path} is too large`);
        current.chunks.push(bytes);
      },
      endFile: (outcome) => {
        if (current && outcome.ok) files.set(current.path, Buffer.concat(current.chunks));
        current = undefined;
      },
    });
    return files;
  }

  /** docs/protocols/mobilebackup2.md#file-transfer-framing host → device: request, raw stream, then the host's (multi-)status. */
  private async downloadBatch(paths: string[], progress: number, sink: FileBatchSink): Promise<DeviceLinkStatusResponse> {
    await this.send([DLMessage.DownloadFiles, paths, {}, new PlistReal(progress)]);
    const received = await readFileBatch(this.channel.reader, sink, {
      namesPerFile: 1,
      maxFiles: paths.length,
      timeoutMs: REPLY_TIMEOUT_MS,
    });
    if (received !== paths.length) throw new DeviceLinkError(`Host sent ${received} of ${paths.length} files`);
    return this.receiveStatus();
  }

  private async finish(extra: PlistDict): Promise<void> {
    await this.send(processMessage({ MessageName: MobileBackup2Message.Response, ErrorCode: 0, ...extra }));
  }

  private sourceIdentifier(request: PlistDict): string {
    const source = request.SourceIdentifier ?? request.TargetIdentifier ?? this.phone.udid;
    // The host joins our paths to its backup root unsanitised (docs/protocols/mobilebackup2.md#device-messages): only send plain names.
    if (typeof source !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(source)) throw new BackupDomainError(4, 'Invalid backup identifier');
    return source;
  }

  private send(message: PlistValue[]): Promise<void> {
    return this.channel.send(message, 'binary');
  }

  private async receive(timeoutMs: number): Promise<DeviceLinkMessage> {
    return parseDeviceLinkMessage(await this.channel.receive({ timeoutMs }));
  }

  private async receiveStatus(): Promise<DeviceLinkStatusResponse> {
    return parseStatusResponse(await this.receive(REPLY_TIMEOUT_MS));
  }
}

type FileKey = { protectionClass: number; encryptionKey: Buffer };

/** Files plus their parent directories (flags 2), as Manifest.db lists them; encrypted backups add each file's key. */
function manifestRecords(files: readonly VirtualFile[], keys: ReadonlyMap<string, FileKey>): ManifestRecord[] {
  const records: ManifestRecord[] = [];
  const directories = new Set<string>();
  for (const file of files) {
    const parts = file.relativePath.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const key = `${file.domain}-${dir}`;
      if (directories.has(key)) continue;
      directories.add(key);
      records.push({
        fileID: fileIdFor(file.domain, dir),
        domain: file.domain,
        relativePath: dir,
        flags: 2,
        size: 0,
        mode: 0o40755,
        mtime: file.mtime,
      });
    }
    records.push({ ...file, flags: 1, ...keys.get(file.fileID) });
  }
  return records;
}

type Upload = { sourceName: string; path: string; chunks: () => AsyncIterable<Buffer> };

/** A decipher's PKCS#7 tail, or undefined when the padding is wrong (a damaged file or the wrong key). */
function finalBytes(decipher: Decipher): Buffer | undefined {
  try {
    return decipher.final();
  } catch {
    return undefined;
  }
}

function realValue(value: PlistValue | undefined): number | undefined {
  if (value instanceof PlistReal) return value.value;
  return typeof value === 'number' ? value : undefined;
}

function parsePlistFile(bytes: Buffer | undefined): PlistDict | undefined {
  if (!bytes) return undefined;
  try {
    const value = decodePlist(bytes, { maxBytes: MAX_SMALL_FILE_BYTES });
    return isPlistDict(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function text(value: PlistValue | undefined): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return '(unknown)';
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function deterministicUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
