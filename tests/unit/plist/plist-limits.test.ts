import { describe, expect, it } from 'vitest';
import {
  decodePlist,
  defaultMaxOutputBytes,
  encodeBinaryPlist,
  encodeXmlPlist,
  PlistError,
  PlistLimitError,
  type PlistLimits,
} from '../../../main/plist/plist-codec';
import type { PlistDict, PlistValue } from '../../../main/plist/plist-value';
import { arrayObject, asciiObject, assembleBinaryPlist, dataObject, dictObject } from './binary-plist-writer';

function failureOf(bytes: Uint8Array, limits?: PlistLimits): unknown {
  try {
    decodePlist(bytes, limits);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('plist decode budget', () => {
  it('defaults the output budget to a multiple of the input plus a constant', () => {
    expect(defaultMaxOutputBytes(1000)).toBeGreaterThan(defaultMaxOutputBytes(0));
    expect(defaultMaxOutputBytes(2_000_000) - defaultMaxOutputBytes(1_000_000)).toBe(
      defaultMaxOutputBytes(1_000_000) - defaultMaxOutputBytes(0),
    );
  });

  it('stops a chain of arrays that each reference the next twice (2^40 paths) with a limit error', () => {
    const levels = 40;
    const objects = Array.from({ length: levels }, (_, i) => arrayObject([i + 1, i + 1], 1));
    objects.push(asciiObject('leaf'));
    expect(failureOf(assembleBinaryPlist(objects, { refSize: 1 }))).toBeInstanceOf(PlistLimitError);
  });

  it('stops a dictionary that contains itself at the depth limit', () => {
    const bytes = assembleBinaryPlist([dictObject([1], [0], 1), asciiObject('self')], { refSize: 1 });
    expect(failureOf(bytes)).toMatchObject({ name: 'PlistLimitError', limit: 'maxDepth' });
  });

  it('honours an explicit maxOutputBytes', () => {
    const bytes = encodeBinaryPlist({ blob: Buffer.alloc(10_000) });
    expect(failureOf(bytes, { maxOutputBytes: 5000 })).toMatchObject({ limit: 'maxOutputBytes' });
    expect(decodePlist(bytes, { maxOutputBytes: 20_000 })).toEqual({ blob: Buffer.alloc(10_000) });
  });

  it('charges XML values to the same budget', () => {
    const xml = encodeXmlPlist(Array.from({ length: 2000 }, () => 'x'.repeat(50)));
    expect(failureOf(xml, { maxOutputBytes: 50_000 })).toMatchObject({ limit: 'maxOutputBytes' });
    expect(decodePlist(xml)).toHaveLength(2000);
  });

  it('refuses XML nested past the depth limit', () => {
    const xml = `<plist>${'<array>'.repeat(100)}${'</array>'.repeat(100)}</plist>`;
    expect(failureOf(Buffer.from(xml))).toMatchObject({ limit: 'maxDepth' });
  });

  it('refuses an XML integer or date with megabytes of text instead of parsing it', () => {
    expect(failureOf(Buffer.from(`<plist><integer>${'9'.repeat(1_000_000)}</integer></plist>`))).toBeInstanceOf(PlistError);
    expect(failureOf(Buffer.from(`<plist><date>${'1'.repeat(1_000_000)}</date></plist>`))).toBeInstanceOf(PlistError);
  });

  it('decodes an honest plist that shares keys and repeated values across many dictionaries within the default budget', () => {
    // CoreFoundation and libplist write each distinct string or data once; 20,000 dictionaries point at the shared ones.
    const count = 20_000;
    const shared = [
      asciiObject('Domain'),
      asciiObject('RelativePath'),
      asciiObject('Flags'),
      asciiObject('HomeDomain'),
      dataObject(Buffer.from([1])),
    ];
    const firstPath = 1 + shared.length;
    const firstDict = firstPath + count;
    const paths = Array.from({ length: count }, (_, i) => asciiObject(`Library/Preferences/file-${i}.plist`));
    const dicts = Array.from({ length: count }, (_, i) => dictObject([1, 2, 3], [4, firstPath + i, 5], 2));
    const bytes = assembleBinaryPlist(
      [
        arrayObject(
          Array.from({ length: count }, (_, i) => firstDict + i),
          2,
        ),
        ...shared,
        ...paths,
        ...dicts,
      ],
      { refSize: 2 },
    );
    const decoded = decodePlist(bytes) as PlistDict[];
    expect(decoded).toHaveLength(count);
    expect(decoded[count - 1]).toEqual({
      Domain: 'HomeDomain',
      RelativePath: `Library/Preferences/file-${count - 1}.plist`,
      Flags: Buffer.from([1]),
    });
  });

  it('gives every reference its own copy, so a caller may change one without touching the others', () => {
    const bytes = assembleBinaryPlist([arrayObject([1, 1], 1), dataObject(Buffer.from('ab'))], { refSize: 1 });
    const [a, b] = decodePlist(bytes) as Buffer[];
    a![0] = 0x7a;
    expect(b!.toString()).toBe('ab');
  });

  const hostile: Array<[string, () => Buffer]> = [
    [
      'an object count far beyond the table',
      () => assembleBinaryPlist([asciiObject('x')], { refSize: 1, trailer: { objectCount: 2n ** 40n } }),
    ],
    ['a table offset past the end', () => assembleBinaryPlist([asciiObject('x')], { refSize: 1, trailer: { tableOffset: 2n ** 50n } })],
    ['a table offset inside the magic', () => assembleBinaryPlist([asciiObject('x')], { refSize: 1, trailer: { tableOffset: 2n } })],
    ['a top object out of range', () => assembleBinaryPlist([asciiObject('x')], { refSize: 1, top: 5 })],
    ['an offset size of 3', () => assembleBinaryPlist([asciiObject('x')], { refSize: 1, trailer: { offsetSize: 3 as 1 } })],
    ['an offset into the offset table', () => assembleBinaryPlist([asciiObject('x')], { refSize: 1, offsets: [12] })],
    [
      'an array claiming 2^32-1 items',
      () => assembleBinaryPlist([Buffer.from([0xaf, 0x12, 0xff, 0xff, 0xff, 0xff, 1]), asciiObject('x')], { refSize: 1 }),
    ],
    ['data claiming 2^53 bytes', () => assembleBinaryPlist([Buffer.from([0x4f, 0x13, 0, 0x20, 0, 0, 0, 0, 0, 0])], { refSize: 1 })],
    ['a truncated trailer', () => assembleBinaryPlist([asciiObject('x')], { refSize: 1 }).subarray(0, 30)],
  ];

  it.each(hostile)('refuses %s with a PlistError', (_name, build) => {
    expect(failureOf(build())).toBeInstanceOf(PlistError);
  });

  it('decodes overlapping offsets (two objects read from the same bytes) as plain values', () => {
    // Object 1 is the string "abc"; object 2 points one byte into it, where 'a' (0x61) reads as a one-character UTF-16 string.
    const objects = [arrayObject([1, 2], 1), asciiObject('abc')];
    const bytes = assembleBinaryPlist(objects, { refSize: 1, offsets: [8, 11, 12] });
    expect(decodePlist(bytes) as PlistValue[]).toEqual(['abc', Buffer.from('bc', 'latin1').swap16().toString('utf16le')]);
  });
});
