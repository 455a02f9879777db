import fc from 'fast-check';
import { describe, it } from 'vitest';
import { FrameTooLargeError, readPlistFrame } from '../../../main/plist/framing';
import { PlistError } from '../../../main/plist/plist-codec';
import { StreamClosedError } from '../../../main/wire/byte-reader';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, hostileU32, readerOf, type ParserUnderFuzz } from './fuzz-harness';
import { damagedBinaryPlists, damagedXmlPlists, hostileBinaryPlists, sharedReferenceBombs, xmlTagSoup } from './hostile-plists';

const frame: ParserUnderFuzz = {
  name: 'readPlistFrame',
  parse: (input) => readPlistFrame(readerOf(input, 97)),
  typedErrors: [FrameTooLargeError, PlistError, StreamClosedError],
};

function framed(body: Uint8Array, claimed?: number): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(claimed ?? body.length, 0);
  return Buffer.concat([length, body]);
}

const bodies = fc.oneof(hostileBinaryPlists, sharedReferenceBombs, damagedBinaryPlists, damagedXmlPlists, xmlTagSoup);

describe('u32-framed plists under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes', async () => {
    await fuzzRandomBytes(frame, { numRuns: 300 });
  });

  it('hostile plists in honest frames', async () => {
    await fuzzParser(
      frame,
      bodies.map((body) => framed(body)),
      { numRuns: 150 },
    );
  });

  it('frames whose length lies (huge, short, or past the end of the stream)', async () => {
    await fuzzParser(
      frame,
      fc.tuple(bodies, hostileU32).map(([body, claimed]) => framed(body, claimed)),
      { numRuns: 150 },
    );
  });
});
