import { basename, dirname } from 'node:path';
import { ProblemError, type Progress } from '../../common/api';
import type { BackupDetails, BackupRestoreOptions, BackupRestoreResult, BackupSummary } from '../../common/contract/backup';
import { compareVersions } from '../../common/ios-version';
import { MobileBackup2Message } from '../devicelink/mobilebackup2-messages';
import { SyncNotification } from '../notification-proxy/notification-proxy-wire';
import type { PlistDict } from '../plist/plist-value';
import { backupsMatching } from './backup-id';
import { findBackups } from './backup-finder';
import { BackupProgress } from './backup-progress';
import { problemForFailure, type BackupService, type BackupTarget, type OpenServices } from './backup-service';
import { DeviceLinkFolderHost } from './device-link-host';
import { MobileBackup2Error } from './mobilebackup2-client';
import { readyForRestore, type RestoreReadinessOptions } from './restore-readiness';
import { followPhoneNotifications, takeSyncLock } from './sync-session';

/**
 * Puts a backup back onto a trusted phone (docs/protocols/mobilebackup2.md#restoring-a-backup): choose the backup
 * (by id, or the newest complete one of this phone that is not from a newer iOS), open the same services as a backup,
 * take the sync lock, send `Restore` with its options and serve the phone's downloads from the backup folder, read
 * only and only inside that one backup. The phone restarts by itself at the end when asked to.
 */

export type BackupRestoreRequest = {
  backupId?: string;
  phoneId?: string;
  udid?: string;
  directory?: string;
  password?: string;
  options?: Partial<BackupRestoreOptions>;
};

export type RestoreRunContext = { signal: AbortSignal; progress: (update: Omit<Progress, 'job'>) => void };

export type BackupRestoreServiceOptions = {
  /** Bound between the phone's messages once the restore runs. */
  idleTimeoutMs?: number;
  /** Bound for the phone's first message after the request. */
  firstMessageTimeoutMs?: number;
  /** How long the Trust dialog and the setup assistant are waited for, and how often the phone is asked. */
  readiness?: Omit<RestoreReadinessOptions, 'signal' | 'onWaiting'>;
};

export const DEFAULT_RESTORE_OPTIONS: BackupRestoreOptions = Object.freeze({
  systemFiles: true,
  reboot: true,
  copyFirst: false,
  removeItemsNotRestored: false,
});

/** docs/protocols/mobilebackup2.md#host-requests: the Restore options as libimobiledevice and pymobiledevice3 send them (all five booleans, Password only when given). */
export function restoreRequestOptions(options: BackupRestoreOptions, password: string | undefined): PlistDict {
  const dict: PlistDict = {
    RestoreSystemFiles: options.systemFiles,
    RestoreShouldReboot: options.reboot,
    RestoreDontCopyBackup: !options.copyFirst,
    RestorePreserveSettings: true,
    RemoveItemsNotRestored: options.removeItemsNotRestored,
  };
  if (password !== undefined) dict.Password = password;
  return dict;
}

/** The backup a restore uses: the one `wanted` names, else the newest complete one of `udid` that the phone's iOS can take. */
export function chooseBackup(
  backups: readonly BackupSummary[],
  wanted: string | undefined,
  phone?: { udid: string; iosVersion: string | undefined },
): BackupSummary {
  if (wanted !== undefined) {
    const matches = backupsMatching(backups, wanted);
    if (matches.length === 0) throw new ProblemError('restore-backup-not-found', { wanted });
    if (matches.length > 1) throw new ProblemError('restore-backup-ambiguous', { wanted });
    return matches[0]!;
  }
  const fitting = backups
    .filter((b) => b.complete && phone !== undefined && b.udid.toUpperCase() === phone.udid.toUpperCase())
    .filter((b) => phone?.iosVersion === undefined || b.iosVersion === null || compareVersions(b.iosVersion, phone.iosVersion) <= 0)
    .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
  if (fitting.length === 0) throw new ProblemError('restore-no-backup-for-phone');
  return fitting[0]!;
}

/** Refuses a backup the phone cannot take: unfinished, from a newer iOS, or encrypted without a password. */
export function checkRestorable(backup: BackupSummary, phoneIos: string | undefined, password: string | undefined): void {
  if (!backup.complete) throw new ProblemError('restore-backup-incomplete');
  if (phoneIos !== undefined && backup.iosVersion !== null && compareVersions(backup.iosVersion, phoneIos) > 0) {
    throw new ProblemError('restore-backup-newer-ios', { backupIos: backup.iosVersion, phoneIos });
  }
  if (backup.encrypted === true && password === undefined) throw new ProblemError('restore-password-needed');
}

export class BackupRestoreService {
  private readonly active = new Set<string>();

  constructor(
    private readonly backups: BackupService,
    private readonly options: BackupRestoreServiceOptions = {},
  ) {}

  /** One backup by id or folder name (`backup.show`). */
  async show(backupId: string, directory?: string): Promise<BackupDetails> {
    const backup = chooseBackup(await findBackups(this.backups.roots(directory)), backupId);
    return { ...backup, folderName: basename(backup.path) };
  }

  async restore(request: BackupRestoreRequest, context: RestoreRunContext): Promise<BackupRestoreResult> {
    const { signal } = context;
    const started = Date.now();
    const options: BackupRestoreOptions = { ...DEFAULT_RESTORE_OPTIONS, ...request.options };
    const progress = new BackupProgress(context.progress, undefined, 'to-phone');
    progress.publish(true);

    const candidates = await findBackups(this.backups.roots(request.directory));
    if (request.backupId !== undefined) checkRestorable(chooseBackup(candidates, request.backupId), undefined, request.password);
    const target = await this.backups.resolve(request, signal);
    const key = target.udid.toUpperCase();
    if (this.active.has(key)) throw new ProblemError('restore-already-running');
    this.active.add(key);
    try {
      // An erased phone forgot this computer and waits in its setup assistant: pair, and wait for its activation.
      await readyForRestore(this.backups.usbmux, target, {
        ...this.options.readiness,
        signal,
        onWaiting: (message, waitingFor) => context.progress({ phase: waitingFor, fraction: null, message }),
      });
      progress.publish(true);
      const opened = await this.backups.openServices(target, signal);
      return await this.restoreWith(target, opened, candidates, request, options, progress, context, started);
    } finally {
      this.active.delete(key);
    }
  }

  private async restoreWith(
    target: BackupTarget,
    opened: OpenServices,
    candidates: BackupSummary[],
    request: BackupRestoreRequest,
    options: BackupRestoreOptions,
    progress: BackupProgress,
    context: RestoreRunContext,
    started: number,
  ): Promise<BackupRestoreResult> {
    const { signal } = context;
    const { np, afc, mb2 } = opened;
    let requested = false;
    let cancelledOnPhone = false;
    const onPhoneCancel = new AbortController();
    const combined = AbortSignal.any([signal, onPhoneCancel.signal]);
    let host: DeviceLinkFolderHost | undefined;
    try {
      const phoneIos = typeof opened.lockdownValues.ProductVersion === 'string' ? opened.lockdownValues.ProductVersion : undefined;
      const backup = chooseBackup(candidates, request.backupId, { udid: target.udid, iosVersion: phoneIos });
      checkRestorable(backup, phoneIos, request.password);

      await followPhoneNotifications(
        np,
        progress,
        [
          SyncNotification.CancelRequest,
          SyncNotification.SuspendRequest,
          SyncNotification.ResumeRequest,
          SyncNotification.PasscodePresented,
          SyncNotification.PasscodeDismissed,
        ],
        () => {
          cancelledOnPhone = true;
          onPhoneCancel.abort();
        },
      );
      await mb2.handshake(combined);
      // A restore takes the same sync lock as a backup.
      await takeSyncLock(np, afc, combined);

      const folderName = basename(backup.path);
      const folder = new DeviceLinkFolderHost(dirname(backup.path), {
        readOnly: { only: folderName },
        onSent: (bytes) => {
          if (progress.currentPhase !== 'receiving') progress.setPhase('receiving');
          progress.setFiles(folder.filesSent);
          progress.addBytes(bytes);
        },
      });
      host = folder;
      progress.devicePercent(undefined, backup.sizeBytes ?? undefined);
      progress.setPhase('preparing');
      await mb2.request(MobileBackup2Message.Restore, {
        target: target.udid,
        source: folderName,
        options: restoreRequestOptions(options, request.password),
      });
      requested = true;
      await mb2.run(folder, {
        signal: combined,
        ...(this.options.idleTimeoutMs !== undefined ? { idleTimeoutMs: this.options.idleTimeoutMs } : {}),
        ...(this.options.firstMessageTimeoutMs !== undefined ? { firstMessageTimeoutMs: this.options.firstMessageTimeoutMs } : {}),
        onProgress: (p) => progress.devicePercent(p.percent, undefined),
        onMessage: () => progress.setFiles(folder.filesSent),
      });
      if (folder.refusal) throw new MobileBackup2Error('unsafe-path', folder.refusal.message);
      progress.setPhase('saving');
      return {
        backupId: backup.id,
        udid: target.udid,
        files: folder.filesSent,
        bytes: folder.bytesSent,
        seconds: (Date.now() - started) / 1000,
        encrypted: backup.encrypted === true,
        rebooting: options.reboot,
      };
    } catch (error) {
      if (signal.aborted || cancelledOnPhone) {
        // docs/protocols/mobilebackup2.md#restoring-a-backup: once the phone has the request it may have replaced files already.
        if (requested)
          throw Object.assign(new ProblemError('restore-cancelled-partial', undefined, { cause: error }), { name: 'AbortError' });
        throw new DOMException('The restore was cancelled', 'AbortError');
      }
      throw problemForRestoreFailure(error);
    } finally {
      await host?.dispose();
      await afc?.release();
      await np.post(SyncNotification.DidFinish).catch(() => undefined);
      await np.close();
      await mb2.disconnect();
    }
  }
}

/** Every failure of a restore, in plain words (the backup's own failures where a backup and a restore share them). */
export function problemForRestoreFailure(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof MobileBackup2Error) {
    switch (error.kind) {
      case 'closed':
        return new ProblemError('restore-phone-disconnected', undefined, { cause: error });
      case 'timeout':
        return new ProblemError('restore-phone-stopped-answering', undefined, { cause: error });
      case 'device':
        return problemForPhoneError(error);
      case 'local-io':
        return new ProblemError('restore-backup-unreadable', undefined, { cause: error });
      case 'unsafe-path':
        return new ProblemError('backup-unsafe-path', undefined, { cause: error });
      case 'protocol':
      case 'version':
        return new ProblemError('restore-protocol', undefined, { cause: error });
      default:
        return new ProblemError('restore-failed', undefined, { cause: error });
    }
  }
  const converted = problemForFailure(error);
  return converted.code === 'backup-failed' ? new ProblemError('restore-failed', undefined, { cause: error }) : converted;
}

/** docs/protocols/mobilebackup2.md#completion-and-errors: the phone's MBErrorDomain codes a restore meets. */
function problemForPhoneError(error: MobileBackup2Error): ProblemError {
  const reason = error.message;
  if (/password/i.test(reason) || error.deviceCode === 207) return new ProblemError('restore-wrong-password', undefined, { cause: error });
  if (error.deviceCode === 105) return new ProblemError('restore-not-enough-space-on-phone', undefined, { cause: error });
  return new ProblemError('restore-phone-error', { reason }, { cause: error });
}
