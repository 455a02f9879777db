/**
 * What SecureROM / iBSS / iBEC check before booting an image (docs/protocols/boot-chain.md#simulator-boot-chain ): an IMG4 of
 * the type this stage expects, a ticket signed by the key the phone trusts (the practice signing server's test key),
 * ECID / CHIP / BORD of this phone, BNCH equal to its current ApNonce, and the ticket's DGST for this tag equal to
 * the hash of the IM4P as received — which catches a missing restore tag rewrite.
 */
import type { KeyObject } from 'node:crypto';
import { hashForDigestLength, im4pDigest } from '../../img4/img4-digest';
import { parseImg4 } from '../../img4/img4';
import { parseIm4m, propertyBytes, propertyInteger } from '../../img4/im4m';
import { parseIm4p } from '../../img4/im4p';
import { ticketSignatureValid } from '../../img4/ticket-signature';

export type ImageVerdict = { ok: true; tag: string } | { ok: false; tag: string | null; reason: string };

export type ImageExpectation = {
  tags: readonly string[];
  ecid: bigint;
  cpid: number;
  bdid: number;
  apNonce: Uint8Array;
  ticketKey: KeyObject | string;
};

/** A copy of the ticket an accepted IMG4 carries (null when it has none or is unreadable). */
export function ticketOf(image: Uint8Array): Uint8Array | null {
  try {
    const im4m = parseImg4(image).im4m;
    return im4m ? Uint8Array.from(im4m) : null;
  } catch {
    return null;
  }
}

export function checkBootImage(image: Uint8Array, expected: ImageExpectation): ImageVerdict {
  let tag: string | null = null;
  try {
    const parts = parseImg4(image);
    tag = parseIm4p(parts.im4p).type;
    if (!expected.tags.includes(tag)) return { ok: false, tag, reason: `image type ${tag} is not one of ${expected.tags.join(', ')}` };
    if (!parts.im4m) return { ok: false, tag, reason: 'the image carries no ticket' };
    if (!ticketSignatureValid(parts.im4m, expected.ticketKey)) return { ok: false, tag, reason: 'the ticket signature is not valid' };
    const ticket = parseIm4m(parts.im4m);
    const m = ticket.manifest;
    if (propertyInteger(m, 'ECID') !== expected.ecid) return { ok: false, tag, reason: 'the ticket is for another ECID' };
    if (propertyInteger(m, 'CHIP') !== BigInt(expected.cpid)) return { ok: false, tag, reason: 'the ticket is for another chip' };
    if (propertyInteger(m, 'BORD') !== BigInt(expected.bdid)) return { ok: false, tag, reason: 'the ticket is for another board' };
    const bnch = propertyBytes(m, 'BNCH');
    if (!bnch || !Buffer.from(bnch).equals(Buffer.from(expected.apNonce)))
      return { ok: false, tag, reason: 'BNCH does not match the current ApNonce' };
    const digest = propertyBytes(ticket.images.get(tag), 'DGST');
    if (!digest) return { ok: false, tag, reason: `the ticket has no digest for ${tag}` };
    if (!im4pDigest(parts.im4p, hashForDigestLength(digest.byteLength)).equals(Buffer.from(digest))) {
      return { ok: false, tag, reason: `the ${tag} payload does not match the ticket’s digest` };
    }
    return { ok: true, tag };
  } catch (error) {
    return { ok: false, tag, reason: `not a valid IMG4 (${error instanceof Error ? error.message : String(error)})` };
  }
}
