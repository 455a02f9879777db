/**
 * Minimal, bounded DER header walker and encoder (docs/protocols/img4.md#der). Used for the big containers (IM4P, IMG4)
 * so multi-megabyte payloads stay zero-copy views; the small structures (IM4M, IM4R) go through asn1js.
 */
import { Img4Error } from './img4-error';

export const DER_SEQUENCE = 0x30;
export const DER_SET = 0x31;
export const DER_IA5 = 0x16;
export const DER_OCTET = 0x04;
export const DER_INTEGER = 0x02;
export const DER_BOOLEAN = 0x01;

/** docs/protocols/img4.md#der: IPSW payloads need at most 4 length bytes. */
const MAX_LENGTH_BYTES = 4;

export type DerElement = {
  /** First identifier byte (class + constructed bit + low tag). */
  tag: number;
  /** Tag number (for the high-tag form, the decoded base-128 value). */
  tagNumber: number;
  /** Offset of the element's first byte in the buffer. */
  start: number;
  /** Offset of the content. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
};

/** Reads one element header at `offset`, checking it fits inside `limit`. */
export function readElement(buffer: Uint8Array, offset: number, limit: number = buffer.length): DerElement {
  let at = offset;
  const byte = (): number => {
    if (at >= limit) throw new Img4Error('DER element runs past its container');
    return buffer[at++] as number;
  };
  const tag = byte();
  let tagNumber = tag & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let i = 0; ; i++) {
      if (i >= 5) throw new Img4Error('DER tag number too long');
      const b = byte();
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  const first = byte();
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > MAX_LENGTH_BYTES) throw new Img4Error('unsupported DER length form');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + byte();
  }
  const contentStart = at;
  const end = contentStart + length;
  if (end > limit) throw new Img4Error('DER element runs past its container');
  return { tag, tagNumber, start: offset, contentStart, end };
}

/** The direct children of a constructed element, at most `maxChildren`. */
export function children(buffer: Uint8Array, parent: DerElement, maxChildren = 64): DerElement[] {
  const out: DerElement[] = [];
  let at = parent.contentStart;
  while (at < parent.end) {
    if (out.length >= maxChildren) throw new Img4Error('too many DER elements');
    const child = readElement(buffer, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/**
 * Walks the first element and every element inside it, and throws once there are more than `maxElements` or they
 * nest deeper than `maxDepth`. Run before handing bytes to a decoder that builds an object per element (asn1js: a
 * few hundred bytes of heap for each two-byte element), so its memory stays bounded whatever the input.
 */
export function checkDerShape(buffer: Uint8Array, bounds: { maxElements: number; maxDepth: number }): void {
  let count = 0;
  const walk = (element: DerElement, depth: number): void => {
    if (++count > bounds.maxElements) throw new Img4Error(`more than ${bounds.maxElements} DER elements`);
    if (depth > bounds.maxDepth) throw new Img4Error(`DER nests deeper than ${bounds.maxDepth}`);
    if ((element.tag & 0x20) === 0) return;
    for (let at = element.contentStart; at < element.end;) {
      const child = readElement(buffer, at, element.end);
      walk(child, depth + 1);
      at = child.end;
    }
  };
  walk(readElement(buffer, 0), 0);
}

export function content(buffer: Uint8Array, element: DerElement): Uint8Array {
  return buffer.subarray(element.contentStart, element.end);
}

export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  if (bytes.length > MAX_LENGTH_BYTES) throw new Img4Error('DER content too large');
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Header (tag + length) for content of `length` bytes; the content itself is appended by the caller. */
export function header(tag: number, length: number): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(length)]);
}

export function encode(tag: number, ...parts: Uint8Array[]): Buffer {
  const length = parts.reduce((sum, part) => sum + part.byteLength, 0);
  return Buffer.concat([header(tag, length), ...parts]);
}

export const ia5 = (text: string): Buffer => encode(DER_IA5, Buffer.from(text, 'latin1'));

export function readIa5(buffer: Uint8Array, element: DerElement | undefined, what: string): string {
  if (!element || element.tag !== DER_IA5) throw new Img4Error(`${what} is not an IA5String`);
  return Buffer.from(content(buffer, element)).toString('latin1');
}

/** A four-character code as a 32-bit number (docs/protocols/img4.md#der: private high-tag numbers). */
export function fourcc(code: string): number {
  if (!/^[\x20-\x7e\0]{4}$/.test(code)) throw new Img4Error(`not a four-character code: ${JSON.stringify(code)}`);
  return Buffer.from(code, 'latin1').readUInt32BE(0);
}

export function fourccText(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b.toString('latin1');
}
