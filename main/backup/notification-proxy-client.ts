import type { Duplex } from 'node:stream';
import { PlistChannel } from '../plist/framing';
import { isPlistDict } from '../plist/plist-value';
import { MAX_NOTIFICATION_NAME_LENGTH, NotificationProxyCommand } from '../notification-proxy/notification-proxy-wire';

/** Host side of com.apple.mobile.notification_proxy (docs/protocols/mobilebackup2.md#notification-proxy). */

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
    return this.channel.send({ Command: NotificationProxyCommand.Post, Name: name });
  }

  observe(name: string): Promise<void> {
    return this.channel.send({ Command: NotificationProxyCommand.Observe, Name: name });
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
          if (
            message.Command === NotificationProxyCommand.Relay &&
            typeof message.Name === 'string' &&
            message.Name.length <= MAX_NOTIFICATION_NAME_LENGTH
          )
            onNotification(message.Name);
          if (message.Command === NotificationProxyCommand.ProxyDeath) break;
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
      await this.channel.send({ Command: NotificationProxyCommand.Shutdown });
      await new Promise((resolve) => setTimeout(resolve, 50).unref());
    } catch {
      // Gone already.
    }
    this.stream.destroy();
  }
}
