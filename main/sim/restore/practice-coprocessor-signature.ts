/**
 * Lifeline's practice stand-in for the coprocessor tickets Apple's signing server issues
 * (docs/protocols/restored.md#firmware-updater-data), shared by the fake signing server and the virtual phone's check.
 * Apple's ticket formats for these chips are private; the practice ones keep what matters to a restore: an IM4M signed
 * with the practice test key, bound to the chip's identity and nonce, naming the digest of the one firmware it allows.
 *
 * SE ticket: MANP `CHIP` (SE,ChipID), `SNUM` (SE,ID), `BNCH` (SE,Nonce), `RKID` (SE,RootKeyIdentifier); image `sefw`
 * with `DGST` and the signing world's payload hash (`PHSH` production, `DHSH` development).
 * Savage ticket: MANP `CHIP`, `SNUM` (Savage,UID), `BNCH` (Savage,Nonce), `EPOC` (PatchEpoch), `CPRO` (ProductionMode);
 * images `sepi` (the SEP digest) and `svgp` (the patch).
 */
import type { Img4Properties } from '../../img4/im4m';
import { signTicket, type TicketSigningKey } from '../../img4/ticket-signature';
import { isPlistDict, type PlistDict, type PlistValue } from '../../plist/plist-value';

export type PracticeCoprocessorFamily = 'SE' | 'Savage';

const SAVAGE_PATCH = /^Savage,B[02A]-(Prod|Dev)-Patch$/;

function uintOf(value: PlistValue | undefined): bigint | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n) return value;
  return null;
}

const isData = (value: PlistValue | undefined): value is Uint8Array =>
  value instanceof Uint8Array && value.byteLength > 0 && value.byteLength <= 256;

/** Which coprocessor a signing request is for, or null when it is not a coprocessor request. */
export function coprocessorFamilyOf(request: PlistDict): PracticeCoprocessorFamily | null {
  if (request['@Savage,Ticket'] === true) return 'Savage';
  if (request['@SE,Ticket'] === true || request['@SE2,Ticket'] === true) return 'SE';
  return null;
}

function entries(request: PlistDict, match: (name: string) => boolean): [string, PlistDict][] {
  return Object.entries(request).filter((pair): pair is [string, PlistDict] => match(pair[0]) && isPlistDict(pair[1]));
}

/** What Apple's server would refuse in a coprocessor request (docs/protocols/tss.md#coprocessor-requests); null when well formed. */
export function coprocessorRequestProblem(request: PlistDict): string | null {
  const family = coprocessorFamilyOf(request);
  if (!family) return 'no coprocessor ticket asked for';
  if (request['@BBTicket'] !== true) return 'no @BBTicket';
  if (family === 'SE') {
    if (uintOf(request['SE,ChipID']) === null) return 'SE,ChipID is not an integer';
    for (const key of ['SE,ID', 'SE,Nonce', 'SE,RootKeyIdentifier']) if (!isData(request[key])) return `${key} is not data`;
    const firmware = entries(request, (name) => name.startsWith('SE,'));
    if (firmware.length === 0) return 'no SE firmware entry';
    for (const [name, entry] of firmware) {
      if (entry.Info !== undefined) return `${name} still carries Info`;
      if (!(entry.Digest instanceof Uint8Array)) return `${name} has no Digest`;
      if (entry.ProductionUpdatePayloadHash !== undefined && entry.DevelopmentUpdatePayloadHash !== undefined)
        return `${name} carries both signing worlds`;
    }
    return null;
  }
  for (const key of ['Savage,UID', 'Savage,Nonce']) if (!isData(request[key])) return `${key} is not data`;
  for (const key of ['Savage,ChipID', 'Savage,PatchEpoch']) if (uintOf(request[key]) === null) return `${key} is not an integer`;
  for (const key of ['Savage,ProductionMode', 'Savage,ReadECKey', 'Savage,ReadFWKey', 'Savage,AllowOfflineBoot'])
    if (typeof request[key] !== 'boolean') return `${key} is not a flag`;
  const sep = request.SEP;
  if (!isPlistDict(sep) || !(sep.Digest instanceof Uint8Array)) return 'no SEP digest';
  const patches = entries(request, (name) => SAVAGE_PATCH.test(name));
  if (patches.length !== 1) return `${patches.length} Savage patches instead of one`;
  const [name, patch] = patches[0]!;
  if (patch.Info !== undefined) return `${name} still carries Info`;
  if (!(patch.Digest instanceof Uint8Array)) return `${name} has no Digest`;
  if (name.includes('-Prod-') !== (request['Savage,ProductionMode'] === true)) return `${name} is for the other signing world`;
  return null;
}

/** The practice ticket for a well-formed request, under the key the answer carries it in. */
export function signPracticeCoprocessorTicket(key: TicketSigningKey, request: PlistDict): { ticketKey: string; ticket: Buffer } {
  const family = coprocessorFamilyOf(request);
  const manifest: Img4Properties = new Map();
  const images = new Map<string, Img4Properties>();
  if (family === 'SE') {
    manifest.set('CHIP', uintOf(request['SE,ChipID']) ?? 0n);
    manifest.set('SNUM', Buffer.from(request['SE,ID'] as Uint8Array));
    manifest.set('BNCH', Buffer.from(request['SE,Nonce'] as Uint8Array));
    manifest.set('RKID', Buffer.from(request['SE,RootKeyIdentifier'] as Uint8Array));
    const [, firmware] = entries(request, (name) => name.startsWith('SE,'))[0]!;
    const image: Img4Properties = new Map([['DGST', Buffer.from(firmware.Digest as Uint8Array)]]);
    if (firmware.ProductionUpdatePayloadHash instanceof Uint8Array) image.set('PHSH', Buffer.from(firmware.ProductionUpdatePayloadHash));
    if (firmware.DevelopmentUpdatePayloadHash instanceof Uint8Array) image.set('DHSH', Buffer.from(firmware.DevelopmentUpdatePayloadHash));
    images.set('sefw', image);
    return { ticketKey: request['@SE2,Ticket'] === true ? 'SE2,Ticket' : 'SE,Ticket', ticket: signTicket(key, manifest, images) };
  }
  manifest.set('CHIP', uintOf(request['Savage,ChipID']) ?? 0n);
  manifest.set('SNUM', Buffer.from(request['Savage,UID'] as Uint8Array));
  manifest.set('BNCH', Buffer.from(request['Savage,Nonce'] as Uint8Array));
  manifest.set('EPOC', uintOf(request['Savage,PatchEpoch']) ?? 0n);
  manifest.set('CPRO', request['Savage,ProductionMode'] === true);
  images.set('sepi', new Map([['DGST', Buffer.from((request.SEP as PlistDict).Digest as Uint8Array)]]));
  const [, patch] = entries(request, (name) => SAVAGE_PATCH.test(name))[0]!;
  images.set('svgp', new Map([['DGST', Buffer.from(patch.Digest as Uint8Array)]]));
  return { ticketKey: 'Savage,Ticket', ticket: signTicket(key, manifest, images) };
}
