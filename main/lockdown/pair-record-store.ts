/**
 * Pair records kept by usbmuxd (docs/protocols/lockdown.md#pair-records): usbmuxd hands out the stored bytes, lockdown
 * decodes them.
 */
import type { UsbmuxClient, UsbmuxRequestOptions } from '../usbmux/usbmux-client';
import { decodePairRecord, type PairRecord } from './pair-record';

/** The stored pair record for a UDID, or null when the daemon has none. Throws PairRecordError for a corrupt one. */
export async function readPairRecord(
  usbmux: Pick<UsbmuxClient, 'readPairRecordData'>,
  udid: string,
  options: UsbmuxRequestOptions = {},
): Promise<PairRecord | null> {
  const data = await usbmux.readPairRecordData(udid, options);
  return data === null ? null : decodePairRecord(data);
}
