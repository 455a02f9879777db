import type { Duplex } from 'node:stream';
import { PlistChannel } from '../../plist/framing';
import { isPlistDict, type PlistDict } from '../../plist/plist-value';
import { INSTALLATION_PROXY_SERVICE } from '../../lockdown/service-names';
import type { SimService } from '../sim-service';

const MAX_FRAME_BYTES = 256 * 1024;
const IDLE_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * Just enough installation_proxy for idevicebackup2's Info.plist (docs/protocols/mobilebackup2.md#backup-order step 9):
 * Browse / Lookup list the user apps (no SINF, so the host fetches no icons).
 */
export function createInstallationProxyService(bundleIds: () => string[]): SimService {
  return {
    name: INSTALLATION_PROXY_SERVICE,
    ssl: false,
    serve(stream: Duplex): void {
      stream.on('error', () => undefined);
      void serveInstallationProxy(stream, bundleIds);
    },
  };
}

async function serveInstallationProxy(stream: Duplex, bundleIds: () => string[]): Promise<void> {
  const channel = new PlistChannel(stream, { format: 'xml', maxBytes: MAX_FRAME_BYTES });
  try {
    for (;;) {
      const request = await channel.receive({ timeoutMs: IDLE_TIMEOUT_MS });
      if (!isPlistDict(request)) break;
      const apps: PlistDict[] = bundleIds().map((id) => ({
        CFBundleIdentifier: id,
        CFBundleVersion: '1.0',
        CFBundleDisplayName: id.split('.').pop() ?? id,
        ApplicationType: 'User',
      }));
      if (request.Command === 'Browse') {
        await channel.send({ CurrentAmount: apps.length, CurrentIndex: 0, CurrentList: apps, Status: 'BrowsingComplete' });
        await channel.send({ Status: 'Complete' });
      } else if (request.Command === 'Lookup') {
        const result: PlistDict = {};
        for (const app of apps) result[app.CFBundleIdentifier as string] = app;
        await channel.send({ LookupResult: result, Status: 'Complete' });
      } else {
        await channel.send({ Error: 'UnknownCommand', Status: 'Complete' });
      }
    }
  } catch {
    // Closed or hostile peer.
  } finally {
    stream.end();
    setTimeout(() => stream.destroy(), 1000).unref();
  }
}
