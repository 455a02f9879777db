/**
 * What a restore sends the phone in restore mode (docs/protocols/restored.md#data-requests), built from the IPSW,
 * the build identity, the phone's AP ticket, IMG4 personalisation and ASR. The baseband updater and coprocessor
 * updaters plug in as hooks; a model without them gets an empty answer and fails clearly. FDRTrustData is `{}`, as
 * every known host sends; the FDR channel itself is the restore session's (main/fdr).
 */
import type { Duplex } from 'node:stream';
import type { BasebandUpdater } from './baseband-updater';
import { AsrClient, type AsrProgress } from '../asr/asr-client';
import { ipswEntryImageSource } from '../asr/asr-image-source';
import { tagForComponent } from '../img4/component-tags';
import { personalise } from '../img4/img4';
import { parseIm4pLayout } from '../img4/im4p';
import type { BuildComponent, BuildIdentity } from '../ipsw/build-manifest';
import type { IpswArchive } from '../ipsw/ipsw-reader';
import { httpRequest, readBoundedBody } from '../net/http-client';
import type { NetworkPolicy } from '../net/network-policy';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import type {
  HttpAssetRequest,
  HttpAssetResponse,
  NorImages,
  RestoreDataProvider,
  RestoreDataRequest,
  SingleComponentName,
} from '../restored/restore-data-provider';

/** Coprocessors the phone updates through FirmwareUpdaterData (SE, Savage, Yonkers, Rose, T200 …). */
export interface CoprocessorUpdater {
  preflight?(args: PlistDict, signal: AbortSignal): Promise<PlistDict>;
  /** The value of FirmwareResponseData for one updater request. */
  responseData(args: PlistDict, signal: AbortSignal): Promise<PlistValue>;
}

export type RestoreDataSources = {
  archive: IpswArchive;
  identity: BuildIdentity;
  /** The AP ticket (IM4M) the boot chain used; the restore personalises with the same one. */
  ticket: Uint8Array;
  /** The behaviour of `identity`: decides the Variant answered for BuildIdentityDict. */
  behavior: 'erase' | 'update';
  /** Absent for models without a modem (the phone then never asks). */
  baseband?: Pick<BasebandUpdater, 'basebandData'>;
  coprocessors?: CoprocessorUpdater;
  /** Where the baseband updater's output goes when the phone uploads it (a cpio of logs). */
  onBasebandUpdaterOutput?(bytes: Uint8Array): Promise<void>;
  /** Where URLAsset/StreamedImageDecryptionKey may go (default: Lifeline's network policy). */
  networkPolicy?: NetworkPolicy;
  onImageProgress?(progress: AsrProgress): void;
};

/** The biggest single component read into memory (kernel caches are tens of MiB). */
export const MAX_COMPONENT_BYTES = 160 * 1024 * 1024;
/** The biggest HTTP body relayed to the phone. */
export const MAX_ASSET_BYTES = 64 * 1024 * 1024;
const ASSET_TIMEOUT_MS = 120_000;
const SMALL_FILE_BYTES = 4 * 1024 * 1024;

export class RestoreDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreDataError';
  }
}

function abortIfNeeded(signal: AbortSignal): void {
  if (signal.aborted) {
    const error = new Error('Cancelled');
    error.name = 'AbortError';
    throw error;
  }
}

export class IpswRestoreData implements RestoreDataProvider {
  readonly defaultVariant: string;

  constructor(private readonly sources: RestoreDataSources) {
    this.defaultVariant = sources.behavior === 'erase' ? 'Erase' : 'Update';
  }

  async rootTicket(): Promise<Uint8Array | null> {
    return this.sources.ticket;
  }

  async sendSystemImage(connection: Duplex, request: RestoreDataRequest): Promise<void> {
    if (request.dataType !== 'SystemImageData')
      throw new RestoreDataError(`${request.dataType} needs a recovery OS, which this restore does not install`);
    const os = this.component('OS');
    const asr = await AsrClient.connect(connection, { signal: request.signal });
    const outcome = await asr.sendImage(ipswEntryImageSource(this.sources.archive, this.pathOf(os)), {
      signal: request.signal,
      ...(this.sources.onImageProgress ? { onProgress: this.sources.onImageProgress } : {}),
    });
    if (outcome.outcome === 'cancelled') abortIfNeeded(request.signal);
  }

  async personalisedComponent(component: SingleComponentName, request: RestoreDataRequest): Promise<Uint8Array> {
    return this.personalised(component, request.signal);
  }

  /** docs/protocols/restored.md#data-requests (NORData): LLB apart; RestoreSEP/SEP/SepStage1 in their own keys. */
  async norImages(request: RestoreDataRequest): Promise<NorImages> {
    const firmware: { component: string; data: Uint8Array }[] = [];
    for (const component of await this.norComponents()) {
      if (component.name === 'LLB' || component.name === 'RestoreSEP') continue;
      firmware.push({ component: component.name, data: await this.personalised(component.name, request.signal) });
    }
    if (firmware.length === 0) throw new RestoreDataError('The build identity lists no firmware to flash');
    const images: NorImages = { llb: await this.personalised('LLB', request.signal), firmware };
    if (this.has('RestoreSEP')) images.restoreSep = await this.personalised('RestoreSEP', request.signal);
    if (this.has('SEP')) images.sep = await this.personalised('SEP', request.signal);
    if (this.has('SepStage1')) images.sepPatch = await this.personalised('SepStage1', request.signal);
    return images;
  }

  async componentsWithFlag(flag: string): Promise<string[]> {
    return this.sources.identity.components.filter((component) => component.flags[flag] === true).map((component) => component.name);
  }

  async personalisedImage(component: string, request: RestoreDataRequest): Promise<Uint8Array> {
    return this.personalised(component, request.signal);
  }

  async buildIdentity(_request: RestoreDataRequest, options: { recoveryOs: boolean }): Promise<PlistDict> {
    if (options.recoveryOs)
      throw new RestoreDataError('The phone asked for a recovery OS identity; this firmware has none Lifeline installs');
    return this.sources.identity.raw;
  }

  async receiptManifest(): Promise<PlistDict> {
    const manifest = this.sources.identity.raw.Manifest;
    if (!isPlistDict(manifest)) throw new RestoreDataError('The build identity has no Manifest');
    return manifest;
  }

  /** docs/protocols/restored.md#streamed-boot-objects */
  async bootObject(name: string, personalised: boolean, request: RestoreDataRequest): Promise<Uint8Array> {
    const { archive, identity } = this.sources;
    if (name === '__RestoreVersion__') return archive.readSmall('RestoreVersion.plist', SMALL_FILE_BYTES);
    if (name === '__SystemVersion__') return archive.readSmall('SystemVersion.plist', SMALL_FILE_BYTES);
    if (name === '__GlobalManifest__') {
      const variant = typeof request.arguments.Variant === 'string' ? request.arguments.Variant : identity.variant;
      if (!/^[\w ().,-]{1,128}$/.test(variant)) throw new RestoreDataError('The phone named an unusable manifest variant');
      return archive.readSmall(`Firmware/Manifests/restore/${variant}/apticket.${identity.deviceClass}.im4m`, SMALL_FILE_BYTES);
    }
    if (personalised) return this.personalised(name, request.signal);
    return this.sources.archive.readSmall(this.pathOf(this.component(name)), MAX_COMPONENT_BYTES);
  }

  async basebandData(request: RestoreDataRequest): Promise<Uint8Array> {
    if (!this.sources.baseband) throw new RestoreDataError('This phone asked for baseband firmware, but no baseband updater is set up');
    return this.sources.baseband.basebandData(request.arguments, request.signal);
  }

  async firmwareUpdaterPreflight(request: RestoreDataRequest): Promise<PlistDict> {
    return this.sources.coprocessors?.preflight ? this.sources.coprocessors.preflight(request.arguments, request.signal) : {};
  }

  async firmwareUpdaterData(request: RestoreDataRequest): Promise<PlistValue> {
    if (!this.sources.coprocessors)
      throw new RestoreDataError('This phone asked to update a coprocessor, which Lifeline does not support for it yet');
    return this.sources.coprocessors.responseData(request.arguments, request.signal);
  }

  async basebandUpdaterOutput(bytes: Uint8Array): Promise<void> {
    await this.sources.onBasebandUpdaterOutput?.(bytes);
  }

  async httpAsset(asset: HttpAssetRequest, request: RestoreDataRequest): Promise<HttpAssetResponse> {
    const response = await httpRequest(asset.url, {
      method: asset.method,
      headers: asset.headers,
      signal: request.signal,
      ...(asset.body ? { body: Buffer.from(asset.body) } : {}),
      ...(this.sources.networkPolicy ? { policy: this.sources.networkPolicy } : {}),
    });
    const body = await readBoundedBody(response, {
      maxBytes: MAX_ASSET_BYTES,
      timeoutMs: ASSET_TIMEOUT_MS,
      signal: request.signal,
      what: 'the file the phone asked for',
    });
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(response.headers)) {
      if (typeof value === 'string') headers[key] = value;
      else if (Array.isArray(value)) headers[key] = value.join(', ');
    }
    return { status: response.statusCode ?? 0, headers, body };
  }

  /** Firmware to flash: from `<LLB dir>/manifest` when the IPSW has one, else from the manifest flags. */
  private async norComponents(): Promise<BuildComponent[]> {
    const { archive, identity } = this.sources;
    const llbPath = this.pathOf(this.component('LLB'));
    const listPath = `${llbPath.slice(0, llbPath.lastIndexOf('/'))}/manifest`;
    if (archive.has(listPath)) {
      const dir = listPath.slice(0, -'manifest'.length);
      const names = (await archive.readSmall(listPath, 64 * 1024))
        .toString('latin1')
        .split(/[\r\n]+/)
        .filter(Boolean);
      const byPath = new Map(identity.components.filter((c) => c.path !== null).map((c) => [c.path!, c]));
      const listed = names.map((name) => byPath.get(`${dir}${name}`)).filter((c): c is BuildComponent => c !== undefined);
      if (listed.length > 0) return listed;
    }
    return identity.components.filter(
      (c) =>
        c.path !== null &&
        (c.flags.IsFirmwarePayload === true || (c.flags.IsSecondaryFirmwarePayload === true && c.flags.IsLoadedByiBoot === true)),
    );
  }

  private has(name: string): boolean {
    return this.sources.identity.components.some((component) => component.name === name && component.path !== null);
  }

  private component(name: string): BuildComponent {
    const found = this.sources.identity.components.find((component) => component.name === name);
    if (!found) throw new RestoreDataError(`The build identity has no ${name}`);
    return found;
  }

  private pathOf(component: BuildComponent): string {
    if (component.path === null) throw new RestoreDataError(`${component.name} has no file in this IPSW`);
    return component.path;
  }

  /** docs/protocols/img4.md#personalisation: the component's IM4P, typed as it boots, wrapped with the ticket. */
  private async personalised(name: string, signal: AbortSignal): Promise<Uint8Array> {
    abortIfNeeded(signal);
    const file = await this.sources.archive.readSmall(this.pathOf(this.component(name)), MAX_COMPONENT_BYTES);
    const tag = tagForComponent(name) ?? parseIm4pLayout(file).type;
    return personalise(file, tag, this.sources.ticket).img4;
  }
}
