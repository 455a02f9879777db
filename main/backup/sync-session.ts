import { ProblemError } from '../../common/api';
import { SyncNotification } from '../notification-proxy/notification-proxy-wire';
import type { AfcSyncLock } from './afc-sync-lock';
import type { BackupProgress } from './backup-progress';
import type { NotificationProxyClient } from './notification-proxy-client';

/**
 * The notification-proxy side every backup and restore share: follow the passcode prompt and a cancel
 * tapped on the phone, then observe the given names.
 */
export async function followPhoneNotifications(
  np: NotificationProxyClient,
  progress: BackupProgress,
  names: readonly string[],
  onCancelOnPhone: () => void,
): Promise<void> {
  np.listen((name) => {
    if (name === SyncNotification.PasscodePresented) progress.setPhase('passcode');
    else if (name === SyncNotification.PasscodeDismissed && progress.currentPhase === 'passcode') progress.setPhase('receiving');
    else if (name === SyncNotification.CancelRequest) onCancelOnPhone();
  });
  for (const name of names) await np.observe(name);
}

/** docs/protocols/mobilebackup2.md#backup-order step 8: announce, take the AFC sync lock, announce; a busy lock is `backup-phone-busy`. */
export async function takeSyncLock(np: NotificationProxyClient, afc: AfcSyncLock | undefined, signal: AbortSignal): Promise<void> {
  await np.post(SyncNotification.WillStart);
  if (afc) {
    try {
      await afc.acquire({ signal });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ProblemError('backup-phone-busy', undefined, { cause: error });
    }
  }
  await np.post(SyncNotification.LockRequest);
  await np.post(SyncNotification.DidStart);
}
