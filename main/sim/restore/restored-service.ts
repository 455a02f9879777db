/**
 * The restore ramdisk's restored on port 62078 (docs/protocols/restored.md#requests): QueryType answers
 * `com.apple.mobile.restored`, QueryValue answers under the key asked for, StartRestore hands the connection to the
 * restore itself, Goodbye and Reboot end it. Every request is parsed with the shared schema and recorded.
 */
import type { Duplex } from 'node:stream';
import { PlistChannel } from '../../plist/framing';
import type { PlistDict } from '../../plist/plist-value';
import { RESTORED_TYPE } from '../../lockdown/lockdown-wire';
import { RestoredQueryKey, RestoredRequest, RestoredRequestSchema, encodeQueryValueReply } from '../../restored/restored-wire';
import type { RestoreRecord } from './restore-record';

export const RESTORE_PROTOCOL_VERSION = 15;
const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_REQUESTS = 256;

export type RestoredPhone = { ecid: bigint; cpid: number; bdid: number; productType: string; boardConfig: string; serialNumber: string };

/** What the connection needs from the ramdisk it runs on. */
export type RestoredRamdisk = {
  readonly phone: RestoredPhone;
  readonly record: RestoreRecord;
  /** How long restored waits for the host's next request. */
  readonly idleTimeoutMs: number;
  /** Takes over the connection and runs the restore; false when one already ran on this boot. */
  startRestore(channel: PlistChannel, request: PlistDict): boolean;
  /** The host asked for a reboot. */
  reboot(): void;
};

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

function queryValue(ramdisk: RestoredRamdisk, key: string): PlistDict {
  if (key === RestoredQueryKey.HardwareInfo) return encodeQueryValueReply(key, hardwareInfo(ramdisk.phone));
  if (key === RestoredQueryKey.SavedDebugInfo) return encodeQueryValueReply(key, { PreviousExitStatus: 'none', USBLog: '', PanicLog: '' });
  return { Error: 'MissingValue' };
}

export function serveRestored(stream: Duplex, ramdisk: RestoredRamdisk): void {
  const channel = new PlistChannel(stream, { format: 'xml', maxBytes: MAX_REQUEST_BYTES });
  stream.on('error', () => undefined);
  const { record } = ramdisk;
  let handedOver = false;
  void (async () => {
    for (let served = 0; served < MAX_REQUESTS; served++) {
      const parsed = RestoredRequestSchema.safeParse(await channel.receive({ timeoutMs: ramdisk.idleTimeoutMs }));
      if (!parsed.success) {
        await channel.send({ Error: 'InvalidRequest' });
        continue;
      }
      const request = parsed.data;
      // The label of the host that drives the restore (another tool may have identified the phone before).
      if (request.Request === RestoredRequest.StartRestore || record.label === null) record.label = request.Label ?? null;
      if (record.requests.length < MAX_REQUESTS)
        record.requests.push(request.QueryKey ? `${request.Request} ${request.QueryKey}` : request.Request);
      if (request.Request === RestoredRequest.QueryType) {
        const phone = ramdisk.phone;
        await channel.send({
          Type: RESTORED_TYPE,
          RestoreProtocolVersion: RESTORE_PROTOCOL_VERSION,
          HardwareModel: phone.boardConfig.toUpperCase(),
          SerialNumber: phone.serialNumber,
          Result: 'Success',
        });
      } else if (request.Request === RestoredRequest.QueryValue) {
        await channel.send(queryValue(ramdisk, request.QueryKey ?? ''));
      } else if (request.Request === RestoredRequest.StartRestore) {
        if (ramdisk.startRestore(channel, request as PlistDict)) {
          handedOver = true;
          return;
        }
        await channel.send({ Error: 'RestoreAlreadyStarted' });
      } else if (request.Request === RestoredRequest.Goodbye) {
        await channel.send({ Result: 'Success' });
        break;
      } else if (request.Request === RestoredRequest.Reboot) {
        await channel.send({ Result: 'Success' });
        ramdisk.reboot();
        break;
      } else {
        await channel.send({ Error: 'UnknownRequest' });
      }
    }
  })()
    .catch(() => undefined)
    .finally(() => {
      if (!handedOver) channel.close();
    });
}
