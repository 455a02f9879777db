/**
 * The identity a phone reports (usbmuxd SerialNumber, lockdown UniqueDeviceID, a normal-mode phone's USB serial)
 * names its pair record and its backup folder, so only the forms real iPhones send are accepted: 40 hex digits
 * (phones before the A12) or 8 hex + '-' + 16 hex (CPID-ECID, A12 on). New-style UDIDs come in upper case and old
 * ones in lower case; either case is accepted and kept as sent, because pair records are keyed by the exact string.
 */

const LEGACY_UDID = /^[0-9A-Fa-f]{40}$/;
const CHIP_UDID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{16}$/;
const UNDASHED_CHIP_UDID = /^[0-9A-Fa-f]{24}$/;

/** Longest reported identity looked at, even to describe it. */
export const MAX_REPORTED_IDENTITY_CHARS = 128;

/** The usbmuxd dash rule: a 24-hex serial gets a dash after the 8th character; other forms stay as they are. */
export function normaliseUdid(serial: string): string {
  return UNDASHED_CHIP_UDID.test(serial) ? `${serial.slice(0, 8)}-${serial.slice(8)}` : serial;
}

/**
 * The UDID of a phone from its chip id and ECID, for the A12 (CPID 0x8020) and every later chip: "%08X-%016X".
 * null for older chips (A11 and before, numbered 0x7000–0x8015 and 0x8720–0x8965), whose 40-hex UDID only the phone knows.
 */
export function chipUdidOf(cpid: number, ecid: bigint): string | null {
  if (cpid < 0x8020 || cpid >= 0x8700 || ecid < 0n || ecid >= 1n << 64n) return null;
  return `${cpid.toString(16).toUpperCase().padStart(8, '0')}-${ecid.toString(16).toUpperCase().padStart(16, '0')}`;
}

/** True when `value` is exactly a UDID in one of the two real forms (no normalising). */
export function isUdid(value: unknown): value is string {
  return typeof value === 'string' && (LEGACY_UDID.test(value) || CHIP_UDID.test(value));
}

/** The UDID a reported serial stands for (dash rule applied), or null when it is not one. */
export function parseUdid(reported: unknown): string | null {
  if (typeof reported !== 'string' || reported.length > MAX_REPORTED_IDENTITY_CHARS) return null;
  const udid = normaliseUdid(reported);
  return isUdid(udid) ? udid : null;
}

/** A refused identity made safe to show in a message: quoted, escaped and clipped. */
export function describeReportedIdentity(reported: unknown): string {
  if (typeof reported !== 'string') return `(${typeof reported})`;
  const clipped = reported.length > 48 ? `${reported.slice(0, 48)}...` : reported;
  return JSON.stringify(clipped).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
