import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePlist, PlistError } from '../../../main/plist/plist-codec';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, type ParserUnderFuzz } from './fuzz-harness';
import {
  damagedBinaryPlists,
  damagedXmlPlists,
  hostileBinaryPlists,
  sharedReferenceBomb,
  sharedReferenceBombs,
  xmlExtremes,
  xmlTagSoup,
} from './hostile-plists';

const plist: ParserUnderFuzz = { name: 'decodePlist', parse: (input) => decodePlist(input), typedErrors: [PlistError] };
const BPLIST = Buffer.from('bplist00', 'latin1');

describe('plist decoding (binary and XML) under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes, with and without the binary magic', async () => {
    await fuzzRandomBytes(plist, { numRuns: 300 });
    await fuzzRandomBytes(plist, { numRuns: 300, prefix: BPLIST });
  });

  it('binary object graphs with cycles, lying lengths, trailers and offset tables', async () => {
    await fuzzParser(plist, hostileBinaryPlists, { numRuns: 200 });
  });

  it('shared references: memory stays proportional to the input, not to the references', async () => {
    await fuzzParser(plist, sharedReferenceBombs, { numRuns: 40 });
  });

  it('refuses the classic n² bomb (1000 × 1000 references to one 4 KiB string) with a PlistError', () => {
    const bomb = sharedReferenceBomb(1000, 2, { kind: 'ascii', text: 'x'.repeat(4096) });
    expect(bomb.length).toBeLessThan(8 * 1024);
    expect(() => decodePlist(bomb)).toThrow(PlistError);
  });

  it('damaged encodings of honest values', async () => {
    await fuzzParser(plist, fc.oneof(damagedBinaryPlists, damagedXmlPlists), { numRuns: 200 });
  });

  it('XML tag soup, deep nesting, long runs and unterminated markup', async () => {
    await fuzzParser(plist, xmlTagSoup, { numRuns: 150 });
    await fuzzParser(plist, xmlExtremes, { numRuns: 60 });
  });
});
