import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProblemError, type Progress } from '../../common/api';
import type { FirmwareEntry, FirmwareList, PreparedFirmware } from '../../common/contract/firmware';
import { checkFitsPhone, readBuildManifest } from './build-manifest';
import { FirmwareDownloader, type DownloaderOptions, type DownloadProgress } from './downloader';
import { DEFAULT_APPLE_CATALOG_URL, DEFAULT_IPSWME_URL, FirmwareCatalog } from './firmware-catalog';
import { IpswArchive } from './ipsw-reader';
import type { ProxyEnvironment } from './proxy-environment';

/** The phone a firmware is for: ProductType plus board config (multi-board products share one IPSW). */
export type FirmwareTarget = { productType: string; boardConfig: string };

export type FirmwareSettings = { cacheDir: string; appleUrl: string; ipswmeUrl: string; catalogMaxAgeMs?: number };

export type FirmwareWork = { signal?: AbortSignal; onProgress?: (progress: Omit<Progress, 'job'>) => void };

/** The marker written next to a verified IPSW: what it is, and the size/mtime it had when it was verified. */
type VerifiedMarker = {
  version: 1;
  productTypes: string[];
  boards: string[];
  productVersion: string;
  build: string;
  size: number;
  mtimeMs: number;
  sha1: string;
  sha256: string | null;
  signedAsOf: string | null;
};

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
    cacheDir: env.LIFELINE_FIRMWARE_CACHE || defaultFirmwareCacheDir(env),
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
  private readonly ready = new Map<string, PreparedFirmware>();
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
    if (known && (await markerStillValid(known.path, known.size))) return known;
    return this.newestCached(target, null);
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
      // Offline (or no catalog): a verified copy already on disk is good enough to be ready.
      const cached = await this.newestCached(target, directory);
      if (cached) return this.remember(target, cached, work.directory === undefined);
      throw new ProblemError(
        list.entries.length === 0
          ? {
              code: list.offline ? 'firmware-offline' : 'firmware-unknown-model',
              title: list.offline ? 'Can’t reach Apple to find the firmware' : 'No firmware listed for this iPhone',
              detail: list.offline ? list.warnings.join(' ') : `Neither Apple nor ipsw.me lists firmware for ${target.productType}.`,
              nextSteps: list.offline ? ['Connect this computer to the internet, then try again.', 'Or choose an .ipsw file you already have.'] : ['Choose an .ipsw file you already have.'],
            }
          : {
              code: 'firmware-none-signed',
              title: 'Apple is not signing any iOS for this iPhone right now',
              detail: `The catalogs list ${list.entries.length} versions for ${target.productType}, none marked signed.`,
              nextSteps: ['Try again later; signing windows change.'],
            },
      );
    }
    if (!latest.sha1 && !latest.sha256) {
      throw new ProblemError({
        code: 'firmware-no-hash',
        title: 'The firmware cannot be checked',
        detail: `No catalog gives a checksum for iOS ${latest.version} (${latest.build}), so a download could not be verified.`,
        nextSteps: ['Try again later.', 'Or choose an .ipsw file you already have.'],
      });
    }
    const destination = path.join(directory, latest.fileName);
    const signedAsOf = latest.signed === true ? list.checkedAt : null;

    const existing = await this.readMarker(destination);
    if (existing && existing.sha1 === (latest.sha1 ?? existing.sha1) && (latest.sha256 === null || existing.sha256 === latest.sha256)) {
      return this.remember(target, this.fromMarker(destination, existing, target, signedAsOf ?? existing.signedAsOf, true), work.directory === undefined);
    }

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
    const info = await stat(downloaded.path);
    const marker: VerifiedMarker = {
      version: 1,
      productTypes: fit.productTypes,
      boards: fit.boards,
      productVersion: fit.version,
      build: fit.build,
      size: info.size,
      mtimeMs: info.mtimeMs,
      sha1: downloaded.sha1,
      sha256: downloaded.sha256,
      signedAsOf,
    };
    await writeMarker(destination, marker);
    return this.remember(target, this.fromMarker(destination, marker, target, signedAsOf, true), work.directory === undefined);
  }

  /** A local .ipsw: fits this phone (BuildManifest identity for the board) and matches the catalog hash when known. */
  async useLocal(file: string, target: FirmwareTarget, work: FirmwareWork & { remember?: boolean } = {}): Promise<PreparedFirmware> {
    const report = work.onProgress ?? (() => undefined);
    report({ phase: 'checking', fraction: null, message: 'Checking the firmware fits this iPhone…' });
    const absolute = path.resolve(file);
    const fit = await inspectIpsw(absolute, target);
    const info = await stat(absolute);
    const digests = await hashWithProgress(absolute, info.size, work.signal, (done) =>
      report({ phase: 'verifying', fraction: info.size > 0 ? done / info.size : 1, bytesDone: done, bytesTotal: info.size, message: 'Checking the file is intact…' }),
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
      throw new ProblemError({
        code: 'ipsw-hash-mismatch',
        title: 'This firmware file is damaged or altered',
        detail: `${path.basename(absolute)} does not match Apple’s checksum for iOS ${fit.version} (${fit.build}).`,
        nextSteps: ['Download the file again, or let Lifeline download it.'],
      });
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
    return work.remember === false ? prepared : this.remember(target, prepared, true);
  }

  private remember(target: FirmwareTarget, prepared: PreparedFirmware, keep: boolean): PreparedFirmware {
    if (keep) {
      this.ready.set(targetKey(target), prepared);
      for (const listener of this.listeners) listener(target);
    }
    return prepared;
  }

  private fromMarker(file: string, marker: VerifiedMarker, target: FirmwareTarget, signedAsOf: string | null, catalogVerified: boolean): PreparedFirmware {
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

  private async readMarker(file: string): Promise<VerifiedMarker | null> {
    try {
      const marker = JSON.parse(await readFile(`${file}${MARKER_SUFFIX}`, 'utf8')) as VerifiedMarker;
      if (marker.version !== 1 || typeof marker.sha1 !== 'string' || !Array.isArray(marker.boards)) return null;
      const info = await stat(file);
      return info.size === marker.size && Math.abs(info.mtimeMs - marker.mtimeMs) < 1 ? marker : null;
    } catch {
      return null;
    }
  }

  /** The newest verified IPSW in the cache (or `directory`) that fits this phone. */
  private async newestCached(target: FirmwareTarget, directory: string | null): Promise<PreparedFirmware | null> {
    const dir = directory ?? path.join(this.settings.cacheDir, 'ipsw');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return null;
    }
    let best: { file: string; marker: VerifiedMarker } | null = null;
    for (const name of names) {
      if (!name.endsWith(MARKER_SUFFIX)) continue;
      const file = path.join(dir, name.slice(0, -MARKER_SUFFIX.length));
      const marker = await this.readMarker(file);
      if (!marker || !marker.productTypes.includes(target.productType) || !marker.boards.includes(target.boardConfig.toLowerCase())) continue;
      if (!best || compareBuilds(marker, best.marker) > 0) best = { file, marker };
    }
    return best ? this.fromMarker(best.file, best.marker, target, best.marker.signedAsOf, true) : null;
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

async function markerStillValid(file: string, size: number): Promise<boolean> {
  try {
    return (await stat(file)).size === size;
  } catch {
    return false;
  }
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

/** Opens the IPSW, reads its BuildManifest and checks it fits the target; closes it again. */
export async function inspectIpsw(file: string, target: FirmwareTarget): Promise<{ version: string; build: string; productTypes: string[]; boards: string[] }> {
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

async function hashWithProgress(file: string, size: number, signal: AbortSignal | undefined, progress: (done: number) => void): Promise<{ sha1: string; sha256: string }> {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let done = 0;
  let last = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) }) as AsyncIterable<Buffer>) {
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
