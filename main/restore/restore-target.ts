/**
 * Which phone a restore is for: one in DFU or recovery mode on the USB bus (by its ECID), or one running iOS that the
 * registry knows by ECID with its model (it is moved to recovery mode by lockdown first). Chosen by the registry's
 * phone id or the ECID, else the only one connected.
 */
import { ProblemError } from '../../common/api';
import type { Phone } from '../../common/phone';
import { ecidKey } from '../devices/phone-views';
import { listIrecvDevices } from '../irecv/irecv-discovery';
import type { UsbBus } from '../usb/usb-bus';

export type RestorePhone = {
  /** The registry's id (the ECID as 16 hex digits): the same in every mode. */
  phoneId: string;
  ecid: bigint;
  mode: 'normal' | 'recovery' | 'dfu';
  model: { name: string; productType: string; boardConfig: string; cpid: number; bdid: number };
  /** The name the person gave the phone, when it runs iOS and said it. */
  deviceName: string | null;
};

const ECID_ID = /^[0-9A-F]{16}$/;

/** Phones running iOS that can be restored: identified, trusted enough to tell their ECID, model known. */
function normalModePhones(phones: readonly Phone[]): RestorePhone[] {
  const found: RestorePhone[] = [];
  for (const phone of phones) {
    const { productType, boardConfig, cpid, bdid } = phone.model;
    if (!phone.connected || phone.identifying || phone.mode !== 'normal' || !ECID_ID.test(phone.id)) continue;
    if (productType === null || boardConfig === null || cpid === null || bdid === null) continue;
    found.push({
      phoneId: phone.id,
      ecid: BigInt(`0x${phone.id}`),
      mode: 'normal',
      model: { name: phone.model.name, productType, boardConfig, cpid, bdid },
      deviceName: phone.deviceName,
    });
  }
  return found;
}

/**
 * Every restore goes through recovery/DFU over USB: when this computer's USB status says it cannot be used (no USB
 * subsystem, no permission, no driver) and no phone was seen on it, that — with its fix — is what to say, not "no phone".
 */
export function refuseBlockedUsb(bus: UsbBus): void {
  const status = bus.status();
  if (status.state === 'unavailable') throw new ProblemError('usb-blocked', { hostDetail: status.detail, hostFix: status.fix });
}

export async function findRestorePhone(
  bus: UsbBus,
  phones: readonly Phone[],
  wanted: { phoneId?: string; ecid?: bigint },
): Promise<RestorePhone> {
  // Listing first: a bus learns it lacks permission when it tries to read a phone's serial string.
  const onUsb = (await listIrecvDevices(bus)).filter(({ info }) => info.mode === 'dfu' || info.mode === 'recovery');
  if (onUsb.length === 0) refuseBlockedUsb(bus);
  const matchesWanted = (ecid: bigint | undefined): boolean =>
    (wanted.ecid === undefined || ecid === wanted.ecid) &&
    (wanted.phoneId === undefined || (ecid !== undefined && ecidKey(ecid) === wanted.phoneId));
  const usbMatches = onUsb.filter(({ info }) => matchesWanted(info.ecid));
  // A malformed identity field in the serial string: that phone is never restored (common/phone-identity.ts).
  const unidentified =
    usbMatches.length === 1
      ? usbMatches[0]
      : usbMatches.length === 0 && wanted.phoneId === undefined
        ? onUsb.find(({ info }) => info.invalidIdentity !== undefined)
        : undefined;
  if (unidentified?.info.invalidIdentity !== undefined)
    throw new ProblemError('phone-invalid-identity', undefined, { cause: new Error(unidentified.info.invalidIdentity) });
  const candidates: RestorePhone[] = [];
  for (const { info } of usbMatches) {
    const model = info.model;
    if (info.ecid === undefined || !model) continue;
    candidates.push({
      phoneId: ecidKey(info.ecid),
      ecid: info.ecid,
      mode: info.mode === 'dfu' ? 'dfu' : 'recovery',
      model: { name: model.name, productType: model.productType, boardConfig: model.boardConfig, cpid: model.cpid, bdid: model.bdid ?? 0 },
      deviceName: null,
    });
  }
  for (const phone of normalModePhones(phones)) {
    if (matchesWanted(phone.ecid) && !candidates.some((c) => c.ecid === phone.ecid)) candidates.push(phone);
  }
  const described = wanted.phoneId ?? (wanted.ecid !== undefined ? wanted.ecid.toString(16) : undefined);
  const params = described !== undefined ? { wanted: described } : undefined;
  if (candidates.length === 1) return candidates[0]!;
  throw new ProblemError(candidates.length > 1 ? 'restore-which-phone' : 'restore-no-phone', params);
}
