/**
 * How a phone's ECID or UDID is shown to people and written to logs: only its last six characters ("…3F2A1C"),
 * enough to tell two phones on one desk apart without handing out the identifier itself. The full value is shown
 * only when the person asks (`--show-ecid`). Import-free: the renderer uses it too.
 */
export const MASKED_ID_CHARS = 6;

export function maskPhoneId(id: string | bigint): string {
  const text = typeof id === 'bigint' ? BigInt.asUintN(64, id).toString(16).toUpperCase().padStart(16, '0') : id;
  return `…${text.slice(-MASKED_ID_CHARS)}`;
}
