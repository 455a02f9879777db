/**
 * The IMG4 AP request to Apple's signing server (docs/protocols/tss.md#request-skeleton, docs/protocols/tss.md#ap-request, docs/protocols/tss.md#worked-example),
 * built from a BuildManifest identity and what the phone reports in DFU / recovery.
 */
import { randomUUID } from 'node:crypto';
import type { BuildIdentity } from '../ipsw/build-manifest';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';

export type ApTicketParameters = {
  ecid: bigint;
  apNonce: Uint8Array;
  sepNonce?: Uint8Array;
  /** Fused production / security mode: CPFM bits 1 and 0 (docs/protocols/irecv.md#serial-string); true on every retail phone. */
  productionMode?: boolean;
  securityMode?: boolean;
  uuid?: string;
};

/** docs/protocols/tss.md#ap-request: never part of the AP request. */
const SKIPPED_COMPONENTS: ReadonlySet<string> = new Set(['BasebandFirmware', 'SE,UpdatePayload', 'BaseSystem', 'Diags', 'Ap,ExclaveOS']);

/** docs/protocols/firmware.md#buildmanifest / docs/protocols/tss.md#ap-request: identity keys copied into the request when present. */
const COPIED_IDENTITY_KEYS = [
  'Ap,OSLongVersion',
  'Ap,OSReleaseType',
  'Ap,ProductMarketingVersion',
  'Ap,ProductType',
  'Ap,SDKPlatform',
  'Ap,Target',
  'Ap,TargetType',
  'Ap,Timestamp',
  'NeRDEpoch',
  'PearlCertificationRootPub',
] as const;

const VERSION_INFO = 'libauthinstall-1104.0.9';

function needNumber(value: number | null, what: string): number {
  if (value === null) throw new Error(`the build identity has no ${what}`);
  return value;
}

/** docs/protocols/tss.md#request-rules, conditions: key → request parameter. Unknown condition or missing parameter = no match. */
function conditionHolds(condition: string, expected: PlistValue, parameters: Record<string, boolean | undefined>): boolean {
  const parameter: Record<string, string> = {
    ApRawProductionMode: 'ApProductionMode',
    ApCurrentProductionMode: 'ApProductionMode',
    ApRawSecurityMode: 'ApSecurityMode',
    ApRequiresImage4: 'ApSupportsImg4',
    ApDemotionPolicyOverride: 'DemotionPolicy',
    ApInRomDFU: 'ApInRomDFU',
  };
  const name = parameter[condition];
  if (!name) return false;
  const actual = parameters[name];
  return actual !== undefined && actual === expected;
}

/** Applies RestoreRequestRules to one entry; returns false when no rule fired. */
export function applyRestoreRequestRules(
  entry: PlistDict,
  rules: PlistValue | undefined,
  parameters: Record<string, boolean | undefined>,
): boolean {
  if (!Array.isArray(rules)) return false;
  let fired = false;
  for (const rule of rules.slice(0, 64)) {
    if (!isPlistDict(rule) || !isPlistDict(rule.Conditions) || !isPlistDict(rule.Actions)) continue;
    const conditions = Object.entries(rule.Conditions);
    if (!conditions.every(([key, value]) => conditionHolds(key, value, parameters))) continue;
    for (const [key, value] of Object.entries(rule.Actions)) if (typeof value === 'boolean') entry[key] = value;
    fired = true;
  }
  return fired;
}

export function buildApTicketRequest(identity: BuildIdentity, phone: ApTicketParameters): PlistDict {
  const productionMode = phone.productionMode ?? true;
  const securityMode = phone.securityMode ?? true;
  const raw = identity.raw;
  const request: PlistDict = {
    '@HostPlatformInfo': process.platform === 'win32' ? 'windows' : 'mac',
    '@VersionInfo': VERSION_INFO,
    '@UUID': (phone.uuid ?? randomUUID()).toUpperCase(),
    '@ApImg4Ticket': true,
    ApECID: phone.ecid,
    ApChipID: needNumber(identity.apChipId, 'ApChipID'),
    ApBoardID: needNumber(identity.apBoardId, 'ApBoardID'),
    ApSecurityDomain: needNumber(identity.apSecurityDomain, 'ApSecurityDomain'),
    ApNonce: Buffer.from(phone.apNonce),
    ApProductionMode: productionMode,
    ApSecurityMode: securityMode,
  };
  if (identity.uniqueBuildId) request.UniqueBuildID = identity.uniqueBuildId;
  if (phone.sepNonce) request.SepNonce = Buffer.from(phone.sepNonce);
  for (const key of COPIED_IDENTITY_KEYS) {
    const value = raw[key];
    if (value !== undefined) request[key] = value;
  }
  if (raw.NeRDEpoch !== undefined) {
    request.AllowNeRDBoot = Buffer.alloc(0);
    request.PermitNeRDPivot = Buffer.alloc(0);
  }
  const info = isPlistDict(raw.Info) ? raw.Info : {};
  if (info.RequiresUIDMode === true) {
    request.UID_MODE = false;
    request['Ap,SikaFuse'] = 0;
  }
  const parameters = {
    ApProductionMode: productionMode,
    ApSecurityMode: securityMode,
    ApSupportsImg4: true,
    ApInRomDFU: undefined,
    DemotionPolicy: undefined,
  };
  const manifest = isPlistDict(raw.Manifest) ? raw.Manifest : {};
  for (const [name, value] of Object.entries(manifest)) {
    if (SKIPPED_COMPONENTS.has(name) || !isPlistDict(value)) continue;
    const componentInfo = isPlistDict(value.Info) ? value.Info : {};
    if (componentInfo.IsFTAB === true) continue;
    const rules = componentInfo.RestoreRequestRules;
    if (value.Trusted !== true && !Array.isArray(rules)) continue;
    const entry: PlistDict = {};
    for (const [key, field] of Object.entries(value)) if (key !== 'Info') entry[key] = field;
    if (!applyRestoreRequestRules(entry, rules, parameters)) {
      entry.EPRO = productionMode;
      entry.ESEC = securityMode;
    }
    if (value.Trusted === true && entry.Digest === undefined) entry.Digest = Buffer.alloc(0);
    request[name] = entry;
  }
  return request;
}
