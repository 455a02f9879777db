import { startHostRegistry } from '../devices/host-sources';
import { startPracticeHost } from '../sim/practice-host';
import { openNodeUsbBus } from '../usb/node-usb-bus';
import { APP_NAME, APP_VERSION } from '../version';
import { Engine } from './engine';

export type AppEngineOptions = {
  /** Practice mode: virtual phones on a private fake usbmuxd and a simulated USB bus, never the real ones. */
  demo?: boolean;
  /** Scales the virtual phones' delays (practice mode only; tests use small values). */
  demoTimeFactor?: number;
  /** How long a card waits for a phone that went away. */
  reconnectGraceMs?: number;
};

/** The composition root every front end shares (Electron, web bridge, CLI). */
export async function createAppEngine(options: AppEngineOptions = {}): Promise<Engine> {
  const identity = { name: APP_NAME, version: APP_VERSION, demo: options.demo ?? false };
  const grace = options.reconnectGraceMs !== undefined ? { reconnectGraceMs: options.reconnectGraceMs } : {};
  if (options.demo) {
    const host = await startPracticeHost({ timeFactor: options.demoTimeFactor ?? 1 });
    const phones = await startHostRegistry({ usb: host.usb, usbmuxAddress: host.usbmuxAddress, ...grace });
    return new Engine({ ...identity, phones, practice: host.practice, onClose: host.close });
  }
  const phones = await startHostRegistry({ usb: await openNodeUsbBus(), ...grace });
  return new Engine({ ...identity, phones });
}
