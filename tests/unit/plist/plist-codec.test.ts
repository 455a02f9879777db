import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse as referenceParseXml, parseBinary as referenceParseBinary, buildBinary as referenceBuildBinary } from 'plist';
import { decodePlist, encodeBinaryPlist, encodeXmlPlist, PlistError } from '../../../main/plist/plist-codec';
import { PlistReal, PlistUid, type PlistValue } from '../../../main/plist/plist-value';
import { nothingOr, thrownBy } from '../../thrown';

const sample: PlistValue = {
  Request: 'GetValue',
  Label: 'lifeline <&> "quoted"',
  Port: 62078,
  Negative: -13,
  Big: 2n ** 60n,
  Version: new PlistReal(2),
  Ratio: 0.5,
  Enabled: true,
  Disabled: false,
  When: new Date('2026-11-27T10:20:30Z'),
  Blob: Buffer.from([0, 1, 2, 250, 255]),
  Empty: Buffer.alloc(0),
  List: ['a', 1, ['nested'], {}],
  Unicode: 'Grüße 📱',
};

describe('plist codec', () => {
  it.each(['xml', 'binary'] as const)('round-trips every value type through %s', (format) => {
    const bytes = format === 'xml' ? encodeXmlPlist(sample) : encodeBinaryPlist(sample);
    const back = decodePlist(bytes) as Record<string, PlistValue>;
    expect(back.Request).toBe('GetValue');
    expect(back.Label).toBe('lifeline <&> "quoted"');
    expect(back.Port).toBe(62078);
    expect(back.Negative).toBe(-13);
    expect(back.Big).toBe(2n ** 60n);
    expect(back.Version).toBe(2);
    expect(back.Ratio).toBe(0.5);
    expect(back.Enabled).toBe(true);
    expect(back.Disabled).toBe(false);
    expect((back.When as Date).toISOString()).toBe('2026-11-27T10:20:30.000Z');
    expect(Buffer.from(back.Blob as Uint8Array)).toEqual(Buffer.from([0, 1, 2, 250, 255]));
    expect((back.Empty as Uint8Array).length).toBe(0);
    expect(back.List).toEqual(['a', 1, ['nested'], {}]);
    expect(back.Unicode).toBe('Grüße 📱');
  });

  it('writes PlistReal as <real> even for whole numbers', () => {
    expect(encodeXmlPlist({ v: new PlistReal(2) }).toString()).toContain('<real>2.0</real>');
    expect(encodeXmlPlist({ v: 2 }).toString()).toContain('<integer>2</integer>');
  });

  it('reads pymobiledevice3-style unsigned negative status codes as signed', () => {
    const xml = '<plist version="1.0"><dict><key>ErrorCode</key><integer>18446744073709551603</integer></dict></plist>';
    expect(decodePlist(Buffer.from(xml))).toEqual({ ErrorCode: -13 });
  });

  it('blanks control characters in XML like libimobiledevice does', () => {
    const xml = '<plist><dict><key>Name</key><string>bad\u0001name</string></dict></plist>';
    expect(decodePlist(Buffer.from(xml))).toEqual({ Name: 'bad name' });
  });

  it('interoperates with an independent implementation (npm plist) in both directions', () => {
    const ours = encodeXmlPlist({ a: 1, b: 'x', c: [true, false], d: Buffer.from('hi') });
    expect(referenceParseXml(ours.toString())).toEqual({ a: 1, b: 'x', c: [true, false], d: new Uint8Array(Buffer.from('hi')) });
    const theirs = referenceBuildBinary({ a: 1, b: 'x', c: [true, false], n: 300000, s: 'ü' });
    expect(decodePlist(theirs)).toEqual({ a: 1, b: 'x', c: [true, false], n: 300000, s: 'ü' });
    const oursBinary = encodeBinaryPlist({ list: ['x', 70000, { k: 'v' }], uid: new PlistUid(7) });
    expect(referenceParseBinary(oursBinary)).toEqual({ list: ['x', 70000, { k: 'v' }], uid: { UID: 7 } });
  });

  it('refuses plists over the byte limit before parsing them', () => {
    const bytes = encodeXmlPlist({ s: 'x'.repeat(2000) });
    expect(() => decodePlist(bytes, { maxBytes: 1000 })).toThrow(PlistError);
  });

  it('refuses binary plists that claim more objects than allowed', () => {
    const bytes = encodeBinaryPlist(Array.from({ length: 100 }, (_, i) => i));
    expect(() => decodePlist(bytes, { maxObjects: 50 })).toThrow(/objects/);
  });

  it('refuses a binary plist whose array refers to itself (cycle) instead of recursing forever', () => {
    const bytes = Buffer.from(encodeBinaryPlist([1]));
    // the array (object 0) points at object 1; rewrite the ref to 0 to make it self-referential
    const arrayOffset = 8;
    expect(bytes[arrayOffset]).toBe(0xa1);
    bytes[arrayOffset + 1] = 0;
    expect(() => decodePlist(bytes)).toThrow(PlistError);
  });

  it('never throws anything but PlistError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, asBinary) => {
        const input = asBinary ? Buffer.concat([Buffer.from('bplist00'), bytes]) : Buffer.from(bytes);
        expect(thrownBy(() => decodePlist(input))).toSatisfy(nothingOr(PlistError));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but PlistError on mutated valid binary plists', () => {
    const valid = encodeBinaryPlist(sample);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (edits) => {
        const bytes = Buffer.from(valid);
        for (const [at, value] of edits) bytes[at] = value;
        expect(thrownBy(() => decodePlist(bytes))).toSatisfy(nothingOr(PlistError));
      }),
      { numRuns: 2000 },
    );
  });

  const jsonish: fc.Arbitrary<PlistValue> = fc.letrec<{ value: PlistValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(
        fc.string().filter((k) => k !== '__proto__'),
        tie('value'),
        { maxKeys: 4 },
      ),
    ),
  })).value;

  it.each(['xml', 'binary'] as const)('round-trips arbitrary values through %s', (format) => {
    fc.assert(
      fc.property(jsonish, (value) => {
        const bytes = format === 'xml' ? encodeXmlPlist(value) : encodeBinaryPlist(value);
        expect(decodePlist(bytes)).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });
});
