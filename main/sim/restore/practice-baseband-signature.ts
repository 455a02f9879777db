/**
 * Lifeline's practice stand-in for Apple's baseband signatures (docs/protocols/baseband.md#practice-signatures),
 * shared by the fake signing server and the virtual phone's modem check. Apple's real formats are private; these
 * keep the real *shape*: a nonce-bound BBTicket (an IM4M signed with the practice test key) and one fixed-size blob
 * per signed element that the host stitches over the end of its file.
 *
 * A practice modem image is a v1 MBN: a 40-byte header (type 0x0A, data size = file size − 40, signature offset
 * after the header) then code, then a signature area of PRACTICE_BB_BLOB_BYTES. Its manifest PartialDigest is the
 * SHA-256 of everything before the signature area.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import type { Img4Properties } from '../../img4/im4m';
import { signTicket, type TicketSigningKey } from '../../img4/ticket-signature';

export const PRACTICE_BB_BLOB_BYTES = 256;
export const MBN_V1_HEADER_BYTES = 40;
const MBN_V1_TYPE = 0x0a;

export type PracticeModem = { ecid: bigint; bbChipId: number; bbGoldCertId: number; bbSnum: Uint8Array };

/** A practice MBN of `codeBytes` deterministic bytes, with (signed) or without a signature area. */
export function practiceMbn(name: string, codeBytes: number, signed: boolean): Buffer {
  const area = signed ? PRACTICE_BB_BLOB_BYTES : 0;
  const file = Buffer.alloc(MBN_V1_HEADER_BYTES + codeBytes + area);
  file.writeUInt32LE(MBN_V1_TYPE, 0);
  file.writeUInt32LE(file.length - MBN_V1_HEADER_BYTES, 0x10);
  file.writeUInt32LE(codeBytes, 0x14);
  const seed = createHash('sha256').update(name).digest();
  for (let at = MBN_V1_HEADER_BYTES; at < MBN_V1_HEADER_BYTES + codeBytes; at++) file[at] = seed[at % seed.length]! ^ (at & 0xff);
  return file;
}

/** The signature area a practice MBN declares, or null when the bytes are not one (or declare none). */
export function practiceSignatureArea(file: Uint8Array): { start: number; length: number } | null {
  if (file.byteLength < MBN_V1_HEADER_BYTES) return null;
  const view = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (view.readUInt32LE(0) !== MBN_V1_TYPE || view.readUInt32LE(0x10) !== file.byteLength - MBN_V1_HEADER_BYTES) return null;
  const start = MBN_V1_HEADER_BYTES + view.readUInt32LE(0x14);
  if (start > file.byteLength) return null;
  const length = file.byteLength - start;
  return length === 0 ? null : { start, length };
}

export function practicePartialDigest(file: Uint8Array): Buffer {
  const area = practiceSignatureArea(file);
  return createHash('sha256')
    .update(file.subarray(0, area ? area.start : file.byteLength))
    .digest();
}

function blobMessage(element: string, partialDigest: Uint8Array, modem: PracticeModem): Buffer {
  const ecid = Buffer.alloc(8);
  ecid.writeBigUInt64BE(modem.ecid);
  return Buffer.concat([Buffer.from(`lifeline-practice-bb-blob\0${element}\0`), partialDigest, Buffer.from(modem.bbSnum), ecid]);
}

/** A fixed-size blob: u16 LE signature length, the DER ECDSA signature, zero padding. */
export function signPracticeBlob(key: TicketSigningKey, element: string, partialDigest: Uint8Array, modem: PracticeModem): Buffer {
  const signature = sign('sha256', blobMessage(element, partialDigest, modem), key.privateKey);
  const blob = Buffer.alloc(PRACTICE_BB_BLOB_BYTES);
  blob.writeUInt16LE(signature.length, 0);
  signature.copy(blob, 2);
  return blob;
}

export function practiceBlobValid(
  publicKey: KeyObject,
  blob: Uint8Array,
  element: string,
  partialDigest: Uint8Array,
  modem: PracticeModem,
): boolean {
  if (blob.byteLength !== PRACTICE_BB_BLOB_BYTES) return false;
  const length = Buffer.from(blob).readUInt16LE(0);
  if (length === 0 || length > PRACTICE_BB_BLOB_BYTES - 2) return false;
  try {
    return verify('sha256', blobMessage(element, partialDigest, modem), publicKey, blob.subarray(2, 2 + length));
  } catch {
    return false;
  }
}

/** The practice BBTicket: MANP holds ECID, CHIP (BbChipID), CTID (BbGoldCertId), SNUM (BbSNUM) and BNCH (BbNonce, when sent). */
export function signPracticeBbTicket(key: TicketSigningKey, modem: PracticeModem, bbNonce: Uint8Array | null): Buffer {
  const manifest: Img4Properties = new Map<string, Uint8Array | bigint | boolean>([
    ['ECID', modem.ecid],
    ['CHIP', BigInt(modem.bbChipId)],
    ['CTID', BigInt(modem.bbGoldCertId)],
    ['SNUM', Buffer.from(modem.bbSnum)],
  ]);
  if (bbNonce) manifest.set('BNCH', Buffer.from(bbNonce));
  return signTicket(key, manifest, new Map());
}
