/**
 * Coprocessor requests to the signing server (docs/protocols/tss.md#coprocessor-requests): what restored's
 * FirmwareUpdaterData says about the chip (`MessageArgInfo`) merged over the build identity's values, shaped into the
 * request each updater family needs. Only the keys each family names are taken from the phone, each type-checked and
 * bounded; the phone's `DeviceGeneratedRequest` is applied last, as overrides.
 */
import { randomUUID } from 'node:crypto';
import type { BuildIdentity } from '../ipsw/build-manifest';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { TssError } from './tss-error';

const VERSION_INFO = 'libauthinstall-1104.0.9';
/** The largest identifier, nonce or key hash a chip reports. */
export const MAX_CHIP_VALUE_BYTES = 256;
const MAX_OVERRIDES = 32;

export type CoprocessorFamily = 'SE' | 'Savage';

/** The request and the manifest component whose bytes the phone may also want (FirmwareData). */
export type CoprocessorTicketRequest = { family: CoprocessorFamily; request: PlistDict; component: string; ticketKey: string };

const malformed = (why: string): TssError => new TssError(`The phone's coprocessor request ${why}`, 'malformed-request');

function manifestOf(identity: BuildIdentity): PlistDict {
  return isPlistDict(identity.raw.Manifest) ? identity.raw.Manifest : {};
}

function uintOf(value: PlistValue | undefined): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (typeof value === 'string' && /^0x[0-9a-f]{1,12}$/i.test(value)) return Number.parseInt(value.slice(2), 16);
  return null;
}

function needUint(source: PlistDict, key: string): number {
  const value = uintOf(source[key]);
  if (value === null) throw malformed(`has no usable ${key}`);
  return value;
}

function needData(source: PlistDict, key: string): Buffer {
  const value = source[key];
  if (!(value instanceof Uint8Array) || value.byteLength === 0 || value.byteLength > MAX_CHIP_VALUE_BYTES)
    throw malformed(`has no usable ${key}`);
  return Buffer.from(value);
}

function needBool(source: PlistDict, key: string): boolean {
  const value = source[key];
  if (typeof value !== 'boolean') throw malformed(`has no ${key} flag`);
  return value;
}

/** Identity values first, the chip's own report over them (what libtatsu's parameter merge does). */
function parametersOf(identity: BuildIdentity, info: PlistDict, keys: readonly string[]): PlistDict {
  const parameters: PlistDict = {};
  for (const key of keys) {
    const value = info[key] ?? identity.raw[key];
    if (value !== undefined) parameters[key] = value;
  }
  return parameters;
}

function skeleton(uuid?: string): PlistDict {
  return {
    '@HostPlatformInfo': process.platform === 'win32' ? 'windows' : 'mac',
    '@VersionInfo': VERSION_INFO,
    '@UUID': (uuid ?? randomUUID()).toUpperCase(),
    '@BBTicket': true,
  };
}

/** The phone's overrides: `@…` tags and chip values only, never a manifest entry or an AP value. */
function applyOverrides(request: PlistDict, overrides: PlistDict | undefined, family: CoprocessorFamily): void {
  if (!overrides) return;
  const entries = Object.entries(overrides);
  if (entries.length > MAX_OVERRIDES) throw malformed('has too many DeviceGeneratedRequest entries');
  for (const [key, value] of entries) {
    const allowed = (key.startsWith('@') && typeof value === 'boolean') || key.startsWith(`${family},`);
    if (!allowed || isPlistDict(value) || Array.isArray(value))
      throw malformed(`overrides ${JSON.stringify(key.slice(0, 40))}, which it may not`);
    if (value instanceof Uint8Array && value.byteLength > MAX_CHIP_VALUE_BYTES) throw malformed(`overrides ${key} with too many bytes`);
    request[key] = value;
  }
}

function entryWithoutInfo(entry: PlistValue | undefined, name: string): PlistDict {
  if (!isPlistDict(entry)) throw new TssError(`The build identity has no ${name}`, 'malformed-request');
  const copy: PlistDict = {};
  for (const [key, value] of Object.entries(entry)) if (key !== 'Info') copy[key] = value;
  return copy;
}

const SE_KEYS = ['SE,ChipID', 'SE,ID', 'SE,Nonce', 'SE,RootKeyIdentifier', 'SE,IsDev'] as const;
/** SE chips whose firmware is the `SE,UpdatePayload` component; 0x20211 takes `SE,Firmware`. */
const SE_UPDATE_PAYLOAD_CHIPS: ReadonlySet<number> = new Set([0x73, 0x64, 0xc8, 0xd2, 0x2c, 0x36, 0x37]);

/** docs/protocols/tss.md#coprocessor-requests (SE): the secure element's ids and nonce, every `SE,*` manifest entry. */
export function buildSeTicketRequest(
  identity: BuildIdentity,
  info: PlistDict,
  overrides?: PlistDict,
  uuid?: string,
): CoprocessorTicketRequest {
  const parameters = parametersOf(identity, info, SE_KEYS);
  const chipId = needUint(parameters, 'SE,ChipID');
  const request = skeleton(uuid);
  request['SE,ChipID'] = chipId;
  for (const key of ['SE,ID', 'SE,Nonce', 'SE,RootKeyIdentifier'] as const) request[key] = needData(parameters, key);
  const development = parameters['SE,IsDev'] === true;
  const manifest = manifestOf(identity);
  for (const [name, entry] of Object.entries(manifest)) {
    if (!name.startsWith('SE,')) continue;
    const copy = entryWithoutInfo(entry, name);
    // The chip is fused for one signing world: the other world's hashes stay out.
    for (const key of development ? ['ProductionCMAC', 'ProductionUpdatePayloadHash'] : ['DevelopmentCMAC', 'DevelopmentUpdatePayloadHash'])
      delete copy[key];
    request[name] = copy;
  }
  applyOverrides(request, overrides, 'SE');
  if (request['@SE2,Ticket'] === undefined && request['@SE,Ticket'] === undefined) request['@SE,Ticket'] = true;
  const component =
    chipId === 0x20211
      ? 'SE,Firmware'
      : SE_UPDATE_PAYLOAD_CHIPS.has(chipId)
        ? 'SE,UpdatePayload'
        : isPlistDict(manifest['SE,UpdatePayload'])
          ? 'SE,UpdatePayload'
          : 'SE,Firmware';
  if (!isPlistDict(manifest[component]))
    throw new TssError(`The build identity has no ${component} for this secure element`, 'malformed-request');
  return { family: 'SE', request, component, ticketKey: request['@SE2,Ticket'] === true ? 'SE2,Ticket' : 'SE,Ticket' };
}

const SAVAGE_KEYS = [
  'Savage,ChipID',
  'Savage,PatchEpoch',
  'Savage,UID',
  'Savage,Nonce',
  'Savage,ProductionMode',
  'Savage,ReadECKey',
  'Savage,ReadFWKey',
  'Savage,AllowOfflineBoot',
  'Savage,Revision',
] as const;

/** docs/protocols/tss.md#coprocessor-requests (Savage): the patch for this revision and signing world. */
export function savagePatchComponent(production: boolean, revision: Uint8Array | undefined): string {
  const world = production ? 'Prod' : 'Dev';
  const first = revision && revision.byteLength > 0 ? revision[0]! : null;
  if (first !== null && ((first | 0x10) & 0xf0) === 0x30) return `Savage,B2-${world}-Patch`;
  if (first !== null && (first & 0xf0) === 0xa0) return `Savage,BA-${world}-Patch`;
  return `Savage,B0-${world}-Patch`;
}

/** docs/protocols/tss.md#coprocessor-requests (Savage): the Face ID chip's ids, nonce and modes, SEP's digest, one patch. */
export function buildSavageTicketRequest(
  identity: BuildIdentity,
  info: PlistDict,
  overrides?: PlistDict,
  uuid?: string,
): CoprocessorTicketRequest {
  const parameters = parametersOf(identity, info, SAVAGE_KEYS);
  const manifest = manifestOf(identity);
  const request = skeleton(uuid);
  request['@Savage,Ticket'] = true;
  request['Savage,UID'] = needData(parameters, 'Savage,UID');
  const sep = isPlistDict(manifest.SEP) ? manifest.SEP.Digest : undefined;
  if (!(sep instanceof Uint8Array)) throw new TssError('The build identity has no SEP digest for the Face ID chip', 'malformed-request');
  request.SEP = { Digest: Buffer.from(sep) };
  request['Savage,PatchEpoch'] = needUint(parameters, 'Savage,PatchEpoch');
  request['Savage,ChipID'] = needUint(parameters, 'Savage,ChipID');
  for (const key of ['Savage,AllowOfflineBoot', 'Savage,ReadFWKey', 'Savage,ProductionMode'] as const)
    request[key] = needBool(parameters, key);
  const revision = parameters['Savage,Revision'];
  if (revision !== undefined && (!(revision instanceof Uint8Array) || revision.byteLength > MAX_CHIP_VALUE_BYTES))
    throw malformed('has an unusable Savage,Revision');
  const component = savagePatchComponent(request['Savage,ProductionMode'] === true, revision);
  request[component] = entryWithoutInfo(manifest[component], component);
  request['Savage,Nonce'] = needData(parameters, 'Savage,Nonce');
  request['Savage,ReadECKey'] = needBool(parameters, 'Savage,ReadECKey');
  applyOverrides(request, overrides, 'Savage');
  return { family: 'Savage', request, component, ticketKey: 'Savage,Ticket' };
}
