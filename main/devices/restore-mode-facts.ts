import { RestoredClient, usbmuxPortOpener } from '../restored/restored-client';
import { RestoredError } from '../restored/restored-error';
import type { UsbmuxClient, UsbmuxDevice } from '../usbmux/usbmux-client';
import type { LockdownFacts } from './phone-views';

/**
 * A phone on usbmuxd whose port 62078 is restored, not lockdownd (docs/protocols/restored.md#finding-the-phone-in-restore-mode):
 * its facts from QueryType and QueryValue HardwareInfo; null when the port answers as anything else.
 */
export async function readRestoreModeFacts(
  usbmux: UsbmuxClient,
  device: Pick<UsbmuxDevice, 'deviceId'>,
  options: { signal: AbortSignal; timeoutMs: number },
): Promise<LockdownFacts | null> {
  let restored: RestoredClient;
  try {
    restored = await RestoredClient.connect(usbmuxPortOpener(usbmux, device.deviceId), {
      signal: options.signal,
      timeouts: { requestMs: options.timeoutMs },
    });
  } catch (error) {
    if (error instanceof RestoredError && error.kind === 'not-restore-mode') return null;
    throw error;
  }
  const facts: LockdownFacts = { restoreMode: true, trusted: null, passcodeSet: null, locked: null, unlockedSinceBoot: null };
  try {
    const info = await restored.hardwareInfo();
    if (info?.UniqueChipID !== undefined) facts.ecid = BigInt.asUintN(64, BigInt(info.UniqueChipID));
    if (info?.ChipID !== undefined) facts.cpid = info.ChipID;
    if (info?.BoardID !== undefined) facts.bdid = info.BoardID;
    if (info?.ProductType) facts.productType = info.ProductType;
    if (info?.HardwareModel) facts.boardConfig = info.HardwareModel;
  } catch {
    // QueryType already said restore mode; the hardware facts are a bonus.
  } finally {
    await restored.goodbye();
  }
  return facts;
}
