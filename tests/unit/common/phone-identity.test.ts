import { describe, expect, it } from 'vitest';
import { describeReportedIdentity, isUdid, normaliseUdid, parseUdid } from '../../../common/phone-identity';

describe('phone identity (UDID) validation', () => {
  it('accepts the two forms real iPhones send, in either case, and keeps them as sent', () => {
    expect(parseUdid('00008030-001A2B3C4D5E6F70')).toBe('00008030-001A2B3C4D5E6F70');
    expect(parseUdid('00008030-001a2b3c4d5e6f70')).toBe('00008030-001a2b3c4d5e6f70');
    expect(parseUdid('a'.repeat(40))).toBe('a'.repeat(40));
    expect(parseUdid('0123456789ABCDEF0123456789abcdef01234567')).toBe('0123456789ABCDEF0123456789abcdef01234567');
  });

  it('applies the usbmuxd dash rule to a 24-hex serial', () => {
    expect(parseUdid('00008030001A2B3C4D5E6F70')).toBe('00008030-001A2B3C4D5E6F70');
    expect(normaliseUdid('00008030001A2B3C4D5E6F70')).toBe('00008030-001A2B3C4D5E6F70');
    expect(normaliseUdid('x/../../victim')).toBe('x/../../victim');
  });

  it.each([
    ['a path climbing out', 'x/../../victim'],
    ['a Windows path', '..\\..\\victim'],
    ['an absolute path', '/etc/passwd'],
    ['empty', ''],
    ['NUL inside', `${'a'.repeat(20)}\0${'a'.repeat(19)}`],
    ['39 hex', 'a'.repeat(39)],
    ['41 hex', 'a'.repeat(41)],
    ['non-hex letters', 'g'.repeat(40)],
    ['dash in the wrong place', '000080300-01A2B3C4D5E6F70'],
    ['two dashes', '00008030-001A2B3C-4D5E6F70'],
    ['trailing newline', `${'a'.repeat(40)}\n`],
    ['leading space', ` ${'a'.repeat(40)}`],
    ['fullwidth digits', '０'.repeat(40)],
    ['very long', 'a'.repeat(100_000)],
  ])('refuses %s', (_label, reported) => {
    expect(parseUdid(reported)).toBeNull();
    expect(isUdid(reported)).toBe(false);
  });

  it('refuses anything that is not a string', () => {
    for (const value of [undefined, null, 40, ['a'.repeat(40)], { udid: 'a'.repeat(40) }]) expect(parseUdid(value)).toBeNull();
  });

  it('isUdid does not normalise: the undashed 24-hex form is not yet a UDID', () => {
    expect(isUdid('00008030001A2B3C4D5E6F70')).toBe(false);
    expect(isUdid('00008030-001A2B3C4D5E6F70')).toBe(true);
  });

  it('describes a refused identity quoted, escaped, clipped and printable', () => {
    expect(describeReportedIdentity('x/../../victim')).toBe('"x/../../victim"');
    const described = describeReportedIdentity(`evil\u0000\u202e${'z'.repeat(200)}`);
    expect(described).toMatch(/^[\x20-\x7e]+$/);
    expect(described).toContain('\\u0000');
    expect(described).toContain('\\u202e');
    expect(described.length).toBeLessThan(80);
  });
});
