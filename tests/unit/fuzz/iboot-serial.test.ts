import fc from 'fast-check';
import { describe, it } from 'vitest';
import { decodeStringDescriptor, deviceInfoFromSerial, withNonces } from '../../../main/irecv/irecv-device-info';
import { MAX_SERIAL_INPUT_LENGTH, parseIBootSerial } from '../../../main/usb/iboot-serial';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, type ParserUnderFuzz } from './fuzz-harness';

/** The serial string as a phone in DFU / recovery presents it: a USB string descriptor, decoded, then parsed. */
const serial: ParserUnderFuzz = {
  name: 'iBoot serial string',
  parse: (input) => {
    const text = decodeStringDescriptor(input);
    const info = deviceInfoFromSerial({ vendorId: 0x05ac, productId: 0x1227, serialNumber: text });
    return [parseIBootSerial(text), info && withNonces(info, text), parseIBootSerial(Buffer.from(input).toString('latin1'))];
  },
  // parseIBootSerial never throws: failures are results.
  typedErrors: [],
};

/** A string descriptor around `text` (UTF-16LE), with a length byte that may lie. */
function descriptor(text: string, claimed?: number): Buffer {
  const body = Buffer.from(text, 'utf16le');
  return Buffer.concat([Buffer.from([claimed ?? Math.min(255, body.length + 2), 3]), body]);
}

const KEYS = [
  'CPID',
  'CPRV',
  'CPFM',
  'SCEP',
  'BDID',
  'ECID',
  'IBFL',
  'SRTG',
  'SRNM',
  'IMEI',
  'NONC',
  'SNON',
  'PWND',
  'SDOM',
  'PREV',
  'ABCD',
  'cpid',
  'x',
];
const token = fc.oneof(
  fc.tuple(fc.constantFrom(...KEYS), fc.string({ maxLength: 40 })).map(([key, value]) => `${key}:${value}`),
  fc.tuple(fc.constantFrom(...KEYS), fc.string({ maxLength: 200 })).map(([key, value]) => `${key}:[${value}]`),
  fc.tuple(fc.constantFrom(...KEYS), fc.integer({ min: 0, max: 600 })).map(([key, n]) => `${key}:${'F'.repeat(n)}`),
  fc.constantFrom('[', ']', ':', ' ', '_', '#', 'vid_05ac', 'pid_1227', '\\\\?\\usb#', '\0', 'CPID:[', 'ECID:0x'),
);
const serialTexts = fc
  .tuple(fc.array(token, { maxLength: 60 }), fc.constantFrom(' ', '_', '#'))
  .map(([tokens, separator]) => tokens.join(separator));

describe('iBoot serial strings under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes as descriptors and as text', async () => {
    await fuzzRandomBytes(serial, { numRuns: 300 });
    await fuzzRandomBytes(serial, { numRuns: 150, prefix: Buffer.from([0xff, 3]) });
  });

  it('token soup: duplicate keys, unterminated brackets, over-long values, Windows paths', async () => {
    await fuzzParser(
      serial,
      fc.tuple(serialTexts, fc.option(fc.nat(255), { nil: undefined })).map(([text, claimed]) => descriptor(text, claimed)),
      { numRuns: 200 },
    );
    await fuzzParser(
      serial,
      serialTexts.map((text) => Buffer.from(text, 'latin1')),
      { numRuns: 150 },
    );
  });

  it('text at and past the length limit', async () => {
    const long = fc
      .integer({ min: MAX_SERIAL_INPUT_LENGTH - 8, max: MAX_SERIAL_INPUT_LENGTH * 64 })
      .map((n) => Buffer.from(`CPID:8010 SRTG:[${'x'.repeat(n)}`, 'latin1'));
    await fuzzParser(serial, long, { numRuns: 40 });
  });
});
