/**
 * Answers one DataRequestMsg / AsyncDataRequestMsg (docs/protocols/restored.md#data-requests): picks where the answer
 * goes (the restored connection, or a new connection to the request's DataPort), asks the provider for the data and
 * writes it in the shape the phone expects. A DataType nobody can answer is logged and answered with an empty dict,
 * so the phone fails with its own status instead of waiting forever.
 */
import type { Duplex } from 'node:stream';
import { PlistChannel } from '../plist/framing';
import type { PlistFormat } from '../plist/plist-codec';
import { PlistReal, isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { ByteReader, StreamClosedError } from '../wire/byte-reader';
import { writeWhenReady } from '../wire/write-when-ready';
import type { HttpAssetRequest, RestoreDataProvider, RestoreDataRequest, SingleComponentName } from './restore-data-provider';
import { RestoredError } from './restored-error';
import { ASR_DEFAULT_DATA_PORT, FILE_DATA_CHUNK_BYTES, MAX_PHONE_MESSAGE_BYTES, type DataRequestMsg } from './restored-wire';

/** Where answers that have no DataPort go: the restored connection, shared with the message loop. */
export type MainReplyChannel = {
  /** Runs `write` with no other message interleaved; `direct` writes straight to the connection meanwhile. */
  exclusive<T>(write: (direct: ReplyChannel) => Promise<T>): Promise<T>;
};

export type DataRequestEvent =
  { type: 'data-request'; dataType: string; async: boolean } | { type: 'unanswered-data-request'; dataType: string; reason: string };

export type DataRequestContext = {
  provider: RestoreDataProvider;
  main: MainReplyChannel;
  /** Opens a new connection to a port on the phone (retrying as the port may not listen yet). */
  openPort(port: number, signal: AbortSignal): Promise<Duplex>;
  onEvent(event: DataRequestEvent): void;
  /** Most bytes read from a raw upload channel (BasebandUpdaterOutputData). */
  maxRawInputBytes: number;
  /** How long a raw upload channel may stay silent. */
  rawInputIdleMs: number;
};

export type ReplyChannel = { send(value: PlistValue, format?: PlistFormat): Promise<void> };

const MAX_IMAGE_NAME = 256;
const MAX_HEADER_COUNT = 64;
const MAX_HEADER_TEXT = 8192;
const MAX_URL = 8192;
const MAX_REQUEST_BODY = 1024 * 1024;

/** docs/protocols/restored.md#data-requests: the three image families share one scheme. */
const IMAGE_FAMILIES: Readonly<Record<string, { listKey: string; dataKey: string; flag: string | null }>> = {
  FUDData: { listKey: 'FUDImageList', dataKey: 'FUDImageData', flag: 'IsFUDFirmware' },
  PersonalizedData: { listKey: 'ImageList', dataKey: 'ImageData', flag: null },
  EANData: { listKey: 'EANImageList', dataKey: 'EANData', flag: 'IsEarlyAccessFirmware' },
};

const SINGLE_COMPONENTS: Readonly<Record<string, SingleComponentName>> = {
  KernelCache: 'KernelCache',
  DeviceTree: 'DeviceTree',
  SystemImageRootHash: 'SystemVolume',
  SystemImageCanonicalMetadata: 'Ap,SystemVolumeCanonicalMetadata',
};

function argumentString(request: RestoreDataRequest, key: string, max: number): string | null {
  const value = request.arguments[key];
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new RestoredError('protocol', `${request.dataType}: Arguments.${key} is not a usable string`, { dataType: request.dataType });
  }
  return value;
}

function checkImageName(request: RestoreDataRequest, name: string): string {
  if (/[\0/\\]/.test(name) || name === '.' || name === '..') {
    throw new RestoredError('protocol', `${request.dataType}: image name ${JSON.stringify(name.slice(0, 64))} is not a component name`, {
      dataType: request.dataType,
    });
  }
  return name;
}

function httpAssetRequest(request: RestoreDataRequest, post: boolean): HttpAssetRequest {
  const method = argumentString(request, 'RequestMethod', 16);
  const url = argumentString(request, 'RequestURL', MAX_URL);
  if (method !== (post ? 'POST' : 'GET') || url === null) {
    throw new RestoredError('protocol', `${request.dataType}: expected a ${post ? 'POST' : 'GET'} with a RequestURL`, {
      dataType: request.dataType,
    });
  }
  const headers: Record<string, string> = {};
  const extra = request.arguments.RequestAdditionalHeaders;
  if (extra !== undefined) {
    if (!isPlistDict(extra) || Object.keys(extra).length > MAX_HEADER_COUNT) {
      throw new RestoredError('protocol', `${request.dataType}: RequestAdditionalHeaders is not a small dict`, {
        dataType: request.dataType,
      });
    }
    for (const [key, value] of Object.entries(extra)) {
      if (typeof value !== 'string' || key.length > MAX_HEADER_TEXT || value.length > MAX_HEADER_TEXT) {
        throw new RestoredError('protocol', `${request.dataType}: header ${key.slice(0, 64)} is not a short string`, {
          dataType: request.dataType,
        });
      }
      headers[key] = value;
    }
  }
  const body = request.arguments.RequestBody;
  if (body !== undefined && (!(body instanceof Uint8Array) || body.length > MAX_REQUEST_BODY)) {
    throw new RestoredError('protocol', `${request.dataType}: RequestBody is not data of at most ${MAX_REQUEST_BODY} bytes`, {
      dataType: request.dataType,
    });
  }
  return { method: post ? 'POST' : 'GET', url, headers, body: body instanceof Uint8Array ? body : null };
}

async function endGracefully(stream: Duplex): Promise<void> {
  if (stream.destroyed) return;
  await new Promise<void>((resolve) => {
    stream.once('close', resolve);
    stream.once('error', () => resolve());
    stream.end(() => {
      stream.destroy();
      resolve();
    });
  });
}

export class DataRequestAnswerer {
  constructor(private readonly context: DataRequestContext) {}

  async answer(message: DataRequestMsg, signal: AbortSignal): Promise<void> {
    const request: RestoreDataRequest = {
      dataType: message.DataType,
      arguments: (message.Arguments ?? {}) as PlistDict,
      async: message.MsgType === 'AsyncDataRequestMsg',
      signal,
    };
    this.context.onEvent({ type: 'data-request', dataType: request.dataType, async: request.async });
    const port = message.DataPort ?? null;
    try {
      await this.dispatch(request, port);
    } catch (error) {
      if (error instanceof RestoredError) throw error;
      if (signal.aborted) throw error;
      throw new RestoredError(
        'data-provider',
        `Could not answer ${request.dataType}: ${error instanceof Error ? error.message : String(error)}`,
        {
          dataType: request.dataType,
          cause: error,
        },
      );
    }
  }

  private async dispatch(request: RestoreDataRequest, port: number | null): Promise<void> {
    const { provider } = this.context;
    const type = request.dataType;
    switch (type) {
      case 'SystemImageData':
      case 'RecoveryOSASRImage':
        return this.withRawPort(request, port ?? ASR_DEFAULT_DATA_PORT, (connection) => provider.sendSystemImage(connection, request));
      case 'RootTicket': {
        const ticket = await provider.rootTicket(request);
        return this.reply(request, port, ticket ? { RootTicketData: ticket } : {});
      }
      case 'RecoveryOSRootTicketData': {
        if (!provider.recoveryOsRootTicket) return this.unanswered(request, port, 'this restore has no recovery OS ticket');
        const ticket = await provider.recoveryOsRootTicket(request);
        return this.reply(request, port, ticket ? { RecoveryOSRootTicketData: ticket } : {});
      }
      case 'KernelCache':
      case 'DeviceTree':
      case 'SystemImageRootHash':
      case 'SystemImageCanonicalMetadata': {
        const data = await provider.personalisedComponent(SINGLE_COMPONENTS[type]!, request);
        return this.reply(request, port, { [`${type}File`]: data });
      }
      case 'NORData':
        return this.reply(request, port, await this.norData(request));
      case 'FUDData':
      case 'PersonalizedData':
      case 'EANData':
        return this.reply(request, port, await this.imageData(request, IMAGE_FAMILIES[type]!));
      case 'BasebandData': {
        if (!provider.basebandData) return this.unanswered(request, port, 'no baseband updater for this phone');
        return this.reply(request, port, { BasebandData: await provider.basebandData(request) });
      }
      case 'FDRTrustData':
        return this.reply(request, port, provider.fdrTrustData ? await provider.fdrTrustData(request) : {});
      case 'FirmwareUpdaterPreflight':
        return this.reply(request, port, provider.firmwareUpdaterPreflight ? await provider.firmwareUpdaterPreflight(request) : {});
      case 'FirmwareUpdaterData': {
        if (!provider.firmwareUpdaterData) return this.unanswered(request, port, 'no coprocessor updater');
        return this.reply(request, port, { FirmwareResponseData: await provider.firmwareUpdaterData(request) });
      }
      case 'BuildIdentityDict': {
        const identity = await provider.buildIdentity(request, { recoveryOs: request.arguments.IsRecoveryOS === true });
        const variant = argumentString(request, 'Variant', MAX_IMAGE_NAME) ?? provider.defaultVariant;
        return this.reply(request, port, { BuildIdentityDict: identity, Variant: variant });
      }
      case 'ReceiptManifest':
        return this.reply(request, port, { ReceiptManifest: await provider.receiptManifest(request) });
      case 'PersonalizedBootObjectV3':
      case 'SourceBootObjectV4': {
        const name = argumentString(request, 'ImageName', MAX_IMAGE_NAME);
        if (name === null) throw new RestoredError('protocol', `${type} without Arguments.ImageName`, { dataType: type });
        const data = await provider.bootObject(checkImageName(request, name), type === 'PersonalizedBootObjectV3', request);
        return this.streamFileData(request, port, data);
      }
      case 'URLAsset':
      case 'StreamedImageDecryptionKey': {
        if (!provider.httpAsset) return this.unanswered(request, port, 'no network access for the phone');
        const response = await provider.httpAsset(httpAssetRequest(request, type === 'StreamedImageDecryptionKey'), request);
        return this.reply(
          request,
          port,
          { ResponseBody: response.body, ResponseBodyDone: true, ResponseHeaders: response.headers, ResponseStatus: response.status },
          'binary',
        );
      }
      case 'HostSystemTime':
        return this.reply(request, port, { SetHostTimeOnDevice: new PlistReal(Date.now() / 1000) });
      case 'BootabilityBundle': {
        if (!provider.bootabilityBundle || port === null) return this.unanswered(request, port, 'no bootability bundle');
        const archive = await provider.bootabilityBundle(request);
        return this.withRawPort(request, port, (connection) => writeWhenReady(connection, archive, { signal: request.signal }));
      }
      case 'BasebandUpdaterOutputData':
        if (port === null) throw new RestoredError('protocol', 'BasebandUpdaterOutputData without a DataPort', { dataType: type });
        return this.collectUpdaterOutput(request, port);
      default:
        return this.unanswered(request, port, 'Lifeline does not know this data type');
    }
  }

  /** Answers BasebandUpdaterOutputData whether it comes as a data request or as its own message. */
  async collectUpdaterOutput(request: RestoreDataRequest, port: number): Promise<void> {
    const connection = await this.open(request, port);
    const reader = new ByteReader(connection);
    const pieces: Buffer[] = [];
    let total = 0;
    try {
      for (;;) {
        let piece: Buffer;
        try {
          piece = await reader.readUpTo(64 * 1024, { timeoutMs: this.context.rawInputIdleMs, signal: request.signal });
        } catch (error) {
          if (error instanceof StreamClosedError) break;
          throw error;
        }
        total += piece.length;
        if (total > this.context.maxRawInputBytes) {
          throw new RestoredError('bad-message', `Baseband updater output passed ${this.context.maxRawInputBytes} bytes`, {
            dataType: request.dataType,
          });
        }
        pieces.push(piece);
      }
    } finally {
      connection.destroy();
    }
    await this.context.provider.basebandUpdaterOutput?.(Buffer.concat(pieces, total));
  }

  private async norData(request: RestoreDataRequest): Promise<PlistDict> {
    const images = await this.context.provider.norImages(request);
    const answer: PlistDict = { LlbImageData: images.llb };
    if (request.arguments.FlashVersion1 !== undefined) {
      const byComponent: PlistDict = {};
      for (const image of images.firmware) byComponent[image.component] = image.data;
      answer.NorImageData = byComponent;
    } else {
      // docs/protocols/restored.md#data-requests: iBoot must come first in the array.
      const iboot = images.firmware.filter((image) => image.component.startsWith('iBoot'));
      const rest = images.firmware.filter((image) => !image.component.startsWith('iBoot'));
      answer.NorImageData = [...iboot, ...rest].map((image) => image.data);
    }
    if (images.restoreSep) answer.RestoreSEPImageData = images.restoreSep;
    if (images.sep) answer.SEPImageData = images.sep;
    if (images.sepPatch) answer.SEPPatchImageData = images.sepPatch;
    return answer;
  }

  private async imageData(
    request: RestoreDataRequest,
    family: { listKey: string; dataKey: string; flag: string | null },
  ): Promise<PlistDict> {
    const flag = family.flag ?? argumentString(request, 'ImageType', MAX_IMAGE_NAME);
    if (flag === null)
      throw new RestoredError('protocol', `${request.dataType} without Arguments.ImageType`, { dataType: request.dataType });
    const components = await this.context.provider.componentsWithFlag(flag, request);
    if (request.arguments[family.listKey] === true) return { [family.listKey]: components };
    const name = argumentString(request, 'ImageName', MAX_IMAGE_NAME);
    if (name !== null) {
      const answer: PlistDict = { ImageName: name };
      if (components.includes(name)) answer[family.dataKey] = await this.context.provider.personalisedImage(name, request);
      return answer;
    }
    const all: PlistDict = {};
    for (const component of components) all[component] = await this.context.provider.personalisedImage(component, request);
    return { [family.dataKey]: all };
  }

  private async unanswered(request: RestoreDataRequest, port: number | null, reason: string): Promise<void> {
    this.context.onEvent({ type: 'unanswered-data-request', dataType: request.dataType, reason });
    await this.reply(request, port, {});
  }

  private async reply(request: RestoreDataRequest, port: number | null, value: PlistDict, format: PlistFormat = 'xml'): Promise<void> {
    await this.withReplyChannel(request, port, (channel) => channel.send(value, format));
  }

  private async streamFileData(request: RestoreDataRequest, port: number | null, data: Uint8Array): Promise<void> {
    await this.withReplyChannel(request, port, async (channel) => {
      for (let offset = 0; offset < data.length; offset += FILE_DATA_CHUNK_BYTES) {
        if (request.signal.aborted) return;
        await channel.send({ FileData: data.subarray(offset, Math.min(offset + FILE_DATA_CHUNK_BYTES, data.length)) });
      }
      await channel.send({ FileDataDone: true });
    });
  }

  private async withReplyChannel(
    request: RestoreDataRequest,
    port: number | null,
    write: (channel: ReplyChannel) => Promise<void>,
  ): Promise<void> {
    if (port === null) {
      await this.context.main.exclusive(write);
      return;
    }
    const connection = await this.open(request, port);
    const channel = new PlistChannel(connection, { format: 'xml', maxBytes: MAX_PHONE_MESSAGE_BYTES });
    try {
      await write(channel);
      await endGracefully(connection);
    } finally {
      connection.destroy();
    }
  }

  private async withRawPort(request: RestoreDataRequest, port: number, use: (connection: Duplex) => Promise<void>): Promise<void> {
    const connection = await this.open(request, port);
    try {
      await use(connection);
      await endGracefully(connection);
    } finally {
      connection.destroy();
    }
  }

  private async open(request: RestoreDataRequest, port: number): Promise<Duplex> {
    try {
      return await this.context.openPort(port, request.signal);
    } catch (error) {
      if (request.signal.aborted) throw error;
      throw new RestoredError('data-port', `Could not open the phone's port ${port} for ${request.dataType}`, {
        dataType: request.dataType,
        cause: error,
      });
    }
  }
}
