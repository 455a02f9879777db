import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ProblemError, type Progress } from '../../common/api';
import type { BackupResult, BackupSummary } from '../../common/contract/backup';
import { describeReportedIdentity } from '../../common/phone-identity';
import { LockdownClient, LockdownError } from '../lockdown/lockdown-client';
import { LockdownDomain } from '../lockdown/lockdown-wire';
import { AFC_SERVICE, MOBILEBACKUP2_SERVICE, NOTIFICATION_PROXY_SERVICE } from '../lockdown/service-names';
import { SyncNotification } from '../notification-proxy/notification-proxy-wire';
import { MobileBackup2Message } from '../devicelink/mobilebackup2-messages';
import type { PairRecord } from '../lockdown/pair-record';
import { readPairRecord } from '../lockdown/pair-record-store';
import { hostTlsOptions } from '../lockdown/tls-options';
import { isPairedPhone } from '../lockdown/phone-pin';
import { encodeXmlPlist } from '../plist/plist-codec';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { UsbmuxClient, UsbmuxError, type UsbmuxDevice, type UsbmuxListedDevice } from '../usbmux/usbmux-client';
import type { UsbmuxAddress } from '../usbmux/usbmux-address';
import { ReadBufferPool } from '../wire/read-buffer-pool';
import { AfcSyncLock } from './afc-sync-lock';
import { findBackups } from './backup-finder';
import {
  currentLocationEnvironment,
  defaultBackupRoot,
  standardBackupRoots,
  type BackupRoot,
  type LocationEnvironment,
} from './backup-locations';
import { BackupProgress } from './backup-progress';
import { BackupStore, BackupVerifyError, type Staging } from './backup-store';
import { ConfinementError, checkPathSegment } from './confine';
import { DeviceLinkFolderHost, freeBytes } from './device-link-host';
import { filesystemSyncFor } from './filesystem-sync';
import { buildInfoPlist } from './info-plist';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files';
import { MobileBackup2Client, MobileBackup2Error } from './mobilebackup2-client';
import { NotificationProxyClient } from './notification-proxy-client';
import { followPhoneNotifications, takeSyncLock } from './sync-session';

/**
 * Backs up one trusted phone: lockdown session, services, sync lock, Info.plist, the
 * MobileBackup2 Backup request answered into a staging copy, verify, atomic swap. Every failure is a
 * Problem in plain words; cancellation rejects with an AbortError (the job runner records "cancelled").
 */

export type BackupTarget = { deviceId: number; udid: string };

export type BackupServiceOptions = {
  /** Default: USBMUXD_SOCKET_ADDRESS or the system daemon. */
  usbmuxAddress?: UsbmuxAddress;
  /** Registry lookup: the usbmuxd device of a phone id, when it is attached in normal mode. */
  resolvePhone?: (phoneId: string) => BackupTarget | undefined;
  /** Registry lookup: the UDID the registry knows for a phone id (also while it is away). */
  udidOfPhone?: (phoneId: string) => string | undefined;
  locations?: LocationEnvironment;
  /** Free bytes of a folder (test seam for "disk full"); default statfs. */
  freeSpace?: (path: string) => Promise<number>;
  handshakeTimeoutMs?: number;
  /** Bound between device messages once the backup runs. */
  idleTimeoutMs?: number;
  /** Bound for the phone's first message after the request (it may wait for the passcode). */
  firstMessageTimeoutMs?: number;
  lockdownTimeoutMs?: number;
};

export type BackupRequest = { phoneId?: string; udid?: string; directory?: string; full?: boolean };
export type BackupRunContext = { signal: AbortSignal; progress: (update: Omit<Progress, 'job'>) => void };

/** Room kept free beyond the phone's data. */
const SPACE_MARGIN_BYTES = 64 * 1024 * 1024;

export class BackupService {
  readonly usbmux: UsbmuxClient;
  private readonly active = new Set<string>();

  constructor(private readonly options: BackupServiceOptions = {}) {
    this.usbmux = new UsbmuxClient({ progName: 'lifeline', ...(options.usbmuxAddress ? { address: options.usbmuxAddress } : {}) });
  }

  private environment(): LocationEnvironment {
    return this.options.locations ?? currentLocationEnvironment();
  }

  defaultRoot(): BackupRoot {
    return defaultBackupRoot(this.environment());
  }

  roots(directory?: string): BackupRoot[] {
    if (directory !== undefined) return [{ path: directory, kind: 'override', label: 'Chosen backup folder' }];
    return standardBackupRoots(this.environment());
  }

  /** The backups in the standard folders (or `directory`), optionally only those of one phone. */
  async list(request: { phoneId?: string; udid?: string; directory?: string } = {}): Promise<BackupSummary[]> {
    let udid = request.udid;
    if (request.phoneId !== undefined) {
      udid = this.options.udidOfPhone?.(request.phoneId) ?? this.options.resolvePhone?.(request.phoneId)?.udid;
      if (udid === undefined) return [];
    }
    if (udid !== undefined) refuseUnsafeId(udid);
    return findBackups(this.roots(request.directory), udid !== undefined ? { udid } : {});
  }

  async backup(request: BackupRequest, context: BackupRunContext): Promise<BackupResult> {
    const { signal } = context;
    const started = Date.now();
    const progress = new BackupProgress(context.progress);
    progress.publish(true);
    const target = await this.resolve(request, signal);
    refuseUnsafeId(target.udid);
    const root = request.directory ?? this.defaultRoot().path;
    await mkdir(root, { recursive: true, mode: PRIVATE_DIR_MODE }).catch((error: unknown) => {
      throw new ProblemError('backup-folder-error', { folder: root }, { cause: error });
    });
    const store = new BackupStore(root, target.udid);
    // One backup per phone and folder at a time: a second one would clear the first one's staging folder.
    const key = `${root}\0${target.udid.toUpperCase()}`;
    if (this.active.has(key)) {
      throw new ProblemError('backup-already-running');
    }
    this.active.add(key);
    try {
      return await this.backupTo(target, store, request, progress, context, started);
    } finally {
      this.active.delete(key);
    }
  }

  private async backupTo(
    target: BackupTarget,
    store: BackupStore,
    request: BackupRequest,
    progress: BackupProgress,
    context: BackupRunContext,
    started: number,
  ): Promise<BackupResult> {
    const { signal } = context;
    const root = store.root;

    const opened = await this.openServices(target, signal);
    const { np, afc, mb2 } = opened;
    let staging: Staging | undefined;
    let host: DeviceLinkFolderHost | undefined;
    let cancelledOnPhone = false;
    const abortOnPhoneCancel = new AbortController();
    const combined = AbortSignal.any([signal, abortOnPhoneCancel.signal]);
    try {
      await this.checkSpace(root, opened.dataBytes, store);

      await followPhoneNotifications(
        np,
        progress,
        [
          SyncNotification.CancelRequest,
          SyncNotification.SuspendRequest,
          SyncNotification.ResumeRequest,
          SyncNotification.DomainChanged,
          SyncNotification.PasscodePresented,
          SyncNotification.PasscodeDismissed,
        ],
        () => {
          cancelledOnPhone = true;
          abortOnPhoneCancel.abort();
        },
      );

      await mb2.handshake(combined);

      await takeSyncLock(np, afc, combined);

      progress.setPhase('preparing');
      staging = await store.beginStaging(combined);
      await writeFresh(
        join(staging.backupPath, 'Info.plist'),
        encodeXmlPlist(
          buildInfoPlist({
            udid: target.udid,
            lockdown: opened.lockdownValues,
            date: new Date(),
            ...(opened.itunes ? { itunesSettings: opened.itunes } : {}),
          }),
        ),
      );

      const filesystemSync = await filesystemSyncFor(staging.root);
      const folder = new DeviceLinkFolderHost(staging.root, {
        ...(this.options.freeSpace ? { freeSpace: this.options.freeSpace } : {}),
        ...(filesystemSync ? { filesystemSync } : {}),
      });
      host = folder;
      const options: PlistDict | undefined = request.full ? { ForceFullBackup: true } : undefined;
      await mb2.request(MobileBackup2Message.Backup, { target: target.udid, source: target.udid, ...(options ? { options } : {}) });
      if (progress.currentPhase !== 'passcode') progress.setPhase('receiving');
      await mb2.run(folder, {
        signal: combined,
        ...(this.options.idleTimeoutMs !== undefined ? { idleTimeoutMs: this.options.idleTimeoutMs } : {}),
        ...(this.options.firstMessageTimeoutMs !== undefined ? { firstMessageTimeoutMs: this.options.firstMessageTimeoutMs } : {}),
        onBytes: (bytes) => {
          if (progress.currentPhase === 'passcode') progress.setPhase('receiving');
          progress.setFiles(folder.filesReceived);
          progress.addBytes(bytes);
        },
        onProgress: (p) => progress.devicePercent(p.percent, p.bytesTotal),
        onMessage: () => {
          if (progress.currentPhase === 'passcode') progress.setPhase('receiving');
          progress.setFiles(folder.filesReceived);
        },
      });

      progress.setPhase('verifying');
      // Durable before it may replace the last good backup: the files now, their folders in commit().
      await folder.durable();
      const verified = await store.verify(staging);
      progress.setPhase('saving');
      combined.throwIfAborted();
      const reused = staging.reused;
      await store.commit(staging);
      staging = undefined;
      return {
        udid: target.udid,
        path: store.backupPath,
        files: verified.files,
        bytes: verified.bytes,
        bytesReceived: progress.received,
        seconds: (Date.now() - started) / 1000,
        encrypted: verified.encrypted,
        reused,
      };
    } catch (error) {
      if (signal.aborted) throw abortError();
      if (cancelledOnPhone) {
        throw new ProblemError('backup-cancelled-on-phone', undefined, { cause: error });
      }
      throw problemForFailure(error);
    } finally {
      await host?.dispose();
      if (staging) await store.abandon(staging).catch(() => undefined);
      await afc?.release();
      await np.post(SyncNotification.DidFinish).catch(() => undefined);
      await np.close();
      await mb2.disconnect();
    }
  }

  /** The phone a request names (a restore finds its phone the same way). */
  async resolve(request: Pick<BackupRequest, 'phoneId' | 'udid'>, signal: AbortSignal): Promise<BackupTarget> {
    if (request.phoneId !== undefined) {
      const target = this.options.resolvePhone?.(request.phoneId);
      if (target) return target;
      throw new ProblemError('backup-no-phone', { wanted: request.phoneId });
    }
    let listed: UsbmuxListedDevice[];
    try {
      listed = await this.usbmux.listAllDevices({ signal });
    } catch (error) {
      throw problemForFailure(error);
    }
    const devices = listed.filter((d): d is UsbmuxDevice => d.udid !== null);
    const wanted = request.udid?.toUpperCase();
    const device = wanted
      ? devices.find((d) => d.udid.toUpperCase() === wanted || d.serialNumber.toUpperCase() === wanted)
      : (devices.find((d) => d.connectionType === 'USB') ?? devices[0]);
    const unidentified = listed.find((d) => d.udid === null);
    if (!device && unidentified) throw new ProblemError('phone-invalid-identity', { reported: unidentified.reportedIdentity });
    if (!device) throw new ProblemError('backup-no-phone', request.udid !== undefined ? { wanted: request.udid } : undefined);
    return { deviceId: device.deviceId, udid: device.udid };
  }

  /** docs/protocols/mobilebackup2.md#backup-order steps 1–6: session, values for Info.plist, the three services, StopSession. */
  async openServices(target: BackupTarget, signal: AbortSignal): Promise<OpenServices> {
    let record: PairRecord | null;
    try {
      record = await readPairRecord(this.usbmux, target.udid, { signal });
    } catch (error) {
      throw problemForFailure(error);
    }
    if (!record) throw new ProblemError('backup-not-trusted');
    const timeoutMs = this.options.lockdownTimeoutMs ?? 10_000;
    let lockdown: LockdownClient | undefined;
    const opened: Duplex[] = [];
    const onAbort = (): void => {
      lockdown?.close();
      for (const stream of opened) stream.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      lockdown = await LockdownClient.connect(this.usbmux, target.deviceId, { label: 'lifeline', timeoutMs, usbmux: { signal } });
      const version = await lockdown.getValue({ key: 'ProductVersion' });
      const legacyTls = typeof version === 'string' && Number.parseInt(version, 10) < 10;
      await lockdown.startSession(record, { legacyTls });
      const values = await lockdown.getValue({});
      const lockdownValues = isPlistDict(values) ? values : {};
      const itunes = await lockdown.getValue({ domain: LockdownDomain.ITunes }).catch(() => undefined);
      const usage = await lockdown.getValue({ domain: LockdownDomain.DiskUsage }).catch(() => undefined);
      const dataBytes = usedDataBytes(usage);

      const npService = await lockdown.startService(NOTIFICATION_PROXY_SERVICE);
      const afcService = await lockdown.startService(AFC_SERVICE).catch(() => undefined);
      let mb2Service;
      try {
        mb2Service = await lockdown.startService(MOBILEBACKUP2_SERVICE, record.EscrowBag ? { escrowBag: record.EscrowBag } : {});
      } catch (error) {
        throw problemForStartService(error);
      }
      await lockdown.stopSession().catch(() => undefined);
      lockdown.close();

      const connect = async (service: { port: number; ssl: boolean }, bulk = false): Promise<Duplex> => {
        // The backup stream's reads land in recycled memory (TLS reads the socket itself, so only a plain one).
        const readPool = bulk && !service.ssl ? new ReadBufferPool({ shared: true }) : undefined;
        const raw = await this.usbmux.connect(target.deviceId, service.port, readPool ? { signal, readPool } : { signal });
        opened.push(raw);
        if (!service.ssl) return raw;
        const tls = await serviceTls(raw, record, legacyTls, timeoutMs);
        opened.push(tls);
        return tls;
      };
      const np = new NotificationProxyClient(await connect(npService));
      const afc = afcService ? new AfcSyncLock(await connect(afcService)) : undefined;
      const mb2 = new MobileBackup2Client(
        await connect(mb2Service, true),
        this.options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: this.options.handshakeTimeoutMs } : {},
      );
      return { np, afc, mb2, lockdownValues, itunes: isPlistDict(itunes) ? itunes : undefined, dataBytes };
    } catch (error) {
      lockdown?.close();
      for (const stream of opened) stream.destroy();
      if (signal.aborted) throw abortError();
      throw error instanceof ProblemError ? error : problemForFailure(error);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async checkSpace(root: string, dataBytes: number | undefined, store: BackupStore): Promise<void> {
    await store.recover();
    const free = await (this.options.freeSpace ?? freeBytes)(root).catch(() => undefined);
    if (free === undefined) return;
    const needed = (dataBytes ?? 0) + SPACE_MARGIN_BYTES;
    if (free < needed) {
      throw new ProblemError('backup-disk-full', {
        freeBytes: free,
        neededBytes: needed,
        ...(dataBytes !== undefined ? { phoneBytes: dataBytes } : {}),
      });
    }
  }
}

export type OpenServices = {
  np: NotificationProxyClient;
  afc: AfcSyncLock | undefined;
  mb2: MobileBackup2Client;
  lockdownValues: PlistDict;
  itunes: PlistDict | undefined;
  dataBytes: number | undefined;
};

/** docs/protocols/lockdown.md#service-connections: service TLS from the first byte, with the host certificate. */
function serviceTls(raw: Duplex, record: PairRecord, legacyTls: boolean, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      socket: raw,
      ...hostTlsOptions({ certificatePem: record.HostCertificate, privateKeyPem: record.HostPrivateKey }, { legacyTls }),
    });
    const timer = setTimeout(() => fail(new Error('no TLS handshake')), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new ProblemError('backup-tls', undefined, { cause: error }));
    };
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      if (!isPairedPhone(socket, record.DeviceCertificate)) {
        socket.destroy();
        reject(
          new ProblemError('backup-wrong-phone', undefined, {
            cause: new Error("the phone's service answered with a certificate that is not the one in the pair record"),
          }),
        );
        return;
      }
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', fail);
  });
}

async function writeFresh(path: string, bytes: Buffer): Promise<void> {
  // Never write through a hard link to the previous backup.
  await rm(path, { force: true });
  const handle = await open(path, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function usedDataBytes(usage: PlistValue | undefined): number | undefined {
  if (!isPlistDict(usage)) return undefined;
  const capacity = usage.TotalDataCapacity;
  const available = usage.TotalDataAvailable;
  if (typeof capacity !== 'number' || typeof available !== 'number') return undefined;
  return Math.max(0, capacity - available);
}

function abortError(): Error {
  return new DOMException('The backup was cancelled', 'AbortError');
}

/** A UDID names the backup folder: anything but one safe folder name is refused before the disk is touched. */
function refuseUnsafeId(udid: string): void {
  try {
    checkPathSegment(udid);
  } catch (error) {
    if (error instanceof ConfinementError)
      throw new ProblemError('phone-invalid-identity', { reported: describeReportedIdentity(udid) }, { cause: error });
    throw error;
  }
}

function problemForStartService(error: unknown): ProblemError {
  if (error instanceof LockdownError && error.code === 'EscrowLocked')
    return new ProblemError('backup-locked-since-restart', undefined, { cause: error });
  if (error instanceof LockdownError && (error.code === 'PasswordProtected' || error.code === 'MissingValue'))
    return new ProblemError('backup-locked', undefined, { cause: error });
  return problemForFailure(error);
}

/** Every failure of a backup, in plain words; the technical error stays as the cause. */
export function problemForFailure(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const because = { cause: error };
  if (error instanceof MobileBackup2Error) {
    switch (error.kind) {
      case 'closed':
        return new ProblemError('backup-phone-disconnected', undefined, because);
      case 'timeout':
        return new ProblemError('backup-phone-stopped-answering', undefined, because);
      case 'unsafe-path':
        return new ProblemError('backup-unsafe-path', undefined, because);
      case 'local-io':
        if (/ENOSPC|No space left/i.test(error.message)) return new ProblemError('backup-disk-full', undefined, because);
        return new ProblemError('backup-folder-error', undefined, because);
      case 'device':
        // docs/protocols/mobilebackup2.md#completion-and-errors: MBErrorDomain 105 = not enough space on the computer.
        if (error.deviceCode === 105) return new ProblemError('backup-disk-full', undefined, because);
        return new ProblemError('backup-phone-error', undefined, because);
      case 'cancelled':
        return new ProblemError('backup-cancelled', undefined, because);
      default:
        return new ProblemError('backup-protocol', undefined, because);
    }
  }
  if (error instanceof BackupVerifyError) return new ProblemError('backup-incomplete', undefined, because);
  if (error instanceof LockdownError) {
    if (error.code === 'InvalidHostID' || error.code === 'MissingHostID') return new ProblemError('backup-not-trusted', undefined, because);
    if (error.code === 'PhoneIdentityMismatch') return new ProblemError('backup-wrong-phone', undefined, because);
    if (error.code === 'PasswordProtected') return new ProblemError('backup-locked', undefined, because);
    if (error.code === 'ConnectionClosed') return new ProblemError('backup-phone-disconnected', undefined, because);
    if (error.code === 'Timeout') return new ProblemError('backup-phone-stopped-answering', undefined, because);
    return new ProblemError('backup-lockdown', undefined, because);
  }
  if (error instanceof UsbmuxError) {
    if (error.kind === 'daemon-unreachable') return new ProblemError('backup-no-usbmuxd', undefined, because);
    return new ProblemError('backup-phone-disconnected', undefined, because);
  }
  const errno = error as NodeJS.ErrnoException;
  if (errno?.code === 'ENOSPC') return new ProblemError('backup-disk-full', undefined, because);
  if (typeof errno?.code === 'string' && typeof errno.syscall === 'string')
    return new ProblemError('backup-folder-error', undefined, because);
  return new ProblemError('backup-failed', undefined, because);
}
