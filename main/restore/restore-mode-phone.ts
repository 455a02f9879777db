/**
 * Finding the phone once the restore ramdisk runs (docs/protocols/boot-chain.md#dfu-to-restore-ramdisk step 16, docs/protocols/restored.md#finding-the-phone-in-restore-mode): it appears on usbmuxd; on
 * port 62078 QueryType must answer `com.apple.mobile.restored` and QueryValue HardwareInfo must carry our ECID.
 */
import { PlistChannel } from '../plist/framing';
import { isPlistDict, type PlistValue } from '../plist/plist-value';
import { RESTORED_TYPE } from '../lockdown/lockdown-wire';
import { RESTORED_PORT, RestoredQueryKey, encodeQueryType, encodeQueryValue } from '../restored/restored-wire';
import type { UsbmuxClient } from '../usbmux/usbmux-client';

const POLL_MS = 200;
const ANSWER_TIMEOUT_MS = 10_000;

export type RestoreModePhone = { deviceId: number; udid: string; protocolVersion: number | null; hardwareInfo: Record<string, PlistValue> };

function asBigInt(value: PlistValue | undefined): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return null;
}

async function identify(client: UsbmuxClient, deviceId: number, udid: string, ecid: bigint): Promise<RestoreModePhone | null> {
  const stream = await client.connect(deviceId, RESTORED_PORT, { timeoutMs: ANSWER_TIMEOUT_MS });
  const channel = new PlistChannel(stream, { format: 'xml', maxBytes: 1024 * 1024, timeoutMs: ANSWER_TIMEOUT_MS });
  try {
    await channel.send(encodeQueryType());
    const type = await channel.receive();
    if (!isPlistDict(type) || type.Type !== RESTORED_TYPE) return null;
    await channel.send(encodeQueryValue(RestoredQueryKey.HardwareInfo));
    const answer = await channel.receive();
    // docs/protocols/restored.md#requests: the value comes back under the key asked for.
    const info = isPlistDict(answer) && isPlistDict(answer.HardwareInfo) ? answer.HardwareInfo : null;
    if (!info || asBigInt(info.UniqueChipID) !== ecid) return null;
    const version = type.RestoreProtocolVersion;
    return { deviceId, udid, protocolVersion: typeof version === 'number' ? version : null, hardwareInfo: info };
  } finally {
    channel.close();
  }
}

/** Waits (bounded) for the restore-mode phone with this ECID; null on timeout. */
export async function waitForRestoreModePhone(
  client: UsbmuxClient,
  ecid: bigint,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<RestoreModePhone | null> {
  const deadline = Date.now() + options.timeoutMs;
  const tried = new Set<number>();
  while (Date.now() < deadline) {
    if (options.signal?.aborted) return null;
    const devices = await client.listDevices({ timeoutMs: 5_000 }).catch(() => []);
    for (const device of devices) {
      if (tried.has(device.deviceId)) continue;
      const found = await identify(client, device.deviceId, device.udid, ecid).catch(() => null);
      // A normal-mode phone or another phone: do not ask it again.
      if (found) return found;
      tried.add(device.deviceId);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return null;
}
