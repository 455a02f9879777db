/**
 * IM4M, the ApImg4Ticket (docs/protocols/img4.md#structures): SEQUENCE { IA5 "IM4M", INTEGER 0, SET { MANB }, OCTET signature,
 * SEQUENCE certificates }. MANB holds MANP (BNCH, CHIP, BORD, ECID, …) and one SET of properties per image tag
 * (DGST, EPRO, ESEC, …). Small, so parsed and built with asn1js; every input is bounded first.
 */
import * as asn1js from 'asn1js';
import { checkDerShape, fourcc, fourccText } from './der';
import { Img4Error } from './img4-error';

export const MAX_IM4M_BYTES = 1024 * 1024;
const MAX_ENTRIES = 512;
/**
 * Real tickets hold one to two thousand DER elements (≈ 60 images × a handful of properties, plus certificates). asn1js
 * keeps several hundred heap bytes per element, so the bound is what keeps a dense hostile ticket's memory small.
 */
export const IM4M_DER_BOUNDS = { maxElements: 4096, maxDepth: 32 };

/** A property value as IMG4 carries it: OCTET STRING, INTEGER, BOOLEAN or IA5String. */
export type Img4Property = Uint8Array | bigint | boolean | string;
export type Img4Properties = Map<string, Img4Property>;

export type Im4m = {
  /** MANP: the phone-level properties (BNCH, CHIP, BORD, ECID, SDOM, CPRO, CSEC, snon, …). */
  manifest: Img4Properties;
  /** Per image tag (`ibss`, `rkrn`…): DGST, EPRO, ESEC, … */
  images: Map<string, Img4Properties>;
  /** DER of the SET the signature covers. */
  signedBytes: Uint8Array;
  signature: Uint8Array;
  /** DER of the certificate SEQUENCE, verbatim. */
  certificates: Uint8Array;
};

const PRIVATE = 4;

function privateTagged(code: string, inner: asn1js.AsnType): asn1js.Constructed {
  return new asn1js.Constructed({ idBlock: { tagClass: PRIVATE, tagNumber: fourcc(code) }, value: [inner] });
}

function propertyValue(value: Img4Property): asn1js.AsnType {
  if (typeof value === 'boolean') return new asn1js.Boolean({ value });
  if (typeof value === 'bigint') {
    if (value < 0n) throw new Img4Error('IMG4 integers are unsigned');
    return asn1js.Integer.fromBigInt(value);
  }
  if (typeof value === 'string') return new asn1js.IA5String({ value });
  return new asn1js.OctetString({ valueHex: value });
}

/** `[PRIV code] SEQUENCE { IA5 code, value }` — the property shape shared by IM4M and IM4R. */
export function encodeProperty(code: string, value: Img4Property | asn1js.AsnType): asn1js.Constructed {
  const inner = value instanceof asn1js.BaseBlock ? value : propertyValue(value as Img4Property);
  return privateTagged(code, new asn1js.Sequence({ value: [new asn1js.IA5String({ value: code }), inner as asn1js.AsnType] }));
}

export function propertySet(properties: Img4Properties): asn1js.Set {
  if (properties.size > MAX_ENTRIES) throw new Img4Error('too many IMG4 properties');
  return new asn1js.Set({ value: [...properties].map(([code, value]) => encodeProperty(code, value)) });
}

function asDer(block: asn1js.AsnType): Buffer {
  return Buffer.from(block.toBER(false));
}

/** The MANB SET an IM4M signature covers, built from MANP and the per-image property sets. */
export function buildIm4mBody(manifest: Img4Properties, images: Map<string, Img4Properties>): Buffer {
  if (images.size > MAX_ENTRIES) throw new Img4Error('too many IMG4 images');
  const manbEntries: asn1js.AsnType[] = [encodeProperty('MANP', propertySet(manifest))];
  for (const [tag, props] of images) manbEntries.push(encodeProperty(tag, propertySet(props)));
  const manb = encodeProperty('MANB', new asn1js.Set({ value: manbEntries }));
  return asDer(new asn1js.Set({ value: [manb] }));
}

export function buildIm4m(parts: { body: Uint8Array; signature: Uint8Array; certificates?: Uint8Array }): Buffer {
  const body = asn1js.fromBER(parts.body);
  if (body.offset === -1) throw new Img4Error('IM4M body is not DER');
  const certificates = parts.certificates ? asn1js.fromBER(parts.certificates).result : new asn1js.Sequence({ value: [] });
  return asDer(
    new asn1js.Sequence({
      value: [
        new asn1js.IA5String({ value: 'IM4M' }),
        new asn1js.Integer({ value: 0 }),
        body.result,
        new asn1js.OctetString({ valueHex: parts.signature }),
        certificates,
      ],
    }),
  );
}

function decode(der: Uint8Array, what: string): asn1js.AsnType {
  if (der.byteLength > MAX_IM4M_BYTES) throw new Img4Error(`${what} is larger than ${MAX_IM4M_BYTES} bytes`);
  checkDerShape(der, IM4M_DER_BOUNDS);
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1) throw new Img4Error(`${what} is not DER: ${parsed.result.error}`);
  return parsed.result;
}

function childrenOf(block: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!block || !(block instanceof asn1js.Constructed || block instanceof asn1js.Sequence || block instanceof asn1js.Set)) {
    throw new Img4Error(`${what} is not a constructed element`);
  }
  const value = (block.valueBlock as { value: asn1js.AsnType[] }).value;
  if (value.length > MAX_ENTRIES) throw new Img4Error(`${what} has too many elements`);
  return value;
}

function textOf(block: asn1js.AsnType | undefined, what: string): string {
  if (!(block instanceof asn1js.IA5String)) throw new Img4Error(`${what} is not an IA5String`);
  return block.getValue();
}

function scalar(block: asn1js.AsnType | undefined, code: string): Img4Property {
  if (block instanceof asn1js.OctetString) return new Uint8Array(block.valueBlock.valueHexView);
  if (block instanceof asn1js.Boolean) return block.getValue();
  if (block instanceof asn1js.Integer) {
    const raw = block.valueBlock.valueHexView;
    if (raw.byteLength > 17) throw new Img4Error(`property ${code} is too large an integer`);
    return block.toBigInt();
  }
  if (block instanceof asn1js.IA5String) return block.getValue();
  throw new Img4Error(`property ${code} has an unsupported type`);
}

/** One `[PRIV code] SEQUENCE { IA5 code, value }`; the tag number must spell the same code. */
export function decodeProperty(block: asn1js.AsnType): { code: string; value: asn1js.AsnType } {
  if (block.idBlock.tagClass !== PRIVATE) throw new Img4Error('an IMG4 property is a private-class element');
  const code = fourccText(block.idBlock.tagNumber);
  const [sequence] = childrenOf(block, `property ${code}`);
  const [name, value] = childrenOf(sequence, `property ${code}`);
  if (textOf(name, `property ${code} name`) !== code || !value) throw new Img4Error(`property ${code} is malformed`);
  return { code, value };
}

export function decodePropertySet(block: asn1js.AsnType | undefined, what: string): Img4Properties {
  const out: Img4Properties = new Map();
  for (const entry of childrenOf(block, what)) {
    const { code, value } = decodeProperty(entry);
    out.set(code, scalar(value, code));
  }
  return out;
}

export function parseIm4m(der: Uint8Array): Im4m {
  return guarded(() => parseIm4mUnguarded(der));
}

/** asn1js can throw its own errors (RangeError…) on hostile bytes: every one becomes an Img4Error. */
export function guarded<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof Img4Error) throw error;
    throw new Img4Error(`malformed DER (${error instanceof Error ? error.message : String(error)})`);
  }
}

function parseIm4mUnguarded(der: Uint8Array): Im4m {
  const root = decode(der, 'the ticket (IM4M)');
  const [magic, , body, signature, certificates] = childrenOf(root, 'IM4M');
  if (textOf(magic, 'IM4M magic') !== 'IM4M') throw new Img4Error('not an IM4M (magic)');
  if (!(signature instanceof asn1js.OctetString)) throw new Img4Error('the IM4M has no signature');
  const [manbTagged] = childrenOf(body, 'IM4M body');
  if (!manbTagged) throw new Img4Error('the IM4M has no MANB');
  const manb = decodeProperty(manbTagged);
  if (manb.code !== 'MANB') throw new Img4Error('the IM4M body is not MANB');
  let manifest: Img4Properties | null = null;
  const images = new Map<string, Img4Properties>();
  for (const entry of childrenOf(manb.value, 'MANB')) {
    const { code, value } = decodeProperty(entry);
    if (code === 'MANP') manifest = decodePropertySet(value, 'MANP');
    else images.set(code, decodePropertySet(value, `image ${code}`));
  }
  if (!manifest) throw new Img4Error('the IM4M has no MANP');
  return {
    manifest,
    images,
    signedBytes: new Uint8Array(body!.toBER(false)),
    signature: new Uint8Array(signature.valueBlock.valueHexView),
    certificates: certificates ? new Uint8Array(certificates.toBER(false)) : new Uint8Array(0),
  };
}

export const propertyBytes = (props: Img4Properties | undefined, code: string): Uint8Array | undefined => {
  const value = props?.get(code);
  return value instanceof Uint8Array ? value : undefined;
};
export const propertyInteger = (props: Img4Properties | undefined, code: string): bigint | undefined => {
  const value = props?.get(code);
  return typeof value === 'bigint' ? value : undefined;
};
