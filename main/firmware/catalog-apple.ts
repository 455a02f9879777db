import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';

/** One restore image Apple's catalog lists for a ProductType (docs/protocols/firmware.md#apple-catalog). */
export type AppleCatalogEntry = {
  productType: string;
  version: string;
  build: string;
  url: string;
  sha1: string | null;
  /** The build `Unknown/Universal/Restore/BuildVersion` points at: Apple's current release. */
  current: boolean;
};

export type AppleCatalogResult = { entries: AppleCatalogEntry[]; warnings: string[] };

const SHA1 = /^[0-9a-f]{40}$/i;

function restoreOf(build: PlistValue | undefined): PlistDict | null {
  return isPlistDict(build) && isPlistDict(build.Restore) ? build.Restore : null;
}

/** docs/protocols/firmware.md#apple-catalog: follow SameAs, then Update.BuildVersion, to the dictionary whose Restore names the firmware (bounded hops). */
function resolveBuild(versions: PlistDict, build: string): PlistDict | null {
  let current = versions[build];
  const seen = new Set<string>([build]);
  for (let hop = 0; hop < 8 && isPlistDict(current); hop++) {
    const next =
      typeof current.SameAs === 'string'
        ? current.SameAs
        : isPlistDict(current.Update) && typeof current.Update.BuildVersion === 'string'
          ? current.Update.BuildVersion
          : null;
    if (next === null || seen.has(next) || !isPlistDict(versions[next])) break;
    seen.add(next);
    current = versions[next];
  }
  return isPlistDict(current) ? current : null;
}

/**
 * Apple's version.xml → the restore images for one ProductType. Uses the highest schema key that lists the
 * product; skips `protected://` URLs and entries missing fields (each noted in `warnings`).
 */
export function parseAppleCatalog(plist: PlistValue, productType: string): AppleCatalogResult {
  const warnings: string[] = [];
  const byVersion = isPlistDict(plist) ? plist.MobileDeviceSoftwareVersionsByVersion : undefined;
  if (!isPlistDict(byVersion)) return { entries: [], warnings: ['Apple’s catalog has no MobileDeviceSoftwareVersionsByVersion.'] };
  const schemas = Object.keys(byVersion)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(b) - Number(a));
  let versions: PlistDict | null = null;
  for (const schema of schemas) {
    const table = byVersion[schema];
    const candidate =
      isPlistDict(table) && isPlistDict(table.MobileDeviceSoftwareVersions) ? table.MobileDeviceSoftwareVersions[productType] : undefined;
    if (isPlistDict(candidate)) {
      versions = candidate;
      break;
    }
  }
  if (!versions) return { entries: [], warnings: [`Apple’s catalog does not list ${productType}.`] };

  const universal = isPlistDict(versions.Unknown) && isPlistDict(versions.Unknown.Universal) ? restoreOf(versions.Unknown.Universal) : null;
  const currentBuild = typeof universal?.BuildVersion === 'string' ? universal.BuildVersion : null;

  const entries = new Map<string, AppleCatalogEntry>();
  for (const key of Object.keys(versions)) {
    if (key === 'Unknown') continue;
    const restore = restoreOf(resolveBuild(versions, key) ?? undefined);
    if (!restore) continue;
    const { BuildVersion: build, ProductVersion: version, FirmwareURL: url, FirmwareSHA1: sha1 } = restore;
    if (typeof build !== 'string' || typeof version !== 'string' || typeof url !== 'string') {
      warnings.push(`Apple’s catalog entry ${key} for ${productType} lacks a build, version or URL; skipped.`);
      continue;
    }
    if (url.startsWith('protected://')) continue;
    if (!/^https?:\/\//.test(url)) {
      warnings.push(`Apple’s catalog entry ${build} has an unusable URL; skipped.`);
      continue;
    }
    if (entries.has(build)) continue;
    const hash = typeof sha1 === 'string' && SHA1.test(sha1) ? sha1.toLowerCase() : null;
    if (typeof sha1 === 'string' && !hash)
      warnings.push(`Apple’s catalog entry ${build} has a malformed SHA-1; it will be checked against other sources only.`);
    entries.set(build, { productType, version, build, url, sha1: hash, current: build === currentBuild });
  }
  return { entries: [...entries.values()], warnings };
}
