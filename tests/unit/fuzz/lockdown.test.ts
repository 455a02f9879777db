import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { readDeviceInfo } from '../../../main/lockdown/device-info';
import { LockdownClient, LockdownError } from '../../../main/lockdown/lockdown-client';
import {
  GetValueRequestSchema,
  LockdownRequestSchema,
  PairRequestSchema,
  StartServiceRequestSchema,
} from '../../../main/lockdown/lockdown-wire';
import { encodePlistFrame } from '../../../main/plist/framing';
import { decodePlist, PlistError } from '../../../main/plist/plist-codec';
import type { PlistDict, PlistValue } from '../../../main/plist/plist-value';
import type { UsbmuxClient } from '../../../main/usbmux/usbmux-client';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, hostileU32, type ParserUnderFuzz } from './fuzz-harness';
import { damagedXmlPlists, hostileBinaryPlists, plistValues, sharedReferenceBombs, xmlTagSoup } from './hostile-plists';

/** A lockdownd that answers whatever is asked with `replies`, then hangs up. */
function phoneSending(replies: Uint8Array): Duplex {
  const stream = new Duplex({ read: () => undefined, write: (_chunk, _encoding, done) => done() });
  stream.push(Buffer.from(replies));
  stream.push(null);
  return stream;
}

const client: ParserUnderFuzz = {
  name: 'LockdownClient replies',
  parse: async (input) => {
    const lockdown = new LockdownClient(phoneSending(input), { timeoutMs: 5_000 });
    try {
      return [await lockdown.queryType(), await lockdown.getValue(), await lockdown.startService('com.apple.afc')];
    } finally {
      lockdown.close();
    }
  },
  typedErrors: [LockdownError],
};

const deviceInfo: ParserUnderFuzz = {
  name: 'readDeviceInfo',
  parse: (input) => {
    const usbmux = { connect: () => Promise.resolve(phoneSending(input)) } as unknown as UsbmuxClient;
    return readDeviceInfo(usbmux, { deviceId: 1, udid: '00008030-001A2B3C4D5E6F70' }, { pairRecord: null, timeoutMs: 5_000 });
  },
  typedErrors: [LockdownError],
};

/** What the virtual phone's lockdownd does with a request frame's body. */
const requestSchemas: ParserUnderFuzz = {
  name: 'lockdownd request schemas',
  parse: (input) => {
    const request = decodePlist(input);
    return [LockdownRequestSchema, GetValueRequestSchema, StartServiceRequestSchema, PairRequestSchema].map(
      (schema) => schema.safeParse(request).success,
    );
  },
  typedErrors: [PlistError],
};

function frame(body: Uint8Array, claimed?: number): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(claimed ?? body.length, 0);
  return Buffer.concat([length, body]);
}

const hostileBodies = fc.oneof(hostileBinaryPlists, sharedReferenceBombs, damagedXmlPlists, xmlTagSoup);

/** Replies that echo the request and carry values of every wrong type where facts are expected. */
const plausibleReply = (request: string): fc.Arbitrary<PlistDict> =>
  fc.record(
    {
      Request: fc.oneof(fc.constant(request), plistValues),
      Type: fc.oneof(fc.constant('com.apple.mobile.lockdown'), plistValues, fc.string({ maxLength: 2000 })),
      Value: fc.oneof(
        plistValues,
        fc.record({
          ProductType: fc.oneof(plistValues, fc.string({ maxLength: 3000 })),
          ProductVersion: plistValues,
          ChipID: fc.oneof(plistValues, fc.constant(-1), fc.constant(2 ** 60)),
          UniqueChipID: fc.oneof(plistValues, fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n })),
          DeviceName: plistValues,
          PasswordProtected: plistValues,
        }),
      ),
      Port: fc.oneof(plistValues, fc.constantFrom(0, 1, 65535, 65536, -1)),
      Error: fc.oneof(fc.constantFrom('InvalidHostID', 'PasswordProtected', 'x'.repeat(5000)), plistValues),
    },
    { requiredKeys: ['Request', 'Type', 'Value', 'Port'] },
  ) as fc.Arbitrary<PlistDict>;

const conversations = fc
  .tuple(plausibleReply('QueryType'), plausibleReply('GetValue'), plausibleReply('StartService'), plausibleReply('GetValue'))
  .map((replies) => Buffer.concat(replies.map((reply: PlistValue) => encodePlistFrame(reply, 'xml'))));

describe('lockdown replies and requests under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes', async () => {
    await fuzzRandomBytes(client, { numRuns: 200 });
    await fuzzRandomBytes(deviceInfo, { numRuns: 100 });
  });

  it('hostile plists in frames, with honest and lying lengths', async () => {
    const frames = fc.tuple(hostileBodies, fc.option(hostileU32, { nil: undefined })).map(([body, claimed]) => frame(body, claimed));
    await fuzzParser(client, frames, { numRuns: 120 });
    await fuzzParser(deviceInfo, frames, { numRuns: 60 });
  });

  it('well-framed replies whose fields have every wrong type and size', async () => {
    await fuzzParser(client, conversations, { numRuns: 120 });
    await fuzzParser(deviceInfo, conversations, { numRuns: 120 });
  });

  it('request bodies as the virtual phone reads them', async () => {
    await fuzzParser(
      requestSchemas,
      fc.oneof(
        hostileBodies,
        plistValues.map((v) => encodePlistFrame(v, 'xml').subarray(4)),
      ),
      { numRuns: 150 },
    );
  });
});
