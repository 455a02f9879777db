import type { Duplex } from 'node:stream';
import { PlistChannel } from '../plist/framing';
import { isPlistDict } from '../plist/plist-value';

/** Host side of com.apple.mobile.notification_proxy (docs/protocols/mobilebackup2.md#notification-proxy). */

export const NOTIFICATION_PROXY_SERVICE = 'com.apple.mobile.notification_proxy';

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

const MAX_FRAME_BYTES = 64 * 1024;

export class NotificationProxyClient {
  private readonly channel: PlistChannel;
  private listening = false;
  private closed = false;

  constructor(private readonly stream: Duplex) {
    stream.on('error', () => undefined);
    this.channel = new PlistChannel(stream, { format: 'xml', maxBytes: MAX_FRAME_BYTES });
  }

  post(name: string): Promise<void> {
    return this.channel.send({ Command: 'PostNotification', Name: name });
  }

  observe(name: string): Promise<void> {
    return this.channel.send({ Command: 'ObserveNotification', Name: name });
  }

  /** Delivers RelayNotification names until the connection closes; a hostile frame just ends it. */
  listen(onNotification: (name: string) => void): void {
    if (this.listening) return;
    this.listening = true;
    void (async () => {
      try {
        while (!this.closed) {
          const message = await this.channel.receive({ timeoutMs: 24 * 3600_000 });
          if (!isPlistDict(message)) break;
          if (message.Command === 'RelayNotification' && typeof message.Name === 'string' && message.Name.length <= 1024) onNotification(message.Name);
          if (message.Command === 'ProxyDeath') break;
        }
      } catch {
        // Closed or hostile: nothing more to relay.
      }
    })();
  }

  /** Shutdown, without waiting for ProxyDeath longer than a moment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.channel.send({ Command: 'Shutdown' });
      await new Promise((resolve) => setTimeout(resolve, 50).unref());
    } catch {
      // Gone already.
    }
    this.stream.destroy();
  }
}
