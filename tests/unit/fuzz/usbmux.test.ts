import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  UsbmuxMessageType,
  UsbmuxProtocolError,
  UsbmuxVersion,
  USBMUX_HEADER_SIZE,
  decodeBinaryConnect,
  decodeBinaryDeviceRecord,
  decodeUsbmuxPlist,
  encodeUsbmuxHeader,
  encodeUsbmuxPlist,
  readUsbmuxPacket,
} from '../../../main/usbmux/usbmux-wire';
import { parseUsbmuxEntry } from '../../../main/usbmux/usbmux-client';
import type { PlistValue } from '../../../main/plist/plist-value';
import { StreamClosedError } from '../../../main/wire/byte-reader';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, hostileU32, readerOf, type ParserUnderFuzz } from './fuzz-harness';
import { damagedXmlPlists, hostileBinaryPlists, plistValues, sharedReferenceBombs, xmlTagSoup } from './hostile-plists';

/** What the client and the fake daemon do with each message: header, payload, then the payload's own decoder. */
const usbmux: ParserUnderFuzz = {
  name: 'usbmux message',
  parse: async (input) => {
    const { header, payload } = await readUsbmuxPacket(readerOf(input, 61));
    if (header.version === UsbmuxVersion.Plist) {
      const dict = decodeUsbmuxPlist(payload);
      return (Array.isArray(dict.DeviceList) ? dict.DeviceList : [dict]).map(parseUsbmuxEntry);
    }
    if (header.message === UsbmuxMessageType.Connect) return decodeBinaryConnect(payload);
    return decodeBinaryDeviceRecord(payload);
  },
  typedErrors: [UsbmuxProtocolError, StreamClosedError],
};

function message(version: number, type: number, payload: Uint8Array, claimed?: number): Buffer {
  const header = encodeUsbmuxHeader({ length: claimed ?? USBMUX_HEADER_SIZE + payload.length, version, message: type, tag: 1 });
  return Buffer.concat([header, payload]);
}

const payloads = fc.oneof(hostileBinaryPlists, sharedReferenceBombs, damagedXmlPlists, xmlTagSoup, fc.uint8Array({ maxLength: 600 }));
const version = fc.oneof(fc.constantFrom(0, 1), hostileU32);
const type = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 6, 8), hostileU32);

/** Device records whose fields have the wrong types, sizes and signs. */
const deviceEntries: fc.Arbitrary<PlistValue> = fc.record({
  DeviceID: fc.oneof(plistValues, fc.constant(-1), fc.constant(2 ** 40)),
  MessageType: fc.constantFrom('Attached', 'Detached', 'Paired'),
  Properties: fc.oneof(
    plistValues,
    fc.record({
      DeviceID: plistValues,
      SerialNumber: fc.oneof(
        plistValues,
        fc.string({ maxLength: 2000 }),
        fc.uint8Array({ minLength: 12, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex')),
      ),
      ConnectionType: fc.oneof(plistValues, fc.constantFrom('USB', 'Network'), fc.string({ maxLength: 200 })),
      ProductID: plistValues,
      LocationID: plistValues,
      ConnectionSpeed: plistValues,
    }),
  ),
});

describe('usbmuxd messages under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes', async () => {
    await fuzzRandomBytes(usbmux, { numRuns: 300 });
  });

  it('hostile plist and binary payloads behind honest headers', async () => {
    await fuzzParser(
      usbmux,
      fc.tuple(version, type, payloads).map(([v, t, p]) => message(v, t, p)),
      { numRuns: 150 },
    );
  });

  it('device lists whose entries have the wrong shapes', async () => {
    const lists = fc
      .array(deviceEntries, { maxLength: 12 })
      .map((list) => encodeUsbmuxPlist(1, { MessageType: 'Result', DeviceList: list }));
    await fuzzParser(usbmux, lists, { numRuns: 150 });
  });

  it('headers whose length lies (below the header, huge, or past the end of the stream)', async () => {
    await fuzzParser(
      usbmux,
      fc.tuple(version, type, payloads, hostileU32).map(([v, t, p, claimed]) => message(v, t, p, claimed)),
      { numRuns: 150 },
    );
  });
});
