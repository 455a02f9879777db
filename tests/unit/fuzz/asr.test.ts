import fc from 'fast-check';
import { describe, it } from 'vitest';
import { AsrClient } from '../../../main/asr/asr-client';
import { AsrError } from '../../../main/asr/asr-error';
import { memoryImageSource } from '../../../main/asr/asr-image-source';
import {
  ASR_HOST_MESSAGE_END,
  ASR_PHONE_MESSAGE_END,
  encodeInitiate,
  encodeOobRequest,
  encodePacketInfo,
  encodePayloadRequest,
  parsePhoneMessage,
  readAsrMessage,
} from '../../../main/asr/asr-wire';
import { encodeXmlPlist } from '../../../main/plist/plist-codec';
import type { PlistValue } from '../../../main/plist/plist-value';
import { createDuplexPair } from '../../../main/sim/duplex-pair';
import { runAsrDevice } from '../../../main/sim/restore/asr-device';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, hostileU64, mutated, readerOf, type ParserUnderFuzz } from './fuzz-harness';
import { damagedXmlPlists, plistValues, xmlExtremes, xmlTagSoup } from './hostile-plists';

const IMAGE = memoryImageSource(Buffer.alloc(4096, 0xa5));

/** One message as the host reads it: the delimited plist, then the phone-message check. */
const phoneMessage: ParserUnderFuzz = {
  name: 'ASR phone message',
  parse: async (input) => parsePhoneMessage(await readAsrMessage(readerOf(input, 89), ASR_PHONE_MESSAGE_END)),
  typedErrors: [AsrError],
};

/** A whole host session fed the input as everything the phone says (then the phone hangs up). */
const hostSession: ParserUnderFuzz = {
  name: 'ASR host session',
  parse: async (input) => {
    const [hostEnd, phoneEnd] = createDuplexPair();
    phoneEnd.on('error', () => undefined);
    phoneEnd.resume();
    for (let at = 0; at < input.length; at += 113) phoneEnd.write(Buffer.from(input.subarray(at, at + 113)));
    phoneEnd.end();
    const client = await AsrClient.connect(hostEnd, { maxOobBytes: 1024 });
    return client.sendImage(IMAGE);
  },
  typedErrors: [AsrError],
};

/** The virtual phone fed the input as everything the host says; it reports, never throws. */
const phoneSession: ParserUnderFuzz = {
  name: 'ASR virtual phone',
  parse: (input) => {
    const [hostEnd, phoneEnd] = createDuplexPair();
    hostEnd.on('error', () => undefined);
    hostEnd.resume();
    hostEnd.end(Buffer.from(input));
    return runAsrDevice(phoneEnd, { checksumChunks: true, oobRequests: () => [{ offset: 0, length: 16 }] });
  },
  typedErrors: [],
};

const xml = (value: PlistValue): Uint8Array => encodeXmlPlist(value);
const field = fc.oneof(hostileU64, fc.nat({ max: 5000 }), fc.integer({ min: -5, max: -1 }), plistValues);

/** What a broken or hostile phone says: real commands with lying fields, junk dictionaries, damaged XML. */
const phoneSays: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.oneof(fc.boolean(), plistValues).map((flag) => xml({ Command: 'Initiate', 'Checksum Chunks': flag })),
  fc.tuple(field, field).map(([length, offset]) => xml({ Command: 'OOBData', 'OOB Length': length, 'OOB Offset': offset })),
  fc.tuple(fc.nat({ max: 4096 }), fc.nat({ max: 1024 })).map(([offset, length]) => xml(encodeOobRequest({ offset, length }))),
  fc.constant(xml(encodePayloadRequest())),
  plistValues.map(xml),
  damagedXmlPlists,
  xmlTagSoup,
);

const phoneSessions = fc
  .tuple(fc.boolean(), fc.array(phoneSays, { maxLength: 6 }))
  .map(([checksum, rest]) => Buffer.concat([xml(encodeInitiate(checksum)), ...rest]));

/** What a broken or hostile host says: packet info with lying sizes and fields, OOB bytes, payload and junk. */
const hostSays: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(fc.oneof(hostileU64, fc.nat({ max: 300_000 })), fc.boolean())
    .map(([size, checksum]) => xml({ ...encodePacketInfo(0, checksum), Payload: { Port: 1, Size: size } })),
  fc
    .record({
      'FEC Slice Stride': field,
      'Packet Payload Size': field,
      Payload: fc.oneof(plistValues, fc.record({ Port: field, Size: field })),
    })
    .map(xml),
  fc.uint8Array({ maxLength: 2048 }),
  damagedXmlPlists,
  xmlTagSoup,
);

describe('ASR under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('single phone messages: random bytes', async () => {
    await fuzzRandomBytes(phoneMessage, { numRuns: 200, prefix: Buffer.from('<?xml version="1.0"?><plist>') });
  });

  it('single phone messages: hostile and damaged plists', async () => {
    await fuzzParser(phoneMessage, fc.oneof(phoneSays, xmlExtremes, mutated(phoneSays)), { numRuns: 200 });
  });

  it('host sessions against lying phones', async () => {
    await fuzzParser(hostSession, fc.oneof(phoneSessions, mutated(phoneSessions)), { numRuns: 120 });
  });

  it('the virtual phone against lying hosts', async () => {
    const sessions = fc.array(hostSays, { maxLength: 4 }).map((parts) => Buffer.concat([...parts, Buffer.from(ASR_HOST_MESSAGE_END)]));
    await fuzzParser(phoneSession, fc.oneof(sessions, mutated(sessions)), { numRuns: 120 });
  });
});
