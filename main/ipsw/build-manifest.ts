import { ProblemError } from '../../common/api';
import { decodePlist } from '../plist/plist-codec';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import type { IpswArchive } from './ipsw-reader';

/** docs/protocols/firmware.md#buildmanifest: one `Manifest.<Component>` of a build identity. */
export type BuildComponent = {
  name: string;
  /** null for manifest-only placeholders (ftap, rfta…). */
  path: string | null;
  digest: Buffer | null;
  trusted: boolean;
  /** Boolean `Info` flags as given (IsFirmwarePayload, IsLoadedByiBoot, Personalize…). */
  flags: Record<string, boolean>;
};

export type RestoreBehavior = 'Erase' | 'Update';

/** docs/protocols/firmware.md#buildmanifest: one BuildIdentity, typed. */
export type BuildIdentity = {
  apChipId: number | null;
  apBoardId: number | null;
  apSecurityDomain: number | null;
  uniqueBuildId: Buffer | null;
  /** board config, lower-case (`n51ap`). */
  deviceClass: string;
  variant: string;
  restoreBehavior: string | null;
  components: BuildComponent[];
  /** Every other top-level key, for the TSS request builder later. */
  raw: PlistDict;
};

export type BuildManifest = {
  productVersion: string;
  productBuildVersion: string;
  /** Leading integer of the build (`16H81` → 16); many restore branches key on it. */
  buildMajor: number;
  supportedProductTypes: string[];
  identities: BuildIdentity[];
};

export const MAX_BUILD_MANIFEST_BYTES = 32 * 1024 * 1024;

/** `detail` is for the log (the error's cause); people read the catalog's words. */
function manifestProblem(detail: string, file?: string): ProblemError {
  return new ProblemError('build-manifest-invalid', file !== undefined ? { file } : undefined, { cause: new Error(detail) });
}

const hexNumber = (value: PlistValue | undefined): number | null => {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !/^(0x)?[0-9a-f]{1,16}$/i.test(value)) return null;
  const parsed = Number.parseInt(value.replace(/^0x/i, ''), 16);
  return Number.isSafeInteger(parsed) ? parsed : null;
};
const text = (value: PlistValue | undefined): string | null => (typeof value === 'string' ? value : null);
const bytes = (value: PlistValue | undefined): Buffer | null => (value instanceof Uint8Array ? Buffer.from(value) : null);

function parseComponent(name: string, value: PlistValue): BuildComponent | null {
  if (!isPlistDict(value)) return null;
  const info = isPlistDict(value.Info) ? value.Info : {};
  const flags: Record<string, boolean> = {};
  for (const [key, flag] of Object.entries(info)) if (typeof flag === 'boolean') flags[key] = flag;
  const path = text(info.Path);
  if (path !== null && (path.startsWith('/') || path.split('/').includes('..') || path.includes('\0'))) {
    throw manifestProblem(`component ${name} points outside the firmware file (${JSON.stringify(path)})`);
  }
  return { name, path, digest: bytes(value.Digest), trusted: value.Trusted === true, flags };
}

function parseIdentity(value: PlistValue, index: number): BuildIdentity {
  if (!isPlistDict(value)) throw manifestProblem(`build identity ${index} is not a dictionary`);
  const info = isPlistDict(value.Info) ? value.Info : null;
  const deviceClass = text(info?.DeviceClass);
  if (!info || !deviceClass) throw manifestProblem(`build identity ${index} has no Info.DeviceClass`);
  const components: BuildComponent[] = [];
  if (isPlistDict(value.Manifest)) {
    for (const [name, component] of Object.entries(value.Manifest)) {
      const parsed = parseComponent(name, component);
      if (parsed) components.push(parsed);
    }
  }
  return {
    apChipId: hexNumber(value.ApChipID),
    apBoardId: hexNumber(value.ApBoardID),
    apSecurityDomain: hexNumber(value.ApSecurityDomain),
    uniqueBuildId: bytes(value.UniqueBuildID),
    deviceClass: deviceClass.toLowerCase(),
    variant: text(info.Variant) ?? '',
    restoreBehavior: text(info.RestoreBehavior),
    components,
    raw: value,
  };
}

export function parseBuildManifest(plist: PlistValue): BuildManifest {
  if (!isPlistDict(plist)) throw manifestProblem('BuildManifest.plist is not a dictionary');
  const identities = plist.BuildIdentities;
  if (!Array.isArray(identities) || identities.length === 0) throw manifestProblem('BuildManifest.plist has no BuildIdentities');
  const productBuildVersion = text(plist.ProductBuildVersion);
  const productVersion = text(plist.ProductVersion);
  if (!productBuildVersion || !productVersion) throw manifestProblem('BuildManifest.plist has no ProductVersion / ProductBuildVersion');
  const types = Array.isArray(plist.SupportedProductTypes)
    ? plist.SupportedProductTypes.filter((t): t is string => typeof t === 'string')
    : [];
  return {
    productVersion,
    productBuildVersion,
    buildMajor: Number.parseInt(productBuildVersion, 10) || 0,
    supportedProductTypes: types,
    identities: identities.map(parseIdentity),
  };
}

export function decodeBuildManifest(data: Uint8Array): BuildManifest {
  let plist: PlistValue;
  try {
    plist = decodePlist(data, { maxBytes: MAX_BUILD_MANIFEST_BYTES });
  } catch (error) {
    throw manifestProblem(`BuildManifest.plist is not a valid plist (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseBuildManifest(plist);
}

export async function readBuildManifest(archive: IpswArchive): Promise<BuildManifest> {
  const name = archive.has('BuildManifest.plist') ? 'BuildManifest.plist' : null;
  if (!name) throw manifestProblem(`${archive.path} has no BuildManifest.plist`);
  return decodeBuildManifest(await archive.readSmall(name, MAX_BUILD_MANIFEST_BYTES));
}

/**
 * docs/protocols/firmware.md#identity-selection: the board must match (case-insensitive); Erase wants a variant
 * containing "Erase Install (IPSW)", Update "Upgrade Install (IPSW)", never "Research"; Update falls back to the
 * board's first identity. Returns null when the manifest has nothing for this board.
 */
export function selectIdentity(manifest: BuildManifest, boardConfig: string, behavior: RestoreBehavior): BuildIdentity | null {
  const board = boardConfig.toLowerCase();
  const forBoard = manifest.identities.filter((identity) => identity.deviceClass === board);
  const wanted = behavior === 'Erase' ? 'Erase Install (IPSW)' : 'Upgrade Install (IPSW)';
  const match = forBoard.find((identity) => identity.variant.includes(wanted) && !identity.variant.includes('Research'));
  if (match) return match;
  return behavior === 'Update' ? (forBoard[0] ?? null) : null;
}

export type FitCheck = { identity: BuildIdentity; manifest: BuildManifest };

/** The checks before anything else (docs/protocols/firmware.md#identity-selection): product type supported, an Erase identity for the board, every component present. */
export function checkFitsPhone(manifest: BuildManifest, archive: IpswArchive, productType: string, boardConfig: string): FitCheck {
  const firmware = { productType, version: manifest.productVersion, build: manifest.productBuildVersion };
  if (manifest.supportedProductTypes.length > 0 && !manifest.supportedProductTypes.includes(productType)) {
    throw new ProblemError('ipsw-wrong-phone', { ...firmware, fitsModels: manifest.supportedProductTypes });
  }
  const identity = selectIdentity(manifest, boardConfig, 'Erase');
  if (!identity) {
    const boards = [...new Set(manifest.identities.map((i) => i.deviceClass))].join(', ');
    throw new ProblemError(
      'ipsw-wrong-phone',
      { ...firmware, board: boardConfig.toLowerCase() },
      { cause: new Error(`the manifest's boards: ${boards || 'none'}`) },
    );
  }
  const missing = identity.components
    .filter((component) => component.path !== null && !archive.has(component.path))
    .map((c) => `${c.name} (${c.path})`);
  if (missing.length > 0)
    throw manifestProblem(
      `${archive.path} lacks files its manifest needs: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}`,
      archive.path,
    );
  return { identity, manifest };
}
