/**
 * IM4R (docs/protocols/img4.md#structures): SEQUENCE { IA5 "IM4R", SET { [PRIV '4cc'] SEQUENCE { IA5 '4cc', value } … } }.
 * BNCN is the 8-byte boot-nonce generator; PyIMG4 stores it byte-reversed, so callers pass the bytes as sent.
 */
import * as asn1js from 'asn1js';
import { Img4Error } from './img4-error';
import { checkDerShape } from './der';
import { IM4M_DER_BOUNDS, decodePropertySet, guarded, propertySet, type Img4Properties } from './im4m';

const MAX_IM4R_BYTES = 64 * 1024;

export function buildIm4r(properties: Img4Properties): Buffer {
  return Buffer.from(new asn1js.Sequence({ value: [new asn1js.IA5String({ value: 'IM4R' }), propertySet(properties)] }).toBER(false));
}

export function parseIm4r(der: Uint8Array): Img4Properties {
  return guarded(() => {
    if (der.byteLength > MAX_IM4R_BYTES) throw new Img4Error('IM4R too large');
    checkDerShape(der, IM4M_DER_BOUNDS);
    const parsed = asn1js.fromBER(der);
    if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) throw new Img4Error('IM4R is not a DER SEQUENCE');
    const [magic, set] = parsed.result.valueBlock.value;
    if (!(magic instanceof asn1js.IA5String) || magic.getValue() !== 'IM4R') throw new Img4Error('not an IM4R (magic)');
    return decodePropertySet(set, 'IM4R');
  });
}

/** An IM4R carrying only the boot-nonce generator (docs/protocols/img4.md#personalisation step 3, for nonce-slot devices). */
export function buildBncnIm4r(generator: Uint8Array): Buffer {
  if (generator.byteLength !== 8) throw new Img4Error('BNCN is an 8-byte generator');
  return buildIm4r(new Map([['BNCN', generator]]));
}
