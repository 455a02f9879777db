import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ProblemError, type Problem, type Progress } from '../../common/api';
import type { BackupResult, BackupSummary } from '../../common/contract/backup';
import { describeReportedIdentity } from '../../common/phone-identity';
import { LockdownClient, LockdownError } from '../lockdown/lockdown-client';
import { LockdownDomain } from '../lockdown/lockdown-wire';
import { AFC_SERVICE, MOBILEBACKUP2_SERVICE, NOTIFICATION_PROXY_SERVICE } from '../lockdown/service-names';
import { SyncNotification } from '../notification-proxy/notification-proxy-wire';
import { MobileBackup2Message } from '../devicelink/mobilebackup2-messages';
import type { PairRecord } from '../lockdown/pair-record';
import { hostTlsOptions } from '../lockdown/tls-options';
import { isPairedPhone } from '../lockdown/phone-pin';
import { encodeXmlPlist } from '../plist/plist-codec';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { invalidIdentityProblem } from '../rescue/problems';
import { UsbmuxClient, UsbmuxError, type UsbmuxDevice, type UsbmuxListedDevice } from '../usbmux/usbmux-client';
import type { UsbmuxAddress } from '../usbmux/usbmux-address';
import { AfcSyncLock } from './afc-sync-lock';
import { findBackups } from './backup-finder';
import { currentLocationEnvironment, defaultBackupRoot, standardBackupRoots, type BackupRoot, type LocationEnvironment } from './backup-locations';
import { BackupProgress } from './backup-progress';
import { BackupStore, BackupVerifyError, type Staging } from './backup-store';
import { ConfinementError, checkPathSegment } from './confine';
import { DeviceLinkFolderHost, freeBytes } from './device-link-host';
import { buildInfoPlist } from './info-plist';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files';
import { MobileBackup2Client, MobileBackup2Error } from './mobilebackup2-client';
import { NotificationProxyClient } from './notification-proxy-client';

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
      throw problem('backup-folder-error', 'Lifeline cannot use the backup folder', `${root}: ${(error as Error).message}`, ['Choose another folder.']);
    });
    const store = new BackupStore(root, target.udid);
    // One backup per phone and folder at a time: a second one would clear the first one's staging folder.
    const key = `${root}\0${target.udid.toUpperCase()}`;
    if (this.active.has(key)) {
      throw problem('backup-already-running', 'This phone is already being backed up', 'Wait for the running backup to finish, or cancel it.', []);
    }
    this.active.add(key);
    try {
      return await this.backupTo(target, store, request, progress, context, started);
    } finally {
      this.active.delete(key);
    }
  }

  private async backupTo(target: BackupTarget, store: BackupStore, request: BackupRequest, progress: BackupProgress, context: BackupRunContext, started: number): Promise<BackupResult> {
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

      np.listen((name) => {
        if (name === SyncNotification.PasscodePresented) progress.setPhase('passcode');
        else if (name === SyncNotification.PasscodeDismissed && progress.currentPhase === 'passcode') progress.setPhase('receiving');
        else if (name === SyncNotification.CancelRequest) {
          cancelledOnPhone = true;
          abortOnPhoneCancel.abort();
        }
      });
      for (const name of [
        SyncNotification.CancelRequest,
        SyncNotification.SuspendRequest,
        SyncNotification.ResumeRequest,
        SyncNotification.DomainChanged,
        SyncNotification.PasscodePresented,
        SyncNotification.PasscodeDismissed,
      ]) {
        await np.observe(name);
      }

      await mb2.handshake(combined);

      // docs/protocols/mobilebackup2.md#backup-order step 8: announce, lock, announce.
      await np.post(SyncNotification.WillStart);
      if (afc) {
        try {
          await afc.acquire({ signal: combined });
        } catch (error) {
          if (combined.aborted) throw error;
          throw problem('backup-phone-busy', 'Another computer is syncing with this phone', (error as Error).message, [
            'Close iTunes, Finder or any other app that is syncing the phone, then try again.',
          ]);
        }
      }
      await np.post(SyncNotification.LockRequest);
      await np.post(SyncNotification.DidStart);

      progress.setPhase('preparing');
      staging = await store.beginStaging(combined);
      await writeFresh(join(staging.backupPath, 'Info.plist'), encodeXmlPlist(buildInfoPlist({ udid: target.udid, lockdown: opened.lockdownValues, date: new Date(), ...(opened.itunes ? { itunesSettings: opened.itunes } : {}) })));

      const folder = new DeviceLinkFolderHost(staging.root, this.options.freeSpace ? { freeSpace: this.options.freeSpace } : {});
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
        throw problem('backup-cancelled-on-phone', 'The backup was stopped on the phone', 'Someone tapped Cancel on the phone.', [
          'Your previous backup is unchanged.',
          'Start the backup again when you are ready.',
        ]);
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

  private async resolve(request: BackupRequest, signal: AbortSignal): Promise<BackupTarget> {
    if (request.phoneId !== undefined) {
      const target = this.options.resolvePhone?.(request.phoneId);
      if (target) return target;
      throw problem('backup-no-phone', 'That phone is not connected', 'Lifeline can only back up a phone that is switched on, unlocked at least once and connected.', [
        'Plug the phone in, and wait until its card shows it.',
      ]);
    }
    let listed: UsbmuxListedDevice[];
    try {
      listed = await this.usbmux.listAllDevices({ signal });
    } catch (error) {
      throw problemForFailure(error);
    }
    const devices = listed.filter((d): d is UsbmuxDevice => d.udid !== null);
    const wanted = request.udid?.toUpperCase();
    const device = wanted ? devices.find((d) => d.udid.toUpperCase() === wanted || d.serialNumber.toUpperCase() === wanted) : devices.find((d) => d.connectionType === 'USB') ?? devices[0];
    const unidentified = listed.find((d) => d.udid === null);
    if (!device && unidentified) throw new ProblemError(invalidIdentityProblem(`it calls itself ${unidentified.reportedIdentity}`));
    if (!device) {
      throw problem('backup-no-phone', wanted ? 'That phone is not connected' : 'No phone is connected', 'Lifeline can only back up a phone that is switched on and connected.', [
        'Plug the phone in with a cable and unlock it.',
      ]);
    }
    return { deviceId: device.deviceId, udid: device.udid };
  }

  /** docs/protocols/mobilebackup2.md#backup-order steps 1–6: session, values for Info.plist, the three services, StopSession. */
  private async openServices(target: BackupTarget, signal: AbortSignal): Promise<OpenServices> {
    let record: PairRecord | null;
    try {
      record = await this.usbmux.readPairRecord(target.udid, { signal });
    } catch (error) {
      throw problemForFailure(error);
    }
    if (!record) throw notTrusted();
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

      const connect = async (service: { port: number; ssl: boolean }): Promise<Duplex> => {
        const raw = await this.usbmux.connect(target.deviceId, service.port, { signal });
        opened.push(raw);
        if (!service.ssl) return raw;
        const tls = await serviceTls(raw, record, legacyTls, timeoutMs);
        opened.push(tls);
        return tls;
      };
      const np = new NotificationProxyClient(await connect(npService));
      const afc = afcService ? new AfcSyncLock(await connect(afcService)) : undefined;
      const mb2 = new MobileBackup2Client(await connect(mb2Service), this.options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: this.options.handshakeTimeoutMs } : {});
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
      throw problem(
        'backup-disk-full',
        'Not enough free space for the backup',
        `The phone holds about ${gb(dataBytes ?? 0)} of data; the backup folder has ${gb(free)} free (${gb(needed)} needed).`,
        ['Free some space on this computer, or choose a folder on a bigger drive.', 'Your previous backup is unchanged.'],
      );
    }
  }
}

type OpenServices = {
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
    const socket = tlsConnect({ socket: raw, ...hostTlsOptions({ certificatePem: record.HostCertificate, privateKeyPem: record.HostPrivateKey }, { legacyTls }) });
    const timer = setTimeout(() => fail(new Error('no TLS handshake')), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(problem('backup-tls', 'Lifeline could not open a secure connection to the phone', error.message, ['Unplug the phone, plug it back in and try again.']));
    };
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      if (!isPairedPhone(socket, record.DeviceCertificate)) {
        socket.destroy();
        reject(wrongPhone("The phone's service answered with a certificate that is not the one in the pair record."));
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

function gb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.ceil(bytes / 1e6)} MB`;
}

function abortError(): Error {
  return new DOMException('The backup was cancelled', 'AbortError');
}

function problem(code: string, title: string, detail: string, nextSteps: string[]): ProblemError {
  const value: Problem = { code, title, detail, nextSteps };
  return new ProblemError(value);
}

const KEPT = 'Your previous backup is unchanged.';

/** A UDID names the backup folder: anything but one safe folder name is refused before the disk is touched. */
function refuseUnsafeId(udid: string): void {
  try {
    checkPathSegment(udid);
  } catch (error) {
    if (error instanceof ConfinementError) throw new ProblemError(invalidIdentityProblem(`it calls itself ${describeReportedIdentity(udid)}`));
    throw error;
  }
}

function notTrusted(): ProblemError {
  return problem('backup-not-trusted', 'This computer is not trusted by the phone', 'A backup needs the phone to trust this computer.', [
    'Unlock the phone and tap “Trust” when it asks, then try again.',
  ]);
}

function problemForStartService(error: unknown): ProblemError {
  if (error instanceof LockdownError && error.code === 'EscrowLocked') {
    return problem('backup-locked-since-restart', 'The phone has not been unlocked since it restarted', 'Until the passcode is entered once, the phone keeps its data sealed.', [
      'Enter the passcode on the phone once, then try again.',
    ]);
  }
  if (error instanceof LockdownError && (error.code === 'PasswordProtected' || error.code === 'MissingValue')) {
    return problem('backup-locked', 'The phone is locked', 'The phone refused to start its backup service while locked.', ['Unlock the phone, then try again.']);
  }
  return problemForFailure(error);
}

/** Every failure of a backup, in plain words. */
export function problemForFailure(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof MobileBackup2Error) {
    switch (error.kind) {
      case 'closed':
        return problem('backup-phone-disconnected', 'The phone was disconnected during the backup', error.message, [KEPT, 'Check the cable, plug the phone back in and try again.']);
      case 'timeout':
        return problem('backup-phone-stopped-answering', 'The phone stopped answering', error.message, [KEPT, 'Unplug the phone, restart it if you can, and try again.']);
      case 'unsafe-path':
        return problem('backup-unsafe-path', 'The phone asked to write outside the backup folder', `${error.message}. Lifeline refused and stopped the backup; nothing was written outside the folder.`, [
          KEPT,
          'This should never happen with a genuine iPhone. Do not trust backups made from this device.',
        ]);
      case 'local-io':
        if (/ENOSPC|No space left/i.test(error.message)) return diskFull(error.message);
        return problem('backup-folder-error', 'Lifeline could not write the backup', error.message, [KEPT, 'Check the backup folder is writable, or choose another one.']);
      case 'device':
        // docs/protocols/mobilebackup2.md#completion-and-errors: MBErrorDomain 105 = not enough space on the computer.
        if (error.deviceCode === 105) return diskFull(error.message);
        return problem('backup-phone-error', 'The phone stopped the backup', error.message, [KEPT, 'Unlock the phone, keep it unlocked and try again.']);
      case 'cancelled':
        return problem('backup-cancelled', 'The backup was cancelled', error.message, [KEPT]);
      default:
        return problem('backup-protocol', 'The phone answered in a way Lifeline does not understand', error.message, [KEPT, 'Update Lifeline, then try again.']);
    }
  }
  if (error instanceof BackupVerifyError) {
    return problem('backup-incomplete', 'The new backup is incomplete, so Lifeline did not keep it', error.message, [KEPT, 'Try again with the phone unlocked.']);
  }
  if (error instanceof LockdownError) {
    if (error.code === 'InvalidHostID' || error.code === 'MissingHostID') return notTrusted();
    if (error.code === 'PhoneIdentityMismatch') return wrongPhone(error.message);
    if (error.code === 'PasswordProtected') return problem('backup-locked', 'The phone is locked', error.message, ['Unlock the phone, then try again.']);
    if (error.code === 'ConnectionClosed') return problem('backup-phone-disconnected', 'The phone was disconnected', error.message, [KEPT, 'Plug the phone back in and try again.']);
    if (error.code === 'Timeout') return problem('backup-phone-stopped-answering', 'The phone stopped answering', error.message, [KEPT, 'Unplug the phone and plug it back in.']);
    return problem('backup-lockdown', 'The phone refused the backup', error.message, [KEPT]);
  }
  if (error instanceof UsbmuxError) {
    if (error.kind === 'daemon-unreachable') {
      return problem('backup-no-usbmuxd', 'Lifeline cannot reach the phone service', error.message, ['Make sure usbmuxd (Apple Mobile Device Service on Windows) is running.']);
    }
    return problem('backup-phone-disconnected', 'The phone is not reachable', error.message, [KEPT, 'Plug the phone back in and try again.']);
  }
  const errno = error as NodeJS.ErrnoException;
  if (errno?.code === 'ENOSPC') return diskFull(errno.message);
  if (typeof errno?.code === 'string' && typeof errno.syscall === 'string') {
    return problem('backup-folder-error', 'Lifeline could not write the backup', errno.message, [KEPT, 'Check the backup folder is writable, or choose another one.']);
  }
  return problem('backup-failed', 'The backup failed', error instanceof Error ? error.message : String(error), [KEPT]);
}

function wrongPhone(detail: string): ProblemError {
  return problem('backup-wrong-phone', 'This is not the phone this computer trusted', `${detail} Lifeline stopped and sent the phone nothing more.`, [
    KEPT,
    'Unplug any other phone or adapter, plug in your own phone and try again.',
    'If it is your phone, pair it again: on the phone, tap Trust when asked.',
  ]);
}

function diskFull(detail: string): ProblemError {
  return problem('backup-disk-full', 'Not enough free space for the backup', detail, ['Free some space on this computer, or choose a folder on a bigger drive.', KEPT]);
}
