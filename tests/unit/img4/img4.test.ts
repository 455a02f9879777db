import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildIm4p, parseIm4p, rewriteIm4pType } from '../../../main/img4/im4p';
import { buildIm4mBody, parseIm4m, propertyBytes, propertyInteger } from '../../../main/img4/im4m';
import { buildBncnIm4r, parseIm4r } from '../../../main/img4/im4r';
import { buildImg4, parseImg4, personalise } from '../../../main/img4/img4';
import { im4pDigest } from '../../../main/img4/img4-digest';
import { Img4Error } from '../../../main/img4/img4-error';
import { generateTicketSigningKey, signTicket, ticketSignatureValid } from '../../../main/img4/ticket-signature';
import { nothingOr, thrownBy } from '../../thrown';

// docs/protocols/img4.md#test-vectors: idevicerestore's 22-byte empty-policy IM4P (type lpol, description 1.0, payload one zero byte).
const LPOL = Buffer.from('30141604494d345016046c706f6c1603312e30040100', 'hex');
const key = generateTicketSigningKey();

function sampleTicket(): Buffer {
  return signTicket(
    key,
    new Map<string, Uint8Array | bigint | boolean>([
      ['BNCH', Buffer.alloc(20, 7)],
      ['CHIP', 0x8960n],
      ['BORD', 2n],
      ['ECID', 0x1122334455667788n],
      ['CPRO', true],
    ]),
    new Map([
      [
        'ibss',
        new Map<string, Uint8Array | bigint | boolean>([
          ['DGST', Buffer.alloc(20, 9)],
          ['EPRO', true],
          ['ESEC', true],
        ]),
      ],
    ]),
  );
}

describe('IM4P', () => {
  it('parses the 22-byte lpol vector and rebuilds it byte for byte', () => {
    const parsed = parseIm4p(LPOL);
    expect(parsed).toMatchObject({ type: 'lpol', description: '1.0' });
    expect(Buffer.from(parsed.payload)).toEqual(Buffer.from([0]));
    expect(buildIm4p(parsed)).toEqual(LPOL);
  });

  it('rewrites the type in place without changing the length and leaves the input untouched', () => {
    const kernel = buildIm4p({ type: 'krnl', description: 'KernelCacheBuilder-1', payload: Buffer.alloc(70_000, 3) });
    const restore = rewriteIm4pType(kernel, 'rkrn');
    expect(restore.length).toBe(kernel.length);
    expect(parseIm4p(restore).type).toBe('rkrn');
    expect(parseIm4p(kernel).type).toBe('krnl');
    expect(im4pDigest(restore)).not.toEqual(im4pDigest(kernel));
  });

  it('round-trips any type, description and payload', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z]{4}$/),
        fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
        fc.uint8Array({ maxLength: 3000 }),
        (type, description, payload) => {
          const parsed = parseIm4p(buildIm4p({ type, description, payload }));
          expect(parsed.type).toBe(type);
          expect(parsed.description).toBe(description);
          expect(Buffer.from(parsed.payload)).toEqual(Buffer.from(payload));
        },
      ),
    );
  });
});

describe('IM4M', () => {
  it('encodes private four-character tags in base 128 (BNCN = FF 84 92 B9 86 4E)', () => {
    const im4r = buildBncnIm4r(Buffer.from('0102030405060708', 'hex'));
    expect(im4r.includes(Buffer.from('ff8492b9864e', 'hex'))).toBe(true);
    expect(Buffer.from(parseIm4r(im4r).get('BNCN') as Uint8Array).toString('hex')).toBe('0102030405060708');
  });

  it('round-trips MANP and per-image properties and verifies the signature only with the right key', () => {
    const ticket = sampleTicket();
    const parsed = parseIm4m(ticket);
    expect(propertyInteger(parsed.manifest, 'ECID')).toBe(0x1122334455667788n);
    expect(propertyInteger(parsed.manifest, 'CHIP')).toBe(0x8960n);
    expect(parsed.manifest.get('CPRO')).toBe(true);
    expect(Buffer.from(propertyBytes(parsed.manifest, 'BNCH')!)).toEqual(Buffer.alloc(20, 7));
    expect(Buffer.from(propertyBytes(parsed.images.get('ibss'), 'DGST')!)).toEqual(Buffer.alloc(20, 9));
    expect(ticketSignatureValid(ticket, key.publicKey)).toBe(true);
    expect(ticketSignatureValid(ticket, generateTicketSigningKey().publicKey)).toBe(false);
  });

  it('rejects a ticket whose signed body was altered', () => {
    const ticket = sampleTicket();
    const body = buildIm4mBody(new Map([['BNCH', Buffer.alloc(20, 7)]]), new Map());
    expect(body.length).toBeGreaterThan(0);
    const tampered = Buffer.from(ticket);
    const at = tampered.indexOf(Buffer.alloc(20, 9));
    tampered[at] = 0x55;
    expect(ticketSignatureValid(tampered, key.publicKey)).toBe(false);
  });
});

describe('IMG4', () => {
  it('personalises: tag rewritten, ticket and IM4R carried verbatim', () => {
    const ticket = sampleTicket();
    const file = buildIm4p({ type: 'dtre', description: 'x', payload: Buffer.from('tree') });
    const im4r = buildBncnIm4r(Buffer.alloc(8, 1));
    const { img4, im4p } = personalise(file, 'rdtr', ticket, im4r);
    const parts = parseImg4(img4);
    expect(parseIm4p(parts.im4p).type).toBe('rdtr');
    expect(Buffer.from(parts.im4p)).toEqual(im4p);
    expect(Buffer.from(parts.im4m!)).toEqual(ticket);
    expect(Buffer.from(parts.im4r!)).toEqual(im4r);
    expect(buildImg4({ im4p: parts.im4p, im4m: parts.im4m!, im4r: parts.im4r! })).toEqual(img4);
  });

  it('never throws anything but Img4Error on hostile bytes, and never reads past its input', () => {
    const valid = personalise(LPOL, 'lpol', sampleTicket()).img4;
    const mutated = fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const copy = Buffer.from(valid);
      copy[i] = b;
      return copy;
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          mutated,
          fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.concat([Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), b])),
        ),
        (bytes) => {
          for (const parse of [parseImg4, parseIm4p, parseIm4m, parseIm4r])
            expect(
              thrownBy(() => parse(bytes)),
              parse.name,
            ).toSatisfy(nothingOr(Img4Error));
        },
      ),
      { numRuns: 500 },
    );
  });
});
