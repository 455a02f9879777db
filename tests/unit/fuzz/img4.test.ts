import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { children, readElement } from '../../../main/img4/der';
import { IM4M_DER_BOUNDS, parseIm4m } from '../../../main/img4/im4m';
import { parseIm4p, rewriteIm4pType } from '../../../main/img4/im4p';
import { parseIm4r } from '../../../main/img4/im4r';
import { Img4Error } from '../../../main/img4/img4-error';
import { parseImg4 } from '../../../main/img4/img4';
import { buildIm4p } from '../../../main/img4/im4p';
import { generateTicketSigningKey, signTicket } from '../../../main/img4/ticket-signature';
import { buildImg4 } from '../../../main/img4/img4';
import { buildBncnIm4r } from '../../../main/img4/im4r';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, mutated, type ParserUnderFuzz } from './fuzz-harness';

function attempt(parse: () => unknown): unknown {
  try {
    return parse();
  } catch (error) {
    if (error instanceof Img4Error) return error.message;
    throw error;
  }
}

/** Every IMG4 entry point on the same bytes; each may only return or throw Img4Error. */
const img4: ParserUnderFuzz = {
  name: 'IMG4 / IM4P / IM4M / IM4R',
  parse: (input) => [
    attempt(() => parseImg4(input)),
    attempt(() => parseIm4p(input)),
    attempt(() => rewriteIm4pType(input, 'rkrn')),
    attempt(() => parseIm4m(input)),
    attempt(() => parseIm4r(input)),
    attempt(() => children(input, readElement(input, 0), 1024)),
  ],
  typedErrors: [Img4Error],
};

const key = generateTicketSigningKey();
const ticket = signTicket(
  key,
  new Map<string, Uint8Array | bigint | boolean | string>([
    ['CHIP', 0x8010n],
    ['ECID', 0x1234n],
    ['BNCH', new Uint8Array(32)],
  ]),
  new Map([
    [
      'ibss',
      new Map<string, Uint8Array | bigint | boolean | string>([
        ['DGST', new Uint8Array(48)],
        ['EPRO', true],
      ]),
    ],
  ]),
);
const im4p = buildIm4p({ type: 'ibss', description: 'iBSS', payload: Buffer.alloc(64, 1) });
const valid = fc.constantFrom<Uint8Array>(
  ticket,
  im4p,
  buildImg4({ im4p, im4m: ticket, im4r: buildBncnIm4r(new Uint8Array(8)) }),
  buildBncnIm4r(new Uint8Array(8)),
);

function der(tag: number, length: number, lengthBytes: number, content: Uint8Array = new Uint8Array(0)): Buffer {
  const header =
    lengthBytes === 0
      ? [tag, length]
      : [tag, 0x80 | lengthBytes, ...Array.from({ length: lengthBytes }, (_, i) => (length >>> (8 * (lengthBytes - 1 - i))) & 0xff)];
  return Buffer.concat([Buffer.from(header), content]);
}

/** DER shapes that hurt: deep nesting (definite and BER-indefinite), many tiny elements, lengths that lie, long tags. */
const hostileDer = fc.oneof(
  fc
    .integer({ min: 1, max: 20_000 })
    .map((depth) => Buffer.concat([Buffer.alloc(depth * 2, 0).map((_, i) => (i % 2 === 0 ? 0x30 : 0x80)), Buffer.alloc(depth * 2)])),
  fc.integer({ min: 1, max: 5000 }).map((depth) => {
    let inner: Buffer = Buffer.alloc(0);
    for (let i = 0; i < depth; i++) inner = der(0x30, inner.length, 4, inner);
    return inner;
  }),
  fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(0x30, 0x31, 0x05, 0x04, 0xff)).map(([count, tag]) => {
    const body = Buffer.alloc(count * 2);
    for (let i = 0; i < count; i++) body[i * 2] = tag;
    return der(0x30, body.length, 4, body);
  }),
  fc
    .tuple(
      fc.constantFrom(0x30, 0x16, 0x04, 0xa0, 0xff),
      fc.nat({ max: 0xffffffff }),
      fc.integer({ min: 0, max: 6 }),
      fc.uint8Array({ maxLength: 64 }),
    )
    .map(([tag, length, bytes, rest]) =>
      Buffer.concat([Buffer.from([tag, bytes === 0 ? length & 0x7f : 0x80 | bytes]), Buffer.alloc(Math.min(bytes, 6), 0xff), rest]),
    ),
  fc.integer({ min: 1, max: 64 }).map((n) => Buffer.concat([Buffer.from([0xff]), Buffer.alloc(n, 0x81), Buffer.from([0x01, 0x00])])),
);

describe('IMG4 DER under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes, with and without a SEQUENCE header', async () => {
    await fuzzRandomBytes(img4, { numRuns: 300 });
    await fuzzRandomBytes(img4, { numRuns: 150, prefix: Buffer.from([0x30, 0x82, 0x01, 0x00]) });
  });

  it('damaged tickets, payloads and containers', async () => {
    await fuzzParser(img4, mutated(valid), { numRuns: 200 });
  });

  it('refuses a ticket of more empty SETs than any real one holds before asn1js builds an object for each', () => {
    const body = Buffer.alloc(IM4M_DER_BOUNDS.maxElements * 2 + 2);
    for (let i = 0; i < body.length; i += 2) body[i] = 0x31;
    expect(() => parseIm4m(der(0x30, body.length, 4, body))).toThrow(new RegExp(`more than ${IM4M_DER_BOUNDS.maxElements} DER elements`));
  });

  it('deep nesting, many tiny elements, lying lengths and long tag numbers', async () => {
    await fuzzParser(img4, hostileDer, { numRuns: 80 });
  });
});
