import type { Duplex } from 'node:stream';
import { NOTIFICATION_PROXY_SERVICE } from '../../lockdown/service-names';
import { MAX_NOTIFICATION_NAME_LENGTH, NotificationProxyCommand } from '../../notification-proxy/notification-proxy-wire';
import { PlistChannel } from '../../plist/framing';
import { isPlistDict } from '../../plist/plist-value';
import type { SimService, SimServicePhone } from '../sim-service';

/** Phone event a device-side module emits to post a notification to observing hosts. */
export const DEVICE_NOTIFICATION_EVENT = 'notification';
/** Phone event emitted when a host posts a notification (e.g. com.apple.itunes-mobdev.syncWillStart). */
export const HOST_NOTIFICATION_EVENT = 'host-notification';

const MAX_FRAME_BYTES = 64 * 1024;
const MAX_OBSERVED = 256;
/** Observers sit idle for a whole backup; a silent peer is dropped after this long. */
const IDLE_TIMEOUT_MS = 30 * 60 * 1000;

/** docs/protocols/mobilebackup2.md#notification-proxy: Post/Observe/Shutdown from the host, RelayNotification / ProxyDeath from us. */
export function createNotificationProxyService(phone: SimServicePhone): SimService {
  return {
    name: NOTIFICATION_PROXY_SERVICE,
    ssl: false,
    serve(stream: Duplex): void {
      void serveNotificationProxy(phone, stream);
    },
  };
}

async function serveNotificationProxy(phone: SimServicePhone, stream: Duplex): Promise<void> {
  const channel = new PlistChannel(stream, { format: 'xml', maxBytes: MAX_FRAME_BYTES });
  const observed = new Set<string>();
  const relay = (name: unknown): void => {
    if (typeof name !== 'string' || !observed.has(name)) return;
    channel.send({ Command: NotificationProxyCommand.Relay, Name: name }).catch(() => stream.destroy());
  };
  phone.events.on(DEVICE_NOTIFICATION_EVENT, relay);
  stream.on('error', () => undefined);
  try {
    for (;;) {
      const message = await channel.receive({ timeoutMs: IDLE_TIMEOUT_MS });
      if (!isPlistDict(message)) break;
      const { Command: command, Name: name } = message;
      if (command === NotificationProxyCommand.Shutdown) {
        await channel.send({ Command: NotificationProxyCommand.ProxyDeath });
        break;
      }
      if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NOTIFICATION_NAME_LENGTH) break;
      if (command === NotificationProxyCommand.Observe) {
        if (observed.size >= MAX_OBSERVED) break;
        observed.add(name);
      } else if (command === NotificationProxyCommand.Post) {
        phone.events.emit(HOST_NOTIFICATION_EVENT, name);
      } else {
        break;
      }
    }
  } catch {
    // Hostile or vanished peer: just drop the connection.
  } finally {
    phone.events.off(DEVICE_NOTIFICATION_EVENT, relay);
    stream.end();
    setTimeout(() => stream.destroy(), 1000).unref();
  }
}
