import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProblemError, type Progress } from '../../common/api';
import type { FirmwareEntry, FirmwareList, PreparedFirmware } from '../../common/contract/firmware';
import { checkFitsPhone, readBuildManifest } from '../ipsw/build-manifest';
import { FirmwareDownloader, type DownloaderOptions, type DownloadProgress } from './downloader';
import { DEFAULT_APPLE_CATALOG_URL, DEFAULT_IPSWME_URL, FirmwareCatalog } from './firmware-catalog';
import { IpswArchive } from '../ipsw/ipsw-reader';
import { fullPathFromEnvironment } from '../../common/full-path';
import type { ProxyEnvironment } from '../net/proxy-environment';

/** The phone a firmware is for: ProductType plus board config (multi-board products share one IPSW). */
export type FirmwareTarget = { productType: string; boardConfig: string };

export type FirmwareSettings = { cacheDir: string; appleUrl: string; ipswmeUrl: string; catalogMaxAgeMs?: number };

export type FirmwareWork = { signal?: AbortSignal; onProgress?: (progress: Omit<Progress, 'job'>) => void };

/**
 * Who a file is right now, as the file system says: any write, utimes, chmod, hard link or replacement changes at
 * least one of these (ctime cannot be set back from user space), so an equal identity means the same bytes.
 */
type FileIdentity = { dev: string; ino: string; size: string; mtimeNs: string; ctimeNs: string };

/**
 * The marker written next to an IPSW in Lifeline's own cache when its hash was checked: what it is, the hashes,
 * and the file's identity then. Trusted only inside the cache folder and only while the identity is unchanged.
 */
type VerifiedMarker = {
  version: 2;
  productTypes: string[];
  boards: string[];
  productVersion: string;
  build: string;
  size: number;
  identity: FileIdentity | null;
  sha1: string;
  sha256: string | null;
  signedAsOf: string | null;
};

/** A marker read from the cache: `current` = the file still has the identity it had when it was hashed. */
type CachedMarker = { marker: VerifiedMarker; current: boolean };

type Remembered = { prepared: PreparedFirmware; identity: FileIdentity | null };

const MARKER_SUFFIX = '.verified.json';

export function defaultFirmwareCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'Lifeline', 'firmware');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Lifeline', 'firmware');
  return path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'lifeline', 'firmware');
}

/** Overridable so tests and practice mode never touch the internet (LIFELINE_FIRMWARE_CACHE, LIFELINE_APPLE_CATALOG_URL, LIFELINE_IPSWME_URL). */
export function firmwareSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): FirmwareSettings {
  return {
    cacheDir: fullPathFromEnvironment(env.LIFELINE_FIRMWARE_CACHE, process.platform) ?? defaultFirmwareCacheDir(env),
    appleUrl: env.LIFELINE_APPLE_CATALOG_URL || DEFAULT_APPLE_CATALOG_URL,
    ipswmeUrl: env.LIFELINE_IPSWME_URL || DEFAULT_IPSWME_URL,
  };
}

const targetKey = (target: FirmwareTarget): string => `${target.productType}/${target.boardConfig.toLowerCase()}`;

/**
 * Ready before the buttons: finds the latest signed IPSW for a phone, downloads it once (or reuses the
 * verified copy in the cache, also offline), checks it fits the board, and says when it is on disk.
 */
export class FirmwareService {
  readonly catalog: FirmwareCatalog;
  readonly downloader: FirmwareDownloader;
  private readonly ready = new Map<string, Remembered>();
  private readonly preparing = new Map<string, Promise<PreparedFirmware>>();
  private readonly listeners = new Set<(target: FirmwareTarget) => void>();

  constructor(
    readonly settings: FirmwareSettings,
    options: { downloader?: DownloaderOptions; env?: ProxyEnvironment } = {},
  ) {
    this.catalog = new FirmwareCatalog({
      appleUrl: settings.appleUrl,
      ipswmeUrl: settings.ipswmeUrl,
      cacheDir: settings.cacheDir,
      ...(settings.catalogMaxAgeMs !== undefined ? { maxAgeMs: settings.catalogMaxAgeMs } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    this.downloader = new FirmwareDownloader({ ...options.downloader, ...(options.env ? { env: options.env } : {}) });
  }

  onChange(listener: (target: FirmwareTarget) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(productType: string, boardConfig: string | null, request: { refresh?: boolean; signal?: AbortSignal } = {}): Promise<FirmwareList> {
    return this.catalog.list(productType, boardConfig, request);
  }

  /** What is on disk for this phone right now (no network). */
  async status(target: FirmwareTarget): Promise<PreparedFirmware | null> {
    const known = this.ready.get(targetKey(target));
    if (known?.identity && sameIdentity(known.identity, await fileIdentity(known.prepared.path))) return known.prepared;
    return this.newestCached(target, null, {});
  }

  isPreparing(target: FirmwareTarget): boolean {
    return this.preparing.has(targetKey(target));
  }

  /** prepareFirmware(phone): resolves when the verified file is on disk. Concurrent calls share one preparation. */
  prepare(target: FirmwareTarget, work: FirmwareWork & { directory?: string } = {}): Promise<PreparedFirmware> {
    const key = `${targetKey(target)}@${work.directory ?? ''}`;
    const running = this.preparing.get(key);
    if (running) return running;
    const promise = this.prepareNow(target, work).finally(() => this.preparing.delete(key));
    this.preparing.set(key, promise);
    if (!work.directory) this.preparing.set(targetKey(target), promise);
    promise.then(
      () => this.preparing.delete(targetKey(target)),
      () => this.preparing.delete(targetKey(target)),
    );
    return promise;
  }

  private async prepareNow(target: FirmwareTarget, work: FirmwareWork & { directory?: string }): Promise<PreparedFirmware> {
    const report = work.onProgress ?? (() => undefined);
    report({ phase: 'catalog', fraction: null, message: 'Finding the latest iOS for this iPhone…' });
    const list = await this.catalog.list(target.productType, target.boardConfig, work.signal ? { signal: work.signal } : {});
    const directory = work.directory ?? path.join(this.settings.cacheDir, 'ipsw');
    const latest = list.latest;
    if (!latest) {
      // Offline (or no catalog): a copy verified in Lifeline's cache is good enough to be ready — checked again now.
      const cached = await this.newestCached(target, directory, { recheck: true, ...work });
      if (cached) return this.remember(target, cached, work.directory === undefined);
      if (list.entries.length > 0)
        throw new ProblemError('firmware-none-signed', { productType: target.productType, listed: list.entries.length });
      if (list.offline) throw new ProblemError('firmware-offline', undefined, { cause: new Error(list.warnings.join(' ')) });
      throw new ProblemError('firmware-not-listed', { productType: target.productType });
    }
    if (!latest.sha1 && !latest.sha256) {
      throw new ProblemError('firmware-no-hash', { version: latest.version, build: latest.build });
    }
    const destination = path.join(directory, latest.fileName);
    const signedAsOf = latest.signed === true ? list.checkedAt : null;

    const onDisk = await this.reuseOnDisk(destination, latest, target, signedAsOf, work);
    if (onDisk) return this.remember(target, onDisk, work.directory === undefined);

    const downloaded = await this.downloader.download({
      url: latest.url,
      destination,
      expectedSize: latest.size,
      sha1: latest.sha1,
      sha256: latest.sha256,
      ...(work.signal ? { signal: work.signal } : {}),
      onProgress: (p) => report(downloadProgress(p, latest)),
    });
    report({ phase: 'checking', fraction: null, message: 'Checking the firmware fits this iPhone…' });
    const fit = await inspectIpsw(downloaded.path, target).catch(async (error: unknown) => {
      // A verified file that does not fit this board is not kept: nothing unusable stays in the cache.
      await rm(downloaded.path, { force: true });
      throw error;
    });
    const identity = await fileIdentity(downloaded.path);
    const marker = verifiedMarker(fit, { size: downloaded.size, identity, sha1: downloaded.sha1, sha256: downloaded.sha256 }, signedAsOf);
    if (await this.insideCache(destination)) await writeMarker(destination, marker);
    return this.remember(target, this.fromMarker(destination, marker, target, signedAsOf, true), work.directory === undefined, identity);
  }

  /**
   * The file already at `destination`, if it is the catalog's firmware right now: taken on its cache marker only
   * while the file's identity is the one recorded when it was hashed; otherwise hashed again. null = download it.
   */
  private async reuseOnDisk(
    destination: string,
    latest: FirmwareEntry,
    target: FirmwareTarget,
    signedAsOf: string | null,
    work: FirmwareWork,
  ): Promise<PreparedFirmware | null> {
    const cached = await this.readCachedMarker(destination);
    const agrees = (hashes: { sha1: string; sha256: string | null }): boolean =>
      (latest.sha1 === null || hashes.sha1 === latest.sha1) && (latest.sha256 === null || hashes.sha256 === latest.sha256);
    if (cached?.current && agrees(cached.marker))
      return this.fromMarker(destination, cached.marker, target, signedAsOf ?? cached.marker.signedAsOf, true);
    const before = await fileIdentity(destination);
    if (!before) return null;
    const digests = await this.hashForUse(destination, Number(before.size), work);
    if (!agrees(digests) || !sameIdentity(before, await fileIdentity(destination))) {
      if (cached) await rm(`${destination}${MARKER_SUFFIX}`, { force: true });
      return null;
    }
    const fit = await inspectIpsw(destination, target).catch(() => null);
    if (!fit) return null;
    const marker = verifiedMarker(
      fit,
      { size: Number(before.size), identity: before, sha1: digests.sha1, sha256: digests.sha256 },
      signedAsOf,
    );
    if (await this.insideCache(destination)) await writeMarker(destination, marker);
    return this.fromMarker(destination, marker, target, signedAsOf, true);
  }

  private hashForUse(file: string, size: number, work: FirmwareWork): Promise<{ sha1: string; sha256: string }> {
    const report = work.onProgress ?? (() => undefined);
    return hashWithProgress(file, size, work.signal, (done) =>
      report({
        phase: 'verifying',
        fraction: size > 0 ? done / size : 1,
        bytesDone: done,
        bytesTotal: size,
        message: 'Checking the firmware on disk is intact…',
      }),
    );
  }

  /** Markers are trusted only directly inside `<cacheDir>/ipsw`, the folder Lifeline alone writes (never a chosen one). */
  private async insideCache(file: string): Promise<boolean> {
    try {
      const [folder, cache] = await Promise.all([
        realpath(path.dirname(path.resolve(file))),
        realpath(path.join(this.settings.cacheDir, 'ipsw')),
      ]);
      return folder === cache;
    } catch {
      return false;
    }
  }

  /** A local .ipsw: fits this phone (BuildManifest identity for the board) and matches the catalog hash when known. */
  async useLocal(file: string, target: FirmwareTarget, work: FirmwareWork & { remember?: boolean } = {}): Promise<PreparedFirmware> {
    const report = work.onProgress ?? (() => undefined);
    report({ phase: 'checking', fraction: null, message: 'Checking the firmware fits this iPhone…' });
    const absolute = path.resolve(file);
    const fit = await inspectIpsw(absolute, target);
    const identity = await fileIdentity(absolute);
    const info = await stat(absolute);
    const digests = await hashWithProgress(absolute, info.size, work.signal, (done) =>
      report({
        phase: 'verifying',
        fraction: info.size > 0 ? done / info.size : 1,
        bytesDone: done,
        bytesTotal: info.size,
        message: 'Checking the file is intact…',
      }),
    );
    let entry: FirmwareEntry | undefined;
    let signedAsOf: string | null = null;
    try {
      const list = await this.catalog.list(target.productType, target.boardConfig, work.signal ? { signal: work.signal } : {});
      entry = list.entries.find((e) => e.build === fit.build);
      if (entry?.signed) signedAsOf = list.checkedAt;
    } catch (error) {
      if (work.signal?.aborted) throw error;
    }
    const mismatch = (entry?.sha1 && entry.sha1 !== digests.sha1) || (entry?.sha256 && entry.sha256 !== digests.sha256);
    if (mismatch) {
      throw new ProblemError('ipsw-hash-mismatch', { file: absolute, version: fit.version, build: fit.build });
    }
    const prepared: PreparedFirmware = {
      path: absolute,
      productType: target.productType,
      version: fit.version,
      build: fit.build,
      size: info.size,
      sha1: digests.sha1,
      catalogVerified: Boolean(entry && (entry.sha1 || entry.sha256)),
      fitsBoard: target.boardConfig.toLowerCase(),
      signedAsOf,
    };
    const unchanged = identity !== null && sameIdentity(identity, await fileIdentity(absolute));
    return work.remember === false ? prepared : this.remember(target, prepared, true, unchanged ? identity : null);
  }

  private remember(
    target: FirmwareTarget,
    prepared: PreparedFirmware,
    keep: boolean,
    identity: FileIdentity | null = null,
  ): PreparedFirmware {
    if (keep) {
      this.ready.set(targetKey(target), { prepared, identity });
      for (const listener of this.listeners) listener(target);
    }
    return prepared;
  }

  private fromMarker(
    file: string,
    marker: VerifiedMarker,
    target: FirmwareTarget,
    signedAsOf: string | null,
    catalogVerified: boolean,
  ): PreparedFirmware {
    return {
      path: file,
      productType: target.productType,
      version: marker.productVersion,
      build: marker.build,
      size: marker.size,
      sha1: marker.sha1,
      catalogVerified,
      fitsBoard: target.boardConfig.toLowerCase(),
      signedAsOf,
    };
  }

  /** The marker next to `file`, only inside Lifeline's cache; null when there is none or it is not trusted there. */
  private async readCachedMarker(file: string): Promise<CachedMarker | null> {
    if (!(await this.insideCache(file))) return null;
    let marker: VerifiedMarker;
    try {
      const text = await readFile(`${file}${MARKER_SUFFIX}`, 'utf8');
      if (text.length > 64 * 1024) return null;
      marker = JSON.parse(text) as VerifiedMarker;
    } catch {
      return null;
    }
    const legacy = (marker as { version: number }).version === 1;
    if (
      (marker.version !== 2 && !legacy) ||
      typeof marker.sha1 !== 'string' ||
      !Array.isArray(marker.boards) ||
      !Array.isArray(marker.productTypes)
    )
      return null;
    const identity = await fileIdentity(file);
    if (!identity) return null;
    // A marker from before identities were recorded still names the hash checked at download: it is re-hashed.
    const recorded = legacy ? null : marker.identity;
    return { marker: { ...marker, version: 2, identity: recorded }, current: recorded !== null && sameIdentity(recorded, identity) };
  }

  /**
   * The newest IPSW in the cache (or `directory`, when it is the cache) whose marker says it fits this phone.
   * Without `recheck`, only files whose identity is unchanged since they were hashed; with it, a changed file is
   * hashed again against the marker's hash, and one whose bytes changed is removed and refused.
   */
  private async newestCached(
    target: FirmwareTarget,
    directory: string | null,
    check: FirmwareWork & { recheck?: boolean },
  ): Promise<PreparedFirmware | null> {
    const dir = directory ?? path.join(this.settings.cacheDir, 'ipsw');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return null;
    }
    let best: { file: string; cached: CachedMarker } | null = null;
    for (const name of names) {
      if (!name.endsWith(MARKER_SUFFIX)) continue;
      const file = path.join(dir, name.slice(0, -MARKER_SUFFIX.length));
      const cached = await this.readCachedMarker(file);
      if (
        !cached ||
        !cached.marker.productTypes.includes(target.productType) ||
        !cached.marker.boards.includes(target.boardConfig.toLowerCase())
      )
        continue;
      if (!cached.current && !check.recheck) continue;
      if (!best || compareBuilds(cached.marker, best.cached.marker) > 0) best = { file, cached };
    }
    if (!best) return null;
    const { file, cached } = best;
    if (!cached.current) {
      const before = await fileIdentity(file);
      const digests = before ? await this.hashForUse(file, Number(before.size), check) : null;
      const intact =
        before !== null &&
        digests !== null &&
        digests.sha1 === cached.marker.sha1 &&
        (cached.marker.sha256 === null || digests.sha256 === cached.marker.sha256);
      if (!intact || !sameIdentity(before, await fileIdentity(file))) {
        await rm(`${file}${MARKER_SUFFIX}`, { force: true });
        await rm(file, { force: true });
        throw new ProblemError('firmware-changed-on-disk', { file });
      }
      await writeMarker(file, { ...cached.marker, identity: before });
    }
    return this.fromMarker(file, cached.marker, target, cached.marker.signedAsOf, true);
  }
}

function compareBuilds(a: VerifiedMarker, b: VerifiedMarker): number {
  const pa = a.productVersion.split('.').map(Number);
  const pb = b.productVersion.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.build.localeCompare(b.build);
}

async function fileIdentity(file: string): Promise<FileIdentity | null> {
  try {
    const info = await lstat(file, { bigint: true });
    if (!info.isFile()) return null;
    return {
      dev: String(info.dev),
      ino: String(info.ino),
      size: String(info.size),
      mtimeNs: String(info.mtimeNs),
      ctimeNs: String(info.ctimeNs),
    };
  } catch {
    return null;
  }
}

function sameIdentity(a: FileIdentity | null, b: FileIdentity | null): boolean {
  return (
    a !== null &&
    b !== null &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

/** The cache marker for a file whose hashes were checked and whose IPSW fits the phone. */
function verifiedMarker(
  fit: IpswFit,
  file: Pick<VerifiedMarker, 'size' | 'identity' | 'sha1' | 'sha256'>,
  signedAsOf: string | null,
): VerifiedMarker {
  return {
    version: 2,
    productTypes: fit.productTypes,
    boards: fit.boards,
    productVersion: fit.version,
    build: fit.build,
    ...file,
    signedAsOf,
  };
}

async function writeMarker(file: string, marker: VerifiedMarker): Promise<void> {
  await writeFile(`${file}${MARKER_SUFFIX}.tmp`, JSON.stringify(marker));
  await rename(`${file}${MARKER_SUFFIX}.tmp`, `${file}${MARKER_SUFFIX}`);
}

function downloadProgress(p: DownloadProgress, entry: FirmwareEntry): Omit<Progress, 'job'> {
  const fraction = p.bytesTotal ? Math.min(1, p.bytesDone / p.bytesTotal) : null;
  const messages: Record<DownloadProgress['phase'], string> = {
    'checking-partial': 'Checking the part already downloaded…',
    downloading: `Downloading iOS ${entry.version}…`,
    verifying: 'Checking the download is intact…',
    'waiting-to-retry': `The connection dropped; trying again (attempt ${p.attempt})…`,
  };
  return {
    phase: p.phase === 'downloading' || p.phase === 'waiting-to-retry' ? 'downloading' : 'verifying',
    fraction,
    bytesDone: p.bytesDone,
    ...(p.bytesTotal !== null ? { bytesTotal: p.bytesTotal } : {}),
    bytesPerSecond: p.bytesPerSecond,
    ...(p.etaSeconds !== null ? { etaSeconds: p.etaSeconds } : {}),
    message: messages[p.phase],
  };
}

type IpswFit = { version: string; build: string; productTypes: string[]; boards: string[] };

/** Opens the IPSW, reads its BuildManifest and checks it fits the target; closes it again. */
export async function inspectIpsw(file: string, target: FirmwareTarget): Promise<IpswFit> {
  const archive = await IpswArchive.open(file);
  try {
    const manifest = await readBuildManifest(archive);
    checkFitsPhone(manifest, archive, target.productType, target.boardConfig);
    return {
      version: manifest.productVersion,
      build: manifest.productBuildVersion,
      productTypes: manifest.supportedProductTypes.length > 0 ? manifest.supportedProductTypes : [target.productType],
      boards: [...new Set(manifest.identities.map((identity) => identity.deviceClass))],
    };
  } finally {
    archive.close();
  }
}

async function hashWithProgress(
  file: string,
  size: number,
  signal: AbortSignal | undefined,
  progress: (done: number) => void,
): Promise<{ sha1: string; sha256: string }> {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let done = 0;
  let last = 0;
  for await (const chunk of createReadStream(file, {
    highWaterMark: 1024 * 1024,
    ...(signal ? { signal } : {}),
  }) as AsyncIterable<Buffer>) {
    sha1.update(chunk);
    sha256.update(chunk);
    done += chunk.length;
    if (performance.now() - last > 200) {
      last = performance.now();
      progress(done);
    }
  }
  progress(size);
  return { sha1: sha1.digest('hex'), sha256: sha256.digest('hex') };
}
