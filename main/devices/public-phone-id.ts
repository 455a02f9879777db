import { createHash } from 'node:crypto';
import { ecidFromUdid, ecidKey } from './phone-views';

/**
 * The phone id Lifeline prints in machine-readable output (`--json`): a short hash of the phone's identity, so
 * scripts and logs can tell phones apart and follow one across runs without ever holding its ECID or UDID.
 * The ECID is the identity whenever it is known (DFU, recovery, a modern UDID, or what lockdown said), so one
 * phone keeps one id in every mode; a phone known only by an old-style UDID is hashed by that UDID.
 */
const PREFIX = 'ph-';
const HASH_CHARS = 12;
const DOMAIN = 'lifeline/phone-id/v1';

export type PhoneIdentity = { ecid?: bigint | undefined; udid?: string | undefined };

export function publicPhoneId(identity: PhoneIdentity): string {
  const ecid = identity.ecid ?? (identity.udid !== undefined ? ecidFromUdid(identity.udid) : undefined);
  const canonical = ecid !== undefined ? `ecid:${ecidKey(BigInt.asUintN(64, ecid))}` : `udid:${(identity.udid ?? '').toUpperCase()}`;
  return `${PREFIX}${createHash('sha256').update(`${DOMAIN}\0${canonical}`).digest('hex').slice(0, HASH_CHARS)}`;
}

/** The identity behind a registry phone id (`Phone.id`: the ECID key, or `udid-<UDID>` before the ECID is known). */
export function identityOfPhoneId(phoneId: string): PhoneIdentity {
  if (/^[0-9A-F]{16}$/.test(phoneId)) return { ecid: BigInt(`0x${phoneId}`) };
  if (phoneId.startsWith('udid-')) return { udid: phoneId.slice('udid-'.length) };
  return { udid: phoneId };
}

export function publicIdOfPhone(phoneId: string): string {
  return publicPhoneId(identityOfPhoneId(phoneId));
}

export function isPublicPhoneId(value: string): boolean {
  return new RegExp(`^${PREFIX}[0-9a-f]{${HASH_CHARS}}$`).test(value);
}
