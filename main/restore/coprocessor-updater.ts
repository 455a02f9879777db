/**
 * Answers restored's FirmwareUpdaterData requests (docs/protocols/restored.md#firmware-updater-data): the phone names a
 * coprocessor updater and reports its chip; the chip's request goes to the signing server, and the answer — the
 * signing server's dictionary with the chip's ticket, plus the firmware bytes when the phone lists `FirmwareData` in
 * its ResponseTags — becomes `FirmwareResponseData`. SE (secure element) and Savage (Face ID) are served; any other
 * updater fails clearly instead of sending the phone something it cannot use.
 */
import type { IpswArchive } from '../ipsw/ipsw-reader';
import type { BuildIdentity } from '../ipsw/build-manifest';
import { isPlistDict, type PlistDict, type PlistValue } from '../plist/plist-value';
import { postTssRequest, type TssClientOptions } from '../tss/tss-client';
import { buildSavageTicketRequest, buildSeTicketRequest, type CoprocessorTicketRequest } from '../tss/tss-coprocessor-request';
import { TssError } from '../tss/tss-error';
import { statusError } from '../tss/tss-response';
import type { CoprocessorUpdater } from './restore-data';

/** The biggest coprocessor firmware read into memory. */
export const MAX_COPROCESSOR_FIRMWARE_BYTES = 32 * 1024 * 1024;
export const MAX_COPROCESSOR_TICKET_BYTES = 64 * 1024;
const MAX_NAME_CHARS = 64;
const MAX_RESPONSE_TAGS = 16;
/** docs/protocols/restored.md#firmware-updater-data: Savage firmware travels behind a 16-byte header. */
export const SAVAGE_HEADER_BYTES = 16;

export type CoprocessorUpdaterOptions = {
  archive: IpswArchive;
  identity: BuildIdentity;
  tss?: TssClientOptions;
};

export class CoprocessorUpdateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoprocessorUpdateError';
  }
}

/** What the phone's FirmwareUpdaterData Arguments say, bounded. */
export type FirmwareUpdaterRequest = {
  updater: string;
  info: PlistDict;
  deviceGeneratedRequest: PlistDict | undefined;
  responseTags: string[];
};

export function parseFirmwareUpdaterRequest(args: PlistDict): FirmwareUpdaterRequest {
  const bad = (why: string): CoprocessorUpdateError => new CoprocessorUpdateError(`The phone's FirmwareUpdaterData request ${why}`);
  if (args.MessageArgType !== 'FirmwareResponseData') throw bad('asks for something other than FirmwareResponseData');
  const updater = args.MessageArgUpdaterName;
  if (typeof updater !== 'string' || updater.length === 0 || updater.length > MAX_NAME_CHARS) throw bad('names no updater');
  if (!isPlistDict(args.MessageArgInfo)) throw bad('has no MessageArgInfo');
  const generated = args.DeviceGeneratedRequest;
  if (generated !== undefined && !isPlistDict(generated)) throw bad('has a DeviceGeneratedRequest that is not a dictionary');
  const tagsValue = isPlistDict(args.DeviceGeneratedTags) ? args.DeviceGeneratedTags.ResponseTags : undefined;
  const tags = Array.isArray(tagsValue)
    ? tagsValue.slice(0, MAX_RESPONSE_TAGS).filter((tag): tag is string => typeof tag === 'string' && tag.length <= MAX_NAME_CHARS)
    : [];
  return { updater, info: args.MessageArgInfo, deviceGeneratedRequest: generated, responseTags: tags };
}

function ticketRequestFor(identity: BuildIdentity, request: FirmwareUpdaterRequest): CoprocessorTicketRequest {
  const { updater, info, deviceGeneratedRequest } = request;
  if (updater === 'SE') return buildSeTicketRequest(identity, info, deviceGeneratedRequest);
  if (updater === 'Savage') {
    // Newer Face ID modules report through the same updater with their own device info (Yonkers, Jasmine).
    const other = ['YonkersDeviceInfo', 'JasmineIR1DeviceInfo'].find((key) => isPlistDict(info[key]));
    if (other)
      throw new CoprocessorUpdateError(
        `This phone's Face ID module (${other.replace('DeviceInfo', '')}) needs a firmware update Lifeline does not support yet`,
      );
    return buildSavageTicketRequest(identity, info, deviceGeneratedRequest);
  }
  throw new CoprocessorUpdateError(`This phone asked to update its ${updater} coprocessor, which Lifeline does not support yet`);
}

async function firmwareBytes(options: CoprocessorUpdaterOptions, ticketRequest: CoprocessorTicketRequest): Promise<Buffer> {
  const component = options.identity.components.find((c) => c.name === ticketRequest.component);
  if (!component?.path) throw new CoprocessorUpdateError(`The firmware names no file for ${ticketRequest.component}`);
  const bytes = await options.archive.readSmall(component.path, MAX_COPROCESSOR_FIRMWARE_BYTES);
  if (ticketRequest.family !== 'Savage') return bytes;
  const framed = Buffer.alloc(SAVAGE_HEADER_BYTES + bytes.length);
  framed.writeUInt32LE(bytes.length, 4);
  bytes.copy(framed, SAVAGE_HEADER_BYTES);
  return framed;
}

export function coprocessorUpdaterFor(options: CoprocessorUpdaterOptions): CoprocessorUpdater {
  return {
    async responseData(args: PlistDict, signal: AbortSignal): Promise<PlistValue> {
      const request = parseFirmwareUpdaterRequest(args);
      const ticketRequest = ticketRequestFor(options.identity, request);
      const answer = await postTssRequest(ticketRequest.request, { ...options.tss, signal });
      if (answer.status !== 0) throw statusError(answer.status ?? -1, answer.message);
      const response = answer.plist;
      const ticket = response?.[ticketRequest.ticketKey];
      if (!response || !(ticket instanceof Uint8Array) || ticket.byteLength === 0) {
        throw new TssError(`The signing server's ${request.updater} answer has no ${ticketRequest.ticketKey}`, 'bad-response');
      }
      if (ticket.byteLength > MAX_COPROCESSOR_TICKET_BYTES)
        throw new TssError(`The signing server's ${ticketRequest.ticketKey} is too large`, 'bad-response');
      if (!request.responseTags.includes('FirmwareData')) return response;
      return { ...response, FirmwareData: await firmwareBytes(options, ticketRequest) };
    },
  };
}

/** True when the identity carries firmware for a coprocessor Lifeline updates (SE or Savage components). */
export function identityHasCoprocessors(identity: BuildIdentity): boolean {
  return identity.components.some((c) => c.name.startsWith('SE,') || c.name.startsWith('Savage,'));
}
