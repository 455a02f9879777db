/**
 * IM4P (docs/protocols/img4.md#structures): SEQUENCE { IA5 "IM4P", IA5 type, IA5 description, OCTET payload, [keybags], … }.
 * Parsed with the bounded header walker so the payload stays a view of the input, never a copy.
 */
import { DER_OCTET, DER_SEQUENCE, children, content, encode, ia5, readElement, readIa5 } from './der';
import { Img4Error } from './img4-error';

export type Im4p = {
  type: string;
  description: string;
  payload: Uint8Array;
  /** DER of the elements after the payload (keybags, compression info, PAYP), kept verbatim. */
  extras: Uint8Array[];
};

/** Where the 4-byte type lives inside an IM4P DER, for the in-place restore tag rewrite (docs/protocols/img4.md#personalisation step 2). */
export type Im4pLayout = Im4p & { typeOffset: number; length: number };

export function parseIm4pLayout(der: Uint8Array): Im4pLayout {
  const outer = readElement(der, 0);
  if (outer.tag !== DER_SEQUENCE) throw new Img4Error('an IM4P is a SEQUENCE');
  const parts = children(der, outer, 16);
  if (readIa5(der, parts[0], 'IM4P magic') !== 'IM4P') throw new Img4Error('not an IM4P (magic)');
  const typeElement = parts[1];
  const type = readIa5(der, typeElement, 'IM4P type');
  if (type.length !== 4 || !typeElement) throw new Img4Error('an IM4P type is four characters');
  const description = readIa5(der, parts[2], 'IM4P description');
  const payloadElement = parts[3];
  if (!payloadElement || payloadElement.tag !== DER_OCTET) throw new Img4Error('the IM4P payload is not an OCTET STRING');
  return {
    type,
    description,
    payload: content(der, payloadElement),
    extras: parts.slice(4).map((p) => der.subarray(p.start, p.end)),
    typeOffset: typeElement.contentStart,
    length: outer.end,
  };
}

export function parseIm4p(der: Uint8Array): Im4p {
  const { type, description, payload, extras } = parseIm4pLayout(der);
  return { type, description, payload, extras };
}

export function buildIm4p(im4p: Omit<Im4p, 'extras'> & { extras?: Uint8Array[] }): Buffer {
  if (!/^[\x20-\x7e\0]{4}$/.test(im4p.type)) throw new Img4Error('an IM4P type is four characters');
  return encode(DER_SEQUENCE, ia5('IM4P'), ia5(im4p.type), ia5(im4p.description), encode(DER_OCTET, im4p.payload), ...(im4p.extras ?? []));
}

/**
 * docs/protocols/img4.md#personalisation step 2: the same IM4P booted as a restore alias carries the alias's tag (rkrn, rdtr, …).
 * Same length, so no DER lengths change; returns a new buffer and never touches the input.
 * Only the IM4P element itself is returned (trailing bytes after it are dropped).
 */
export function rewriteIm4pType(der: Uint8Array, tag: string): Buffer {
  if (!/^[\x20-\x7e\0]{4}$/.test(tag)) throw new Img4Error('an IM4P type is four characters');
  const layout = parseIm4pLayout(der);
  const out = Buffer.from(der.subarray(0, layout.length));
  if (layout.type !== tag) out.write(tag, layout.typeOffset, 4, 'latin1');
  return out;
}
