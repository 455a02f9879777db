import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../../../common/api';
import { decodeBuildManifest, readBuildManifest } from '../../../main/ipsw/build-manifest';
import { IpswArchive } from '../../../main/ipsw/ipsw-reader';
import { encodeBinaryPlist, encodeXmlPlist } from '../../../main/plist/plist-codec';
import type { PlistValue } from '../../../main/plist/plist-value';
import { syntheticBuildManifest } from '../../../main/sim/synthetic-ipsw';
import { writeZip } from '../../../main/sim/zip-writer';
import { FUZZ_TEST_TIMEOUT_MS, checkParser, fuzzParser, fuzzRandomBytes, hostileU32, mutated, type ParserUnderFuzz } from './fuzz-harness';
import { damagedXmlPlists, hostileBinaryPlists, plistValues, sharedReferenceBombs } from './hostile-plists';

let directory = '';
let run = 0;
const honestZips: Buffer[] = [];

/** Opens the bytes as an IPSW the way firmware preparation does: central directory, every entry, the manifest. */
const ipsw: ParserUnderFuzz = {
  name: 'IpswArchive + BuildManifest',
  parse: async (input) => {
    const path = join(directory, `input-${run++}.ipsw`);
    writeFileSync(path, input);
    try {
      const archive = await IpswArchive.open(path);
      try {
        const read = await Promise.allSettled(
          archive
            .entries()
            .slice(0, 8)
            .map((entry) => archive.readSmall(entry.name, 64 * 1024)),
        );
        const untyped = read.find((result) => result.status === 'rejected' && !(result.reason instanceof ProblemError));
        if (untyped?.status === 'rejected') throw untyped.reason;
        return await readBuildManifest(archive);
      } finally {
        archive.close();
      }
    } finally {
      rmSync(path, { force: true });
    }
  },
  typedErrors: [ProblemError],
};

const manifest: ParserUnderFuzz = {
  name: 'decodeBuildManifest',
  parse: (input) => decodeBuildManifest(input),
  typedErrors: [ProblemError],
};

type Entry = { name: string; data: Buffer; deflate: boolean; claimedSize?: number; claimedCompressed?: number };

/** A one-disk ZIP written by hand, so sizes, methods and counts can lie. */
function zipOf(entries: Entry[], claimedCount?: number, claimedDirectoryOffset?: number): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const body = entry.deflate ? deflateRawSync(entry.data) : entry.data;
    const name = Buffer.from(entry.name, 'utf8');
    const fields = (header: Buffer, at: number): void => {
      header.writeUInt16LE(entry.deflate ? 8 : 0, at);
      header.writeUInt32LE(crc32(entry.data), at + 6);
      header.writeUInt32LE(entry.claimedCompressed ?? body.length, at + 10);
      header.writeUInt32LE(entry.claimedSize ?? entry.data.length, at + 14);
      header.writeUInt16LE(name.length, at + 18);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    fields(local, 8);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    fields(central, 10);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const directoryBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(claimedCount ?? entries.length, 8);
  end.writeUInt16LE(claimedCount ?? entries.length, 10);
  end.writeUInt32LE(directoryBytes.length, 12);
  end.writeUInt32LE(claimedDirectoryOffset ?? offset, 16);
  return Buffer.concat([...locals, directoryBytes, end]);
}

const manifestBytes = encodeXmlPlist(
  syntheticBuildManifest({
    productTypes: ['iPhone10,1'],
    version: '16.7',
    build: '20H19',
    boards: [{ boardConfig: 'd20ap', cpid: 0x8015, bdid: 0x02 }],
  }),
);

const hostileEntries = fc.array(
  fc.record(
    {
      name: fc.oneof(
        fc.constantFrom('BuildManifest.plist', 'Restore.plist', '../../etc/passwd', '/abs', 'a'.repeat(300)),
        fc.string({ maxLength: 20 }),
      ),
      data: fc.oneof(
        fc.constant(manifestBytes),
        fc.integer({ min: 0, max: 2_000_000 }).map((n) => Buffer.alloc(n)),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        fc.oneof(hostileBinaryPlists, sharedReferenceBombs).map((b) => Buffer.from(b)),
      ),
      deflate: fc.boolean(),
      claimedSize: hostileU32,
      claimedCompressed: hostileU32,
    },
    { requiredKeys: ['name', 'data', 'deflate'] },
  ),
  { maxLength: 4 },
);

/** BuildManifests with identities, components and paths of every wrong shape. */
const manifests = fc
  .record({
    BuildIdentities: fc.oneof(
      plistValues,
      fc.array(
        fc.record({
          ApChipID: plistValues,
          ApBoardID: fc.oneof(plistValues, fc.constantFrom('0x02', '0xffffffffffffffffff')),
          Info: fc.oneof(plistValues, fc.record({ DeviceClass: plistValues, Variant: plistValues })),
          Manifest: fc.oneof(
            plistValues,
            fc.dictionary(
              fc.string({ maxLength: 8 }),
              fc.record({ Digest: plistValues, Info: fc.record({ Path: fc.oneof(plistValues, fc.constantFrom('../x', '/x', 'a\0b')) }) }),
              { maxKeys: 20 },
            ),
          ),
        }),
        { maxLength: 6 },
      ),
    ),
    ProductVersion: plistValues,
    ProductBuildVersion: fc.oneof(plistValues, fc.constant('20H19')),
    SupportedProductTypes: plistValues,
  })
  .map((value) => value as PlistValue);

describe('IPSW (zip) and BuildManifest under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'lifeline-fuzz-ipsw-'));
    for (const zip64 of [false, true]) {
      const path = join(directory, `honest-${zip64}.ipsw`);
      await writeZip(
        path,
        [
          { name: 'BuildManifest.plist', data: manifestBytes },
          { name: 'Firmware/dfu/iBSS.im4p', data: Buffer.alloc(100, 7) },
        ],
        { zip64 },
      );
      honestZips.push(readFileSync(path));
    }
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('reads the honest archives it damages below', async () => {
    for (const zip of [...honestZips, zipOf([{ name: 'BuildManifest.plist', data: manifestBytes, deflate: true }])]) {
      expect(await checkParser(ipsw, zip)).toMatchObject({ kind: 'value', value: { productBuildVersion: '20H19' } });
    }
  });

  it('random bytes, and random bytes after a local header', async () => {
    await fuzzRandomBytes(ipsw, { numRuns: 100 });
    await fuzzRandomBytes(ipsw, { numRuns: 60, prefix: Buffer.from('504b0304', 'hex') });
  });

  it('damaged honest archives (ZIP and ZIP64)', async () => {
    await fuzzParser(ipsw, mutated(fc.constantFrom(...honestZips)), { numRuns: 150 });
  });

  it('archives whose sizes, methods, counts and directory offsets lie (deflate bombs included)', async () => {
    const zips = fc
      .tuple(hostileEntries, fc.option(fc.nat(0xffff), { nil: undefined }), fc.option(hostileU32, { nil: undefined }))
      .map(([entries, count, at]) => zipOf(entries, count, at));
    await fuzzParser(ipsw, zips, { numRuns: 80 });
  });

  it('manifests of every wrong shape, in both plist encodings', async () => {
    await fuzzParser(
      manifest,
      manifests.map((value) => encodeXmlPlist(value)),
      { numRuns: 100 },
    );
    await fuzzParser(
      manifest,
      manifests.map((value) => encodeBinaryPlist(value)),
      { numRuns: 100 },
    );
    await fuzzParser(manifest, fc.oneof(damagedXmlPlists, hostileBinaryPlists, sharedReferenceBombs), { numRuns: 100 });
  });
});
