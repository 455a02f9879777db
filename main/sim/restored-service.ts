/**
 * The restore ramdisk's restored on port 62078, as far as identification goes (docs/protocols/boot-chain.md#dfu-to-restore-ramdisk step 16, docs/protocols/restored.md#finding-the-phone-in-restore-mode):
 * QueryType answers `com.apple.mobile.restored` with protocol 15, QueryValue HardwareInfo carries the ECID.
 * The restore itself (StartRestore, data requests) is the next issue's.
 */
import type { Duplex } from 'node:stream';
import { PlistChannel } from '../plist/framing';
import { isPlistDict, type PlistDict } from '../plist/plist-value';

export const RESTORED_TYPE = 'com.apple.mobile.restored';
export const RESTORE_PROTOCOL_VERSION = 15;
const MAX_REQUEST_BYTES = 256 * 1024;
const IDLE_TIMEOUT_MS = 120_000;
const MAX_REQUESTS = 256;

export type RestoredPhone = { ecid: bigint; cpid: number; bdid: number; productType: string; boardConfig: string };

export function hardwareInfo(phone: RestoredPhone): PlistDict {
  return {
    UniqueChipID: phone.ecid,
    ChipID: phone.cpid,
    BoardID: phone.bdid,
    ProductType: phone.productType,
    HardwareModel: phone.boardConfig.toUpperCase(),
    SupportsImage4: true,
    ProductionMode: true,
    SecurityDomain: 1,
  };
}

export function serveRestored(stream: Duplex, phone: RestoredPhone): void {
  const channel = new PlistChannel(stream, { format: 'xml', maxBytes: MAX_REQUEST_BYTES });
  stream.on('error', () => undefined);
  void (async () => {
    for (let served = 0; served < MAX_REQUESTS; served++) {
      const request = await channel.receive({ timeoutMs: IDLE_TIMEOUT_MS });
      if (!isPlistDict(request)) break;
      if (request.Request === 'QueryType') {
        await channel.send({ Type: RESTORED_TYPE, RestoreProtocolVersion: RESTORE_PROTOCOL_VERSION });
      } else if (request.Request === 'QueryValue') {
        const key = typeof request.QueryKey === 'string' ? request.QueryKey : '';
        await channel.send(key === 'HardwareInfo' ? { Value: hardwareInfo(phone) } : { Error: 'UnknownKey' });
      } else if (request.Request === 'Goodbye') {
        await channel.send({ MessageType: 'ReceivedGoodbye' });
        break;
      } else {
        await channel.send({ Error: 'UnknownRequest' });
      }
    }
  })()
    .catch(() => undefined)
    .finally(() => channel.close());
}
