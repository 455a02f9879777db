/**
 * Pair records kept by usbmuxd (docs/protocols/lockdown.md#pair-records): usbmuxd hands out the stored bytes, lockdown
 * decodes them.
 */
import type { UsbmuxClient, UsbmuxRequestOptions } from '../usbmux/usbmux-client';
import { describeReportedIdentity, isUdid } from '../../common/phone-identity';
import type { PlistDict } from '../plist/plist-value';
import { decodePairRecord, encodePairRecord, type PairRecord } from './pair-record';

/** The stored pair record for a UDID, or null when the daemon has none. Throws PairRecordError for a corrupt one. */
export async function readPairRecord(
  usbmux: Pick<UsbmuxClient, 'readPairRecordData'>,
  udid: string,
  options: UsbmuxRequestOptions = {},
): Promise<PairRecord | null> {
  const data = await usbmux.readPairRecordData(udid, options);
  return data === null ? null : decodePairRecord(data);
}

/**
 * Hands a pair record to usbmuxd to keep (docs/protocols/usbmux.md#plist-messages `SavePairRecord`): a binary plist, as
 * libimobiledevice writes it, with the DeviceID so the daemon tells its listeners the phone is paired.
 */
export async function savePairRecord(
  usbmux: Pick<UsbmuxClient, 'request'>,
  udid: string,
  record: PairRecord,
  options: UsbmuxRequestOptions & { deviceId?: number } = {},
): Promise<void> {
  // The daemon names a file after the PairRecordID: only a real UDID is ever sent.
  if (!isUdid(udid)) throw new RangeError(`Not a UDID: ${describeReportedIdentity(udid)}`);
  const { deviceId, ...request } = options;
  const fields: PlistDict = { PairRecordID: udid, PairRecordData: encodePairRecord(record, 'binary') };
  if (deviceId !== undefined) fields.DeviceID = deviceId;
  await usbmux.request('SavePairRecord', fields, request);
}
