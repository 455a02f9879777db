/**
 * notification_proxy's vocabulary (docs/protocols/mobilebackup2.md#notification-proxy), shared by the host client and the
 * virtual phone: the commands of its XML plists and the notification names around a backup.
 */

export const NotificationProxyCommand = {
  Post: 'PostNotification',
  Observe: 'ObserveNotification',
  Relay: 'RelayNotification',
  Shutdown: 'Shutdown',
  ProxyDeath: 'ProxyDeath',
} as const;

/** docs/protocols/mobilebackup2.md#notification-proxy: names around a backup. */
export const SyncNotification = {
  WillStart: 'com.apple.itunes-mobdev.syncWillStart',
  LockRequest: 'com.apple.itunes-mobdev.syncLockRequest',
  DidStart: 'com.apple.itunes-mobdev.syncDidStart',
  DidFinish: 'com.apple.itunes-mobdev.syncDidFinish',
  CancelRequest: 'com.apple.itunes-client.syncCancelRequest',
  SuspendRequest: 'com.apple.itunes-client.syncSuspendRequest',
  ResumeRequest: 'com.apple.itunes-client.syncResumeRequest',
  DomainChanged: 'com.apple.mobile.backup.domain_changed',
  PasscodePresented: 'com.apple.LocalAuthentication.ui.presented',
  PasscodeDismissed: 'com.apple.LocalAuthentication.ui.dismissed',
} as const;

/** A notification name longer than this is hostile on either side. */
export const MAX_NOTIFICATION_NAME_LENGTH = 1024;
