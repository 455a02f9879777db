/**
 * IMG4 = SEQUENCE { IA5 "IMG4", IM4P, [0] { IM4M }, optional [1] { IM4R } } (docs/protocols/img4.md#structures) and the
 * personalisation of docs/protocols/img4.md#personalisation: tag rewrite, then wrap with the one ticket shared by the whole AP boot chain.
 */
import { DER_SEQUENCE, children, encode, ia5, readElement, readIa5 } from './der';
import { Img4Error } from './img4-error';
import { parseIm4pLayout, rewriteIm4pType } from './im4p';

const CONTEXT_0 = 0xa0;
const CONTEXT_1 = 0xa1;

export type Img4Parts = {
  /** The IM4P DER exactly as sent (views into the input). */
  im4p: Uint8Array;
  im4m: Uint8Array | null;
  im4r: Uint8Array | null;
};

export function buildImg4(parts: { im4p: Uint8Array; im4m: Uint8Array; im4r?: Uint8Array }): Buffer {
  const tail: Uint8Array[] = [encode(CONTEXT_0, parts.im4m)];
  if (parts.im4r) tail.push(encode(CONTEXT_1, parts.im4r));
  return encode(DER_SEQUENCE, ia5('IMG4'), parts.im4p, ...tail);
}

export function parseImg4(der: Uint8Array): Img4Parts {
  const outer = readElement(der, 0);
  if (outer.tag !== DER_SEQUENCE) throw new Img4Error('an IMG4 is a SEQUENCE');
  const parts = children(der, outer, 8);
  if (readIa5(der, parts[0], 'IMG4 magic') !== 'IMG4') throw new Img4Error('not an IMG4 (magic)');
  const im4pElement = parts[1];
  if (!im4pElement) throw new Img4Error('the IMG4 has no IM4P');
  const im4p = der.subarray(im4pElement.start, im4pElement.end);
  parseIm4pLayout(im4p);
  let im4m: Uint8Array | null = null;
  let im4r: Uint8Array | null = null;
  for (const element of parts.slice(2)) {
    const inner = children(der, element, 1)[0];
    if (!inner) throw new Img4Error('empty IMG4 context element');
    if (element.tag === CONTEXT_0) im4m = der.subarray(inner.start, inner.end);
    else if (element.tag === CONTEXT_1) im4r = der.subarray(inner.start, inner.end);
    else throw new Img4Error('unexpected element in IMG4');
  }
  return { im4p, im4m, im4r };
}

/**
 * docs/protocols/img4.md#personalisation: personalise one component — rewrite the IM4P type to the tag the component boots as, wrap
 * it with the ticket (and an IM4R when given). Returns the IMG4 and the rewritten IM4P (whose hash is the digest).
 */
export function personalise(im4pFile: Uint8Array, tag: string, ticket: Uint8Array, im4r?: Uint8Array): { img4: Buffer; im4p: Buffer } {
  const im4p = rewriteIm4pType(im4pFile, tag);
  return { img4: buildImg4({ im4p, im4m: ticket, ...(im4r ? { im4r } : {}) }), im4p };
}
