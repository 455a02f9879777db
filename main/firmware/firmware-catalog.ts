import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FirmwareEntry, FirmwareList } from '../../common/contract/firmware';
import { compareVersions } from '../../common/ios-version';
import { decodePlist } from '../plist/plist-codec';
import { parseAppleCatalog, type AppleCatalogEntry } from './catalog-apple';
import { parseIpswMeDevice, type IpswMeEntry } from './catalog-ipswme';
import { allowingEndpoints, BYTE_CAPS, networkPolicyFromEnv, secureCatalogUrl, type NetworkPolicy } from '../net/network-policy';
import { httpGetText } from '../net/http-client';
import type { ProxyEnvironment } from '../net/proxy-environment';

export type FirmwareCatalogOptions = {
  /** Apple's version.xml (docs/protocols/firmware.md#apple-catalog). */
  appleUrl: string;
  /** ipsw.me v4 base, e.g. `https://api.ipsw.me/v4`; the device document is `<base>/device/<ProductType>`. */
  ipswmeUrl: string;
  /** Where fetched catalogs are kept (with their age) for offline use. */
  cacheDir: string;
  /** Older than this, a cached catalog is fetched again. */
  maxAgeMs?: number;
  timeoutMs?: number;
  env?: ProxyEnvironment;
  /** By default the allowlist plus the LIFELINE_*_URL hosts (docs/network-policy.md). */
  policy?: NetworkPolicy;
  now?: () => number;
};

export const DEFAULT_APPLE_CATALOG_URL = 'https://s.mzstatic.com/version';
export const DEFAULT_IPSWME_URL = 'https://api.ipsw.me/v4';
const MAX_APPLE_CATALOG_BYTES = BYTE_CAPS.appleCatalog;
const MAX_IPSWME_BYTES = BYTE_CAPS.ipswmeDevice;

type Fetched = { body: Buffer; fetchedAt: number; fromCache: boolean; failed: string | null };

/** The file name a firmware is stored under: the URL's own name when it is a plain .ipsw name, else one we make. */
export function firmwareFileName(entry: Pick<FirmwareEntry, 'url' | 'productType' | 'version' | 'build'>): string {
  let last = '';
  try {
    last = decodeURIComponent(new URL(entry.url).pathname.split('/').pop() ?? '');
  } catch {
    last = '';
  }
  if (/^[A-Za-z0-9._,-]{1,200}\.ipsw$/.test(last) && !last.startsWith('.')) return last;
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9.,-]/g, '_');
  return `${safe(entry.productType)}_${safe(entry.version)}_${safe(entry.build)}_Restore.ipsw`;
}

/**
 * docs/protocols/firmware.md: Apple's catalog (primary: URL, SHA-1, current build) merged with ipsw.me (second opinion on
 * signing; size; SHA-256), per ProductType. Both cached with their age; when the network fails the cache answers.
 */
export class FirmwareCatalog {
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly policy: NetworkPolicy;

  constructor(private readonly options: FirmwareCatalogOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 60 * 60 * 1000;
    this.now = options.now ?? Date.now;
    this.policy =
      options.policy ?? allowingEndpoints(networkPolicyFromEnv(options.env ?? process.env), [options.appleUrl, options.ipswmeUrl]);
  }

  async list(
    productType: string,
    boardConfig: string | null,
    request: { refresh?: boolean; signal?: AbortSignal } = {},
  ): Promise<FirmwareList> {
    const warnings: string[] = [];
    const [apple, ipswme] = await Promise.all([
      this.fetchCached('apple-version.plist', this.options.appleUrl, MAX_APPLE_CATALOG_BYTES, request),
      this.fetchCached(
        `ipswme-${productType.replace(/[^A-Za-z0-9,]/g, '_')}.json`,
        `${this.options.ipswmeUrl.replace(/\/$/, '')}/device/${productType.replace(/[^A-Za-z0-9,]/g, '')}`,
        MAX_IPSWME_BYTES,
        request,
      ),
    ]);

    let appleEntries: AppleCatalogEntry[] = [];
    if (apple.body.length > 0) {
      try {
        const parsed = parseAppleCatalog(
          decodePlist(apple.body, { maxBytes: MAX_APPLE_CATALOG_BYTES, maxObjects: 5_000_000 }),
          productType,
        );
        appleEntries = parsed.entries;
        warnings.push(...parsed.warnings);
      } catch (error) {
        warnings.push(`Apple’s catalog could not be read (${error instanceof Error ? error.message : String(error)}).`);
      }
    }
    let ipswEntries: IpswMeEntry[] = [];
    if (ipswme.body.length > 0) {
      try {
        const parsed = parseIpswMeDevice(JSON.parse(ipswme.body.toString('utf8')), productType);
        ipswEntries = parsed.entries;
        warnings.push(...parsed.warnings);
        if (boardConfig && parsed.boards.length > 0 && !parsed.boards.some((b) => b.boardConfig === boardConfig.toLowerCase())) {
          warnings.push(`ipsw.me does not list board ${boardConfig.toLowerCase()} for ${productType}.`);
        }
      } catch (error) {
        warnings.push(`ipsw.me’s answer could not be read (${error instanceof Error ? error.message : String(error)}).`);
      }
    }
    for (const [name, fetched] of [
      ['Apple’s catalog', apple],
      ['ipsw.me', ipswme],
    ] as const) {
      if (fetched.failed && fetched.fromCache)
        warnings.push(
          `${name} could not be reached (${fetched.failed}); using the copy from ${new Date(fetched.fetchedAt).toISOString()}.`,
        );
      else if (fetched.failed) warnings.push(`${name} could not be reached (${fetched.failed}).`);
    }

    const entries = mergeEntries(appleEntries, ipswEntries, warnings, this.policy);
    const times = [apple, ipswme].filter((f) => f.body.length > 0).map((f) => f.fetchedAt);
    return {
      productType,
      boardConfig: boardConfig?.toLowerCase() ?? null,
      entries,
      latest: pickLatest(entries),
      checkedAt: times.length > 0 ? new Date(Math.min(...times)).toISOString() : null,
      offline: apple.failed !== null && ipswme.failed !== null,
      warnings,
    };
  }

  private async fetchCached(
    name: string,
    url: string,
    maxBytes: number,
    request: { refresh?: boolean; signal?: AbortSignal },
  ): Promise<Fetched> {
    const dir = path.join(this.options.cacheDir, 'catalog');
    const file = path.join(dir, name);
    const cached = await readCache(file);
    if (cached && !request.refresh && this.now() - cached.fetchedAt < this.maxAgeMs) return { ...cached, fromCache: true, failed: null };
    try {
      const body = await httpGetText(url, {
        maxBytes,
        headersTimeoutMs: this.options.timeoutMs ?? 20_000,
        bodyTimeoutMs: (this.options.timeoutMs ?? 20_000) * 3,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(this.options.env ? { env: this.options.env } : {}),
        policy: this.policy,
      });
      const fetchedAt = this.now();
      await mkdir(dir, { recursive: true });
      await writeFile(`${file}.tmp`, body);
      await writeFile(`${file}.meta.json.tmp`, JSON.stringify({ fetchedAt, url }));
      await rename(`${file}.tmp`, file);
      await rename(`${file}.meta.json.tmp`, `${file}.meta.json`);
      return { body, fetchedAt, fromCache: false, failed: null };
    } catch (error) {
      if (request.signal?.aborted) throw error;
      const failed = error instanceof Error ? error.message : String(error);
      return cached ? { ...cached, fromCache: true, failed } : { body: Buffer.alloc(0), fetchedAt: 0, fromCache: false, failed };
    }
  }
}

async function readCache(file: string): Promise<{ body: Buffer; fetchedAt: number } | null> {
  try {
    const meta = JSON.parse(await readFile(`${file}.meta.json`, 'utf8')) as { fetchedAt?: unknown };
    if (typeof meta.fetchedAt !== 'number') return null;
    return { body: await readFile(file), fetchedAt: meta.fetchedAt };
  } catch {
    return null;
  }
}

/** Catalog URLs as they will be fetched (http upgraded to https); an entry the network policy refuses is skipped. */
function secured<T extends { url: string; build: string }>(entries: T[], source: string, warnings: string[], policy: NetworkPolicy): T[] {
  const kept: T[] = [];
  for (const entry of entries) {
    const url = secureCatalogUrl(entry.url, policy);
    if (url) kept.push({ ...entry, url });
    else warnings.push(`${source} lists ${entry.build} at ${entry.url.slice(0, 200)}, a place Lifeline does not download from; skipped.`);
  }
  return kept;
}

function mergeEntries(
  appleListed: AppleCatalogEntry[],
  ipswmeListed: IpswMeEntry[],
  warnings: string[],
  policy: NetworkPolicy,
): FirmwareEntry[] {
  const apple = secured(appleListed, 'Apple’s catalog', warnings, policy);
  const ipswme = secured(ipswmeListed, 'ipsw.me', warnings, policy);
  const byBuild = new Map<string, FirmwareEntry>();
  for (const a of apple) {
    const entry: FirmwareEntry = {
      productType: a.productType,
      version: a.version,
      build: a.build,
      url: a.url,
      fileName: '',
      size: null,
      sha1: a.sha1,
      sha256: null,
      signed: null,
      sources: ['apple'],
    };
    byBuild.set(a.build, entry);
  }
  for (const m of ipswme) {
    const known = byBuild.get(m.build);
    if (!known) {
      byBuild.set(m.build, {
        productType: m.productType,
        version: m.version,
        build: m.build,
        url: m.url,
        fileName: '',
        size: m.size,
        sha1: m.sha1,
        sha256: m.sha256,
        signed: m.signed,
        sources: ['ipswme'],
      });
      continue;
    }
    if (known.sha1 && m.sha1 && known.sha1 !== m.sha1)
      warnings.push(`Apple and ipsw.me disagree on the SHA-1 of ${m.build}; Apple’s is used.`);
    known.sha1 ??= m.sha1;
    known.sha256 ??= m.sha256;
    known.size ??= m.size;
    known.signed = m.signed;
    known.sources.push('ipswme');
  }
  const entries = [...byBuild.values()];
  for (const entry of entries) entry.fileName = firmwareFileName(entry);
  return entries.sort((a, b) => compareVersions(b.version, a.version) || b.build.localeCompare(a.build));
}

/** Newest signed; with no signing opinion at all (ipsw.me unreachable), the newest Apple lists. */
function pickLatest(entries: FirmwareEntry[]): FirmwareEntry | null {
  const signed = entries.find((e) => e.signed === true);
  if (signed) return signed;
  if (entries.every((e) => e.signed === null)) return entries[0] ?? null;
  return null;
}
