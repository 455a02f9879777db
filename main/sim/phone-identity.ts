import { createHash } from 'node:crypto';
import type { DeviceModel } from '../../common/device-table';
import { chipUdidOf, normaliseUdid } from '../../common/phone-identity';
import type { Scenario } from './scenario';

/** The stable numbers a phone is known by. Everything not given by the scenario is derived from its seed. */
export type PhoneIdentityValues = {
  udid: string;
  ecid: bigint;
  serialNumber: string;
  imei: string;
  wifiAddress: string;
  bluetoothAddress: string;
};

function digest(seed: string, label: string): Buffer {
  return createHash('sha256').update(`${label}\0${seed}`).digest();
}

/** Apple moved to the "CPID-ECID" UDID with the A12 (iPhone XS, 2018): the restore scripts tell the generations apart by it. */
export function usesChipUdid(model: DeviceModel): boolean {
  return chipUdidOf(model.cpid, 0n) !== null;
}

function parseEcid(text: string): bigint {
  return text.startsWith('0x') ? BigInt(text) : BigInt(text);
}

const SERIAL_ALPHABET = '0123456789CDFGHJKLMNPQRTVWXY';

function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

function mac(bytes: Buffer): string {
  // Apple OUI prefix keeps the value realistic; the rest comes from the seed.
  return ['f0', '99', 'bf', ...[...bytes.subarray(0, 3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

export function derivePhoneIdentity(scenario: Scenario, model: DeviceModel): PhoneIdentityValues {
  const seed = scenario.seed;
  // 52 bits keeps the ECID a safe integer in plists, like real ECIDs (13–14 hex digits).
  const ecid = scenario.ecid !== undefined ? parseEcid(scenario.ecid) : digest(seed, 'ecid').readBigUInt64BE(0) & 0xf_ffff_ffff_ffffn;
  let udid: string;
  if (scenario.udid !== undefined) udid = normaliseUdid(scenario.udid.replace('-', '')).toUpperCase();
  else udid = chipUdidOf(model.cpid, ecid) ?? createHash('sha1').update(`udid\0${seed}`).digest('hex');
  if (/^[0-9a-fA-F]{40}$/.test(udid)) udid = udid.toLowerCase();
  if (scenario.reportedUdid !== undefined) udid = scenario.reportedUdid;

  const serialBytes = digest(seed, 'serial');
  const serialNumber =
    scenario.serialNumber ?? [...serialBytes.subarray(0, 12)].map((b) => SERIAL_ALPHABET[b % SERIAL_ALPHABET.length]).join('');
  const imeiBody = '35' + [...digest(seed, 'imei').subarray(0, 12)].map((b) => String(b % 10)).join('');
  const imei = scenario.imei ?? `${imeiBody}${luhnCheckDigit(imeiBody)}`;
  return {
    udid,
    ecid,
    serialNumber,
    imei,
    wifiAddress: mac(digest(seed, 'wifi')),
    bluetoothAddress: mac(digest(seed, 'bluetooth')),
  };
}
