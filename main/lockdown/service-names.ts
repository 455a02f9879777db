/**
 * The lockdown service names a host starts with StartService and the phone serves
 * (docs/protocols/lockdown.md#service-connections). Host clients and the virtual phone both take them from here.
 */

export const AFC_SERVICE = 'com.apple.afc';
export const MOBILEBACKUP2_SERVICE = 'com.apple.mobilebackup2';
/** The pre-iOS 4 backup service; like mobilebackup2 it is started with the escrow bag. */
export const MOBILEBACKUP_SERVICE = 'com.apple.mobilebackup';
export const NOTIFICATION_PROXY_SERVICE = 'com.apple.mobile.notification_proxy';
/** notification_proxy started without a lockdown session (e.g. while the phone is locked). */
export const INSECURE_NOTIFICATION_PROXY_SERVICE = 'com.apple.mobile.insecure_notification_proxy';
export const INSTALLATION_PROXY_SERVICE = 'com.apple.mobile.installation_proxy';
