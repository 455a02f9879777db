/**
 * The baseband request to the signing server (docs/protocols/baseband.md#tss-request): the phone's modem values as
 * restored reports them in its BasebandData request, the build identity's Bb* key hashes and its BasebandFirmware
 * component without Info.
 */
import { randomUUID } from 'node:crypto';
import type { BuildIdentity } from '../ipsw/build-manifest';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { TssError } from './tss-error';

/** What restored's BasebandData request says about the modem (docs/protocols/baseband.md#the-phones-request). */
export type BasebandTicketParameters = {
  ecid: bigint;
  bbChipId: number;
  bbGoldCertId: number;
  bbSnum: Uint8Array;
  /** Absent on the first request of a restore. */
  bbNonce?: Uint8Array;
  uuid?: string;
};

/** docs/protocols/baseband.md#tss-request: identity keys copied as data when present. */
const KEY_HASHES = [
  'BbProvisioningManifestKeyHash',
  'BbActivationManifestKeyHash',
  'BbCalibrationManifestKeyHash',
  'BbFactoryActivationManifestKeyHash',
  'BbFDRSecurityKeyHash',
  'BbSkeyId',
] as const;

/** docs/protocols/baseband.md#tss-request: for BbChipID 0x68 one PSI digest pair is dropped, chosen by the gold certificate. */
const PSI2_CERT_IDS: ReadonlySet<number> = new Set([0x26f3facc, 0x5cf2ec4e, 0x8399785a]);

const VERSION_INFO = 'libauthinstall-1104.0.9';

function uintOf(value: PlistValue | undefined): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (typeof value === 'string' && /^(0x)?[0-9a-f]{1,12}$/i.test(value)) return Number.parseInt(value.replace(/^0x/i, ''), 16);
  return null;
}

function manifestOf(identity: BuildIdentity): PlistDict {
  return isPlistDict(identity.raw.Manifest) ? identity.raw.Manifest : {};
}

/** docs/protocols/baseband.md#which-phones-have-one: no BasebandFirmware component = no modem to update. */
export function identityHasBaseband(identity: BuildIdentity): boolean {
  return isPlistDict(manifestOf(identity).BasebandFirmware);
}

/** The identity's BbChipID (its hex string or integer), or null. */
export function identityBbChipId(identity: BuildIdentity): number | null {
  return uintOf(identity.raw.BbChipID);
}

function need(value: number | null, what: string): number {
  if (value === null) throw new TssError(`The build identity has no ${what}`, 'malformed-request');
  return value;
}

export function buildBasebandTicketRequest(identity: BuildIdentity, phone: BasebandTicketParameters): PlistDict {
  const component = manifestOf(identity).BasebandFirmware;
  if (!isPlistDict(component)) throw new TssError('This firmware has no baseband component (BasebandFirmware)', 'malformed-request');
  if (phone.bbSnum.byteLength === 0) throw new TssError('The phone reported no baseband serial number (BbSNUM)', 'malformed-request');
  // The identity's value wins, like libtatsu's parameter merge; a phone whose modem differs is caught by the caller.
  const bbChipId = identityBbChipId(identity) ?? phone.bbChipId;
  const request: PlistDict = {
    '@HostPlatformInfo': process.platform === 'win32' ? 'windows' : 'mac',
    '@VersionInfo': VERSION_INFO,
    '@UUID': (phone.uuid ?? randomUUID()).toUpperCase(),
    '@BBTicket': true,
    ApECID: phone.ecid,
    ApChipID: need(identity.apChipId, 'ApChipID'),
    ApBoardID: need(identity.apBoardId, 'ApBoardID'),
    ApSecurityDomain: need(identity.apSecurityDomain, 'ApSecurityDomain'),
    BbChipID: bbChipId,
    BbGoldCertId: phone.bbGoldCertId,
    BbSNUM: Buffer.from(phone.bbSnum),
  };
  if (identity.uniqueBuildId) request.UniqueBuildID = identity.uniqueBuildId;
  for (const key of KEY_HASHES) {
    const value = identity.raw[key];
    if (value instanceof Uint8Array) request[key] = Buffer.from(value);
  }
  if (phone.bbNonce) request.BbNonce = Buffer.from(phone.bbNonce);
  const firmware: PlistDict = {};
  for (const [key, value] of Object.entries(component)) if (key !== 'Info') firmware[key] = value;
  if (bbChipId === 0x68) {
    const drop = PSI2_CERT_IDS.has(phone.bbGoldCertId)
      ? ['PSI2-PartialDigest', 'RestorePSI2-PartialDigest']
      : ['PSI-PartialDigest', 'RestorePSI-PartialDigest'];
    for (const key of drop) delete firmware[key];
  }
  request.BasebandFirmware = firmware;
  const info = isPlistDict(identity.raw.Info) ? identity.raw.Info : {};
  if (info.FDRSupport === true) {
    request.ApProductionMode = true;
    request.ApSecurityMode = true;
  }
  return request;
}
