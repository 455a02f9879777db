import type { BackupResult, BackupSummary } from '../../common/api';
import type { Phone } from '../../common/phone';
import { maskPhoneId } from '../../common/phone-id-mask';
import { ecidKey } from '../devices/phone-views';
import { identityOfPhoneId, isPublicPhoneId, publicIdOfPhone, publicPhoneId, type PhoneIdentity } from '../devices/public-phone-id';

/**
 * How the command line shows and accepts phone ids: prose shows the ECID/UDID masked ("…3F2A1C"), `--json` an
 * opaque id (`ph-…`); `--show-ecid` adds the full values. `--phone` takes any of them.
 */
export const SHOW_ECID_HELP = 'print full ECIDs / UDIDs (they identify the phone: masked by default, and --json gives an opaque id)';

export type ShowIds = { showEcid: boolean };

function rawIdOf(identity: PhoneIdentity): string {
  return identity.ecid !== undefined ? ecidKey(identity.ecid) : (identity.udid ?? '');
}

/** A registry phone id as people read it. */
export function shownPhoneId(phoneId: string, show: boolean): string {
  const raw = rawIdOf(identityOfPhoneId(phoneId));
  return show ? raw : maskPhoneId(raw);
}

export function shownUdid(udid: string, show: boolean): string {
  return show ? udid : maskPhoneId(udid);
}

/** A phone for `--json`: the opaque id in place of the ECID/UDID; the raw one only when asked. */
export function phoneForJson(phone: Phone, show: boolean): Phone & { ecid?: string; udid?: string } {
  const identity = identityOfPhoneId(phone.id);
  const raw = identity.ecid !== undefined ? { ecid: ecidKey(identity.ecid) } : identity.udid !== undefined ? { udid: identity.udid } : {};
  return { ...phone, id: publicIdOfPhone(phone.id), ...(show ? raw : {}) };
}

/** A backup (listing or result) for `--json`: `phoneId` in place of the UDID; the UDID only when asked. */
export function backupForJson<T extends BackupSummary | BackupResult>(
  backup: T,
  show: boolean,
): Omit<T, 'udid'> & { phoneId: string; udid?: string } {
  const { udid, ...rest } = backup;
  return { ...rest, phoneId: publicPhoneId({ udid }), ...(show ? { udid } : {}) };
}

/**
 * Whether `--phone VALUE` names the phone with this identity: its `--json` id, its whole ECID / UDID, or the masked
 * form as printed ("…3F2A1C", "...3F2A1C" or just "3F2A1C"; any last four or more characters), case-insensitively.
 */
export function namesPhone(identity: PhoneIdentity, wanted: string): boolean {
  const value = wanted.trim();
  if (isPublicPhoneId(value.toLowerCase())) return publicPhoneId(identity) === value.toLowerCase();
  const needle = value.replace(/^(…|\.\.\.)/, '').toUpperCase();
  const raw = rawIdOf(identity).toUpperCase();
  return needle.length > 0 && (raw === needle || (needle.length >= 4 && raw.endsWith(needle)));
}

/** The phones `--phone VALUE` names (see namesPhone; the registry's own id is accepted too). */
export function phonesMatching(phones: Phone[], wanted: string): Phone[] {
  return phones.filter((p) => p.id.toUpperCase() === wanted.trim().toUpperCase() || namesPhone(identityOfPhoneId(p.id), wanted));
}
