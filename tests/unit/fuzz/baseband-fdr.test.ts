import fc from 'fast-check';
import { describe, it } from 'vitest';
import { BbfwArchive } from '../../../main/baseband/bbfw-archive';
import { BasebandError } from '../../../main/baseband/baseband-error';
import { ZipBuilder } from '../../../main/baseband/zip-builder';
import { FdrProtocolError, encodeFdrPlist, parseProxyConnect, readFdrPlist } from '../../../main/fdr/fdr-wire';
import { encodeXmlPlist } from '../../../main/plist/plist-codec';
import { basebandTicketFromAnswer } from '../../../main/tss/tss-baseband-response';
import { TssError } from '../../../main/tss/tss-error';
import { parseTssAnswer } from '../../../main/tss/tss-response';
import { StreamClosedError } from '../../../main/wire/byte-reader';
import { syntheticBbfw } from '../../../main/sim/restore/synthetic-bbfw';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, hostileU32, mutated, readerOf, type ParserUnderFuzz } from './fuzz-harness';
import { damagedBinaryPlists, hostileBinaryPlists, plistValues, sharedReferenceBombs } from './hostile-plists';

const basebandAnswer: ParserUnderFuzz = {
  name: 'baseband TSS answer',
  parse: (input) => basebandTicketFromAnswer(parseTssAnswer(Buffer.from(input).toString('utf8'))),
  typedErrors: [TssError],
};

/** What the host and the virtual phone do with a .bbfw: open it and read every entry, inflated and raw. */
const bbfw: ParserUnderFuzz = {
  name: 'BbfwArchive',
  parse: async (input) => {
    const archive = await BbfwArchive.open({ bytes: Buffer.from(input) });
    try {
      const sizes: number[] = [];
      for (const entry of archive.entries().slice(0, 16)) {
        sizes.push((await archive.read(entry.name, 1 << 20)).length, (await archive.readRaw(entry.name, 1 << 20)).length);
      }
      return sizes;
    } finally {
      archive.close();
    }
  },
  typedErrors: [BasebandError],
};

const fdrPlist: ParserUnderFuzz = {
  name: 'FDR plist frame',
  parse: (input) => readFdrPlist(readerOf(input, 7)),
  typedErrors: [FdrProtocolError, StreamClosedError],
};

const proxyConnect: ParserUnderFuzz = { name: 'FDR proxy connect', parse: (input) => parseProxyConnect(input), typedErrors: [] };

function smallBbfw(files: [string, Uint8Array][]): Buffer {
  const zip = new ZipBuilder(1 << 20);
  for (const [name, data] of files) zip.addFile(name, data, { store: data.length % 2 === 0 });
  return zip.finish();
}

const zips = fc.oneof(
  fc.constant(syntheticBbfw('F1', { imageBytes: 256 }).bytes),
  fc
    .array(fc.tuple(fc.constantFrom('sbl1.mbn', 'a.bin', 'Info.plist', '../x', 'dir/y.elf', ''), fc.uint8Array({ maxLength: 200 })), {
      maxLength: 4,
    })
    .map((files) => {
      try {
        return smallBbfw(files);
      } catch {
        return Buffer.alloc(0);
      }
    }),
);

const lengthPrefixed = (length: number, body: Uint8Array): Buffer => {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(length, 0);
  return Buffer.concat([head, body]);
};

describe('baseband and FDR parsers under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('baseband TSS answers of any shape', async () => {
    await fuzzRandomBytes(basebandAnswer, { numRuns: 150, prefix: Buffer.from('STATUS=0&MESSAGE=SUCCESS&REQUEST_STRING=<?xml') });
    const plists = fc.oneof(
      plistValues.map((value) =>
        encodeXmlPlist({ BBTicket: Buffer.alloc(8), BasebandFirmware: { 'SBL1-Blob': Buffer.alloc(4), Other: value } }),
      ),
      fc
        .dictionary(fc.string({ maxLength: 40 }), plistValues, { maxKeys: 20 })
        .map((firmware) => encodeXmlPlist({ BBTicket: Buffer.alloc(8), BasebandFirmware: firmware })),
    );
    await fuzzParser(
      basebandAnswer,
      mutated(plists).map((plist) => Buffer.concat([Buffer.from('STATUS=0&MESSAGE=SUCCESS&REQUEST_STRING='), plist])),
      { numRuns: 150 },
    );
  });

  it('.bbfw archives damaged, cut short and made up', async () => {
    await fuzzParser(bbfw, mutated(zips), { numRuns: 150 });
    await fuzzRandomBytes(bbfw, { numRuns: 100, prefix: Buffer.from('PK\x03\x04', 'latin1') });
  });

  it('FDR plist frames with lying lengths and hostile bodies', async () => {
    const bodies = fc.oneof(damagedBinaryPlists, hostileBinaryPlists, sharedReferenceBombs);
    await fuzzParser(
      fdrPlist,
      fc.tuple(hostileU32, bodies).map(([length, body]) => lengthPrefixed(length, body)),
      { numRuns: 150 },
    );
    await fuzzParser(
      fdrPlist,
      bodies.map((body) => lengthPrefixed(body.length, body)),
      { numRuns: 150 },
    );
    await fuzzParser(fdrPlist, mutated(fc.constant(encodeFdrPlist({ Command: 'Ping' }))), { numRuns: 100 });
  });

  it('FDR proxy requests of any bytes', async () => {
    await fuzzRandomBytes(proxyConnect, { numRuns: 200, maxLength: 300 });
    await fuzzRandomBytes(proxyConnect, { numRuns: 200, maxLength: 300, prefix: Buffer.from([0, 3]) });
  });
});
