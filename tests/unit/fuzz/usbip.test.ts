import fc from 'fast-check';
import { describe, it } from 'vitest';
import { parseBmRequestType } from '../../../main/usbip/control-request-type';
import { UsbipProtocolError } from '../../../main/usbip/usbip-errors';
import {
  OP_REP_DEVLIST,
  OP_REP_IMPORT,
  OP_REQ_DEVLIST,
  OP_REQ_IMPORT,
  USBIP_VERSION,
  readDevlistReply,
  readImportReply,
  readOpRequest,
} from '../../../main/usbip/usbip-op-codec';
import {
  URB_HEADER_SIZE,
  USBIP_CMD_SUBMIT,
  USBIP_CMD_UNLINK,
  USBIP_RET_SUBMIT,
  USBIP_RET_UNLINK,
  decodeSetupPacket,
  readUrbCommand,
  readUrbReply,
} from '../../../main/usbip/usbip-urb-codec';
import { StreamClosedError } from '../../../main/wire/byte-reader';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, hostileU32, readerOf, type ParserUnderFuzz } from './fuzz-harness';

const typed = [UsbipProtocolError, StreamClosedError];

/** Everything a server reads (one operation, then URB commands until the stream ends). */
const server: ParserUnderFuzz = {
  name: 'USB/IP server side',
  parse: async (input) => {
    const reader = readerOf(input, 29);
    const seen: unknown[] = [await readOpRequest(reader)];
    for (;;) {
      const command = await readUrbCommand(reader);
      if (command.command === 'submit') seen.push(decodeSetupPacket(command.setup), parseBmRequestType(command.setup[0] ?? 0));
    }
  },
  typedErrors: typed,
};

/** Everything a client reads: a device list or an import reply, then URB replies for 16 outstanding URBs. */
const client: ParserUnderFuzz = {
  name: 'USB/IP client side',
  parse: async (input) => {
    const reader = readerOf(input, 29);
    const seen: unknown[] = [];
    seen.push(input[3] === 0x05 ? await readDevlistReply(reader) : await readImportReply(reader));
    for (;;)
      seen.push(
        await readUrbReply(reader, (seqnum) =>
          seqnum < 16 ? { direction: seqnum % 2 === 0 ? 'in' : 'out', length: seqnum * 4096 } : undefined,
        ),
      );
  },
  typedErrors: typed,
};

const u32 = (value: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
};
const opHeader = (code: number, status: number): Buffer =>
  Buffer.concat([Buffer.from([USBIP_VERSION >> 8, USBIP_VERSION & 0xff, code >> 8, code & 0xff]), u32(status)]);

/** Device records with every field random (numInterfaces included), and a device count that may lie. */
const devlist = fc
  .tuple(
    fc.oneof(fc.nat(4), hostileU32),
    fc.array(fc.uint8Array({ minLength: 0x138, maxLength: 0x138 }), { maxLength: 3 }),
    fc.uint8Array({ maxLength: 600 }),
  )
  .map(([count, records, rest]) => Buffer.concat([opHeader(OP_REP_DEVLIST, 0), u32(count), ...records, rest]));

/** URB headers with random fields, lengths that lie, iso packet counts, and a random amount of data after. */
const urb = fc
  .tuple(
    fc.constantFrom(USBIP_CMD_SUBMIT, USBIP_CMD_UNLINK, USBIP_RET_SUBMIT, USBIP_RET_UNLINK, 7),
    fc.nat(20),
    fc.constantFrom(0, 1, 2),
    fc.nat(17),
    hostileU32,
    hostileU32,
    fc.constantFrom(0, 0xffffffff, 1, 32),
    fc.uint8Array({ maxLength: 200 }),
  )
  .map(([code, seqnum, direction, ep, flagsOrStatus, length, packets, data]) => {
    const header = Buffer.alloc(URB_HEADER_SIZE);
    header.writeUInt32BE(code, 0);
    header.writeUInt32BE(seqnum, 4);
    header.writeUInt32BE(direction, 12);
    header.writeUInt32BE(ep, 16);
    header.writeUInt32BE(flagsOrStatus, 20);
    header.writeUInt32BE(length, 24);
    header.writeUInt32BE(packets, 32);
    return Buffer.concat([header, data]);
  });
const urbs = fc.array(urb, { maxLength: 6 }).map((list) => Buffer.concat(list));

describe('USB/IP under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes, with and without a valid operation header', async () => {
    await fuzzRandomBytes(server, { numRuns: 150 });
    await fuzzRandomBytes(client, { numRuns: 150 });
    await fuzzRandomBytes(server, { numRuns: 100, prefix: opHeader(OP_REQ_IMPORT, 0) });
    await fuzzRandomBytes(client, { numRuns: 100, prefix: opHeader(OP_REP_IMPORT, 0) });
  });

  it('device lists whose counts and records lie', async () => {
    await fuzzParser(client, devlist, { numRuns: 150 });
  });

  it('URB streams with lying lengths, unknown commands, iso packets and bad directions', async () => {
    await fuzzParser(
      server,
      urbs.map((stream) => Buffer.concat([opHeader(OP_REQ_DEVLIST, 0), stream])),
      { numRuns: 150 },
    );
    await fuzzParser(
      client,
      urbs.map((stream) => Buffer.concat([opHeader(OP_REP_IMPORT, 1), stream])),
      { numRuns: 150 },
    );
  });
});
