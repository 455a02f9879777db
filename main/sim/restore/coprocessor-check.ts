/**
 * What the virtual phone's coprocessors check in the host's FirmwareUpdaterData answer
 * (docs/protocols/restored.md#firmware-updater-data): the chip's ticket is signed by the key the phone trusts, bound to
 * that chip (its ids, its nonce, its signing world) and names the BuildManifest's digest of the firmware this chip
 * needs; when the phone asked for FirmwareData, the bytes are that firmware (Savage's behind its 16-byte header).
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { BuildIdentity } from '../../ipsw/build-manifest';
import { parseIm4m, propertyBytes, propertyInteger, type Im4m } from '../../img4/im4m';
import { ticketSignatureValid } from '../../img4/ticket-signature';
import { isPlistDict, type PlistDict, type PlistValue } from '../../plist/plist-value';
import { SAVAGE_HEADER_BYTES } from '../../restore/coprocessor-updater';
import { savagePatchComponent } from '../../tss/tss-coprocessor-request';
import type { AnswerVerdict } from './restore-answer-checks';
import { RestoreStatus } from './restore-status';

const fail = (reason: string): AnswerVerdict => ({ ok: false, status: RestoreStatus.Fail, reason });
const same = (a: Uint8Array | undefined, b: PlistValue | undefined): boolean =>
  a !== undefined && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function integer(value: PlistValue | undefined): bigint | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return typeof value === 'bigint' ? value : undefined;
}

function manifestEntry(identity: BuildIdentity, name: string): PlistDict | null {
  const manifest = identity.raw.Manifest;
  return isPlistDict(manifest) && isPlistDict(manifest[name]) ? manifest[name] : null;
}

function signedTicket(response: PlistDict, key: string, trusted: KeyObject | string): Im4m | string {
  const ticket = response[key];
  if (!(ticket instanceof Uint8Array)) return `${key} is missing`;
  if (!ticketSignatureValid(ticket, trusted)) return `${key} is not signed by a key the chip trusts`;
  try {
    return parseIm4m(ticket);
  } catch {
    return `${key} is unreadable`;
  }
}

function firmwareDigestMatches(bytes: PlistValue | undefined, entry: PlistDict | null): boolean {
  const digest = entry?.Digest;
  if (!(bytes instanceof Uint8Array) || !(digest instanceof Uint8Array)) return false;
  return createHash('sha384').update(bytes).digest().equals(Buffer.from(digest));
}

function checkSe(
  response: PlistDict,
  info: PlistDict,
  identity: BuildIdentity,
  trusted: KeyObject | string,
  wantsFirmware: boolean,
): AnswerVerdict {
  const ticket = signedTicket(response, 'SE,Ticket', trusted);
  if (typeof ticket === 'string') return fail(`SE: ${ticket}`);
  const m = ticket.manifest;
  if (propertyInteger(m, 'CHIP') !== integer(info['SE,ChipID'])) return fail('SE: the ticket is for another secure element chip');
  if (!same(propertyBytes(m, 'SNUM'), info['SE,ID'])) return fail('SE: the ticket is for another secure element');
  if (!same(propertyBytes(m, 'BNCH'), info['SE,Nonce'])) return fail('SE: the ticket does not carry the secure element’s nonce');
  if (!same(propertyBytes(m, 'RKID'), info['SE,RootKeyIdentifier'])) return fail('SE: the ticket is for another root key');
  const entry = manifestEntry(identity, 'SE,UpdatePayload');
  const image = ticket.images.get('sefw');
  if (!entry || !same(propertyBytes(image, 'DGST'), entry.Digest))
    return fail('SE: the ticket does not name this firmware’s SE,UpdatePayload');
  const development = info['SE,IsDev'] === true;
  if (
    !same(
      propertyBytes(image, development ? 'DHSH' : 'PHSH'),
      development ? entry.DevelopmentUpdatePayloadHash : entry.ProductionUpdatePayloadHash,
    )
  ) {
    return fail('SE: the ticket is for the other signing world');
  }
  if (propertyBytes(image, development ? 'PHSH' : 'DHSH') !== undefined) return fail('SE: the ticket carries both signing worlds');
  const digests: Record<string, string> = { 'SE,Ticket': sha256(response['SE,Ticket'] as Uint8Array) };
  if (wantsFirmware) {
    if (!firmwareDigestMatches(response.FirmwareData, entry)) return fail('SE: FirmwareData is not this firmware’s SE,UpdatePayload');
    digests['SE,UpdatePayload'] = sha256(response.FirmwareData as Uint8Array);
  }
  return { ok: true, digests };
}

function checkSavage(
  response: PlistDict,
  info: PlistDict,
  identity: BuildIdentity,
  trusted: KeyObject | string,
  wantsFirmware: boolean,
): AnswerVerdict {
  const ticket = signedTicket(response, 'Savage,Ticket', trusted);
  if (typeof ticket === 'string') return fail(`Savage: ${ticket}`);
  const m = ticket.manifest;
  if (propertyInteger(m, 'CHIP') !== integer(info['Savage,ChipID'])) return fail('Savage: the ticket is for another chip');
  if (!same(propertyBytes(m, 'SNUM'), info['Savage,UID'])) return fail('Savage: the ticket is for another Face ID module');
  if (!same(propertyBytes(m, 'BNCH'), info['Savage,Nonce'])) return fail('Savage: the ticket does not carry the module’s nonce');
  if (propertyInteger(m, 'EPOC') !== integer(info['Savage,PatchEpoch'])) return fail('Savage: the ticket is for another patch epoch');
  if (m.get('CPRO') !== (info['Savage,ProductionMode'] === true)) return fail('Savage: the ticket is for the other signing world');
  if (!same(propertyBytes(ticket.images.get('sepi'), 'DGST'), manifestEntry(identity, 'SEP')?.Digest))
    return fail('Savage: the ticket does not name this firmware’s SEP');
  const revision = info['Savage,Revision'];
  const patch = savagePatchComponent(info['Savage,ProductionMode'] === true, revision instanceof Uint8Array ? revision : undefined);
  const entry = manifestEntry(identity, patch);
  if (!entry || !same(propertyBytes(ticket.images.get('svgp'), 'DGST'), entry.Digest))
    return fail(`Savage: the ticket does not name ${patch}, the patch this module needs`);
  const digests: Record<string, string> = { 'Savage,Ticket': sha256(response['Savage,Ticket'] as Uint8Array) };
  if (wantsFirmware) {
    const data = response.FirmwareData;
    if (!(data instanceof Uint8Array) || data.byteLength < SAVAGE_HEADER_BYTES) return fail('Savage: FirmwareData is missing');
    const framed = Buffer.from(data);
    if (
      !framed.subarray(0, 4).equals(Buffer.alloc(4)) ||
      framed.readUInt32LE(4) !== framed.length - SAVAGE_HEADER_BYTES ||
      !framed.subarray(8, 16).equals(Buffer.alloc(8))
    ) {
      return fail('Savage: FirmwareData lacks its 16-byte header');
    }
    const body = framed.subarray(SAVAGE_HEADER_BYTES);
    if (!firmwareDigestMatches(body, entry)) return fail(`Savage: FirmwareData is not this firmware’s ${patch}`);
    digests[patch] = sha256(body);
  }
  return { ok: true, digests };
}

/** The phone's verdict on `{FirmwareResponseData}` for the FirmwareUpdaterData request it sent with `args`. */
export function checkCoprocessorAnswer(
  answer: PlistDict,
  args: PlistDict,
  identity: BuildIdentity,
  trusted: KeyObject | string,
): AnswerVerdict {
  const response = answer.FirmwareResponseData;
  if (!isPlistDict(response)) return fail('FirmwareResponseData is missing');
  const info = isPlistDict(args.MessageArgInfo) ? args.MessageArgInfo : {};
  const tags =
    isPlistDict(args.DeviceGeneratedTags) && Array.isArray(args.DeviceGeneratedTags.ResponseTags)
      ? args.DeviceGeneratedTags.ResponseTags
      : [];
  const wantsFirmware = tags.includes('FirmwareData');
  if (args.MessageArgUpdaterName === 'SE') return checkSe(response, info, identity, trusted, wantsFirmware);
  if (args.MessageArgUpdaterName === 'Savage') return checkSavage(response, info, identity, trusted, wantsFirmware);
  return fail(`no ${String(args.MessageArgUpdaterName)} chip on this phone`);
}
