import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bmRequestTypeOf, parseBmRequestType } from '../../../main/usbip/control-request-type';
import { decodeDeviceRecord, encodeDeviceRecord, type UsbipDeviceRecord } from '../../../main/usbip/usbip-device-record';
import { UsbipProtocolError } from '../../../main/usbip/usbip-errors';
import {
  encodeDevlistReply,
  encodeDevlistRequest,
  encodeImportReply,
  encodeImportRequest,
  readDevlistReply,
  readImportReply,
  readOpRequest,
  type UsbipDevlistEntry,
} from '../../../main/usbip/usbip-op-codec';
import {
  MAX_URB_TRANSFER_BYTES,
  decodeSetupPacket,
  encodeSetupPacket,
  encodeUrb,
  readUrbCommand,
  readUrbReply,
  type UsbipCmdSubmit,
} from '../../../main/usbip/usbip-urb-codec';
import { ByteReader, StreamClosedError } from '../../../main/wire/byte-reader';

function readerOf(...chunks: Buffer[]): ByteReader {
  const stream = new PassThrough();
  const reader = new ByteReader(stream);
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return reader;
}

const record: UsbipDeviceRecord = {
  path: '/sys/devices/platform/lifeline-sim/usb1/1-1',
  busid: '1-1',
  busnum: 1,
  devnum: 42,
  speed: 3,
  vendorId: 0x05ac,
  productId: 0x1227,
  bcdDevice: 0x0001,
  deviceClass: 0,
  deviceSubClass: 0,
  deviceProtocol: 0,
  configurationValue: 1,
  numConfigurations: 1,
  numInterfaces: 1,
};

describe('USB/IP device record', () => {
  it('is 312 bytes with the fields where the kernel puts them', () => {
    const bytes = encodeDeviceRecord(record);
    expect(bytes.length).toBe(0x138);
    expect(bytes.subarray(0x100, 0x103).toString()).toBe('1-1');
    expect(bytes.readUInt32BE(0x124)).toBe(42);
    expect(bytes.readUInt16BE(0x12c)).toBe(0x05ac);
    expect(bytes.readUInt16BE(0x12e)).toBe(0x1227);
    expect(bytes[0x137]).toBe(1);
    expect(decodeDeviceRecord(bytes)).toEqual(record);
  });

  it('refuses a busid that does not fit its 32-byte field', () => {
    expect(() => encodeDeviceRecord({ ...record, busid: 'x'.repeat(32) })).toThrow(UsbipProtocolError);
  });
});

describe('USB/IP operations', () => {
  it('round-trips OP_REQ_DEVLIST and a device list with interfaces', async () => {
    const entries: UsbipDevlistEntry[] = [
      { ...record, interfaces: [{ interfaceClass: 0xfe, interfaceSubClass: 1, interfaceProtocol: 2 }] },
      {
        ...record,
        busid: '1-2',
        devnum: 7,
        productId: 0x1281,
        numInterfaces: 2,
        interfaces: [
          { interfaceClass: 0xff, interfaceSubClass: 0xff, interfaceProtocol: 0 },
          { interfaceClass: 0xff, interfaceSubClass: 0xff, interfaceProtocol: 0 },
        ],
      },
    ];
    expect(await readOpRequest(readerOf(encodeDevlistRequest()))).toEqual({ kind: 'devlist' });
    expect(await readDevlistReply(readerOf(encodeDevlistReply(entries)))).toEqual(entries);
  });

  it('round-trips OP_REQ_IMPORT and both import answers', async () => {
    expect(await readOpRequest(readerOf(encodeImportRequest('1-2')))).toEqual({ kind: 'import', busid: '1-2' });
    expect(await readImportReply(readerOf(encodeImportReply({ status: 0, device: record })))).toEqual({ status: 0, device: record });
    // A refusal is the 8-byte header alone, as usbipd sends it.
    const refused = encodeImportReply({ status: 4 });
    expect(refused.length).toBe(8);
    expect(await readImportReply(readerOf(refused))).toEqual({ status: 4 });
  });

  it('refuses a device list claiming more devices than allowed without reading them', async () => {
    const header = encodeDevlistReply([]);
    header.writeUInt32BE(0xffffffff, 8);
    await expect(readDevlistReply(readerOf(header))).rejects.toThrow(/at most 64/);
  });

  it('refuses unknown versions and operation codes', async () => {
    const wrongVersion = encodeDevlistRequest();
    wrongVersion.writeUInt16BE(0x0200, 0);
    await expect(readOpRequest(readerOf(wrongVersion))).rejects.toBeInstanceOf(UsbipProtocolError);
    const wrongCode = encodeDevlistRequest();
    wrongCode.writeUInt16BE(0x8123, 2);
    await expect(readOpRequest(readerOf(wrongCode))).rejects.toBeInstanceOf(UsbipProtocolError);
  });
});

describe('USB/IP URBs', () => {
  const setup = encodeSetupPacket({ bmRequestType: 0x21, bRequest: 1, wValue: 3, wIndex: 0, wLength: 5 });
  const submitOut: UsbipCmdSubmit = {
    command: 'submit',
    seqnum: 9,
    devid: 0x10002,
    direction: 'out',
    ep: 0,
    transferFlags: 0,
    transferBufferLength: 5,
    interval: 0,
    setup,
    data: Buffer.from('hello'),
  };

  it('round-trips CMD_SUBMIT (OUT data follows the header) and CMD_UNLINK', async () => {
    const bytes = encodeUrb(submitOut);
    expect(bytes.length).toBe(48 + 5);
    expect(await readUrbCommand(readerOf(bytes))).toEqual(submitOut);
    const unlink = { command: 'unlink' as const, seqnum: 10, devid: 2, direction: 'out' as const, ep: 0, unlinkSeqnum: 9 };
    expect(await readUrbCommand(readerOf(encodeUrb(unlink)))).toEqual(unlink);
  });

  it('round-trips RET_SUBMIT with IN data and RET_UNLINK, matched by sequence number', async () => {
    const ret = {
      command: 'ret-submit' as const,
      seqnum: 4,
      devid: 0,
      direction: 'in' as const,
      ep: 0,
      status: 0,
      actualLength: 3,
      errorCount: 0,
      data: Buffer.from([1, 2, 3]),
    };
    const lookup = (seq: number) => (seq === 4 ? { direction: 'in' as const, length: 255 } : undefined);
    expect(await readUrbReply(readerOf(encodeUrb(ret)), lookup)).toEqual(ret);
    const unlink = { command: 'ret-unlink' as const, seqnum: 5, devid: 0, direction: 'out' as const, ep: 0, status: -104 };
    expect(await readUrbReply(readerOf(encodeUrb(unlink)), lookup)).toEqual(unlink);
  });

  it('refuses an IN reply longer than the transfer asked for, and replies to unknown sequence numbers', async () => {
    const ret = {
      command: 'ret-submit' as const,
      seqnum: 4,
      devid: 0,
      direction: 'in' as const,
      ep: 0,
      status: 0,
      actualLength: 3,
      errorCount: 0,
      data: Buffer.from([1, 2, 3]),
    };
    await expect(readUrbReply(readerOf(encodeUrb(ret)), () => ({ direction: 'in', length: 2 }))).rejects.toBeInstanceOf(UsbipProtocolError);
    await expect(readUrbReply(readerOf(encodeUrb(ret)), () => undefined)).rejects.toBeInstanceOf(UsbipProtocolError);
  });

  it('refuses absurd transfer lengths before reading any data', async () => {
    const bytes = encodeUrb({ ...submitOut, transferBufferLength: 0, data: Buffer.alloc(0) });
    bytes.writeInt32BE(MAX_URB_TRANSFER_BYTES + 1, 24);
    await expect(readUrbCommand(readerOf(bytes))).rejects.toThrow(/outside/);
    bytes.writeInt32BE(-1, 24);
    await expect(readUrbCommand(readerOf(bytes))).rejects.toThrow(/outside/);
  });

  it('refuses isochronous URBs', async () => {
    const bytes = encodeUrb({ ...submitOut, transferBufferLength: 0, data: Buffer.alloc(0) });
    bytes.writeUInt32BE(8, 32);
    await expect(readUrbCommand(readerOf(bytes))).rejects.toThrow(/isochronous/);
  });

  it('maps setup packets and bmRequestType both ways', () => {
    expect(decodeSetupPacket(setup)).toEqual({ bmRequestType: 0x21, bRequest: 1, wValue: 3, wIndex: 0, wLength: 5 });
    expect(bmRequestTypeOf({ requestType: 'class', recipient: 'interface' }, 'in')).toBe(0xa1);
    expect(bmRequestTypeOf({ requestType: 'vendor', recipient: 'device' }, 'out')).toBe(0x40);
    expect(parseBmRequestType(0xc0)).toEqual({ direction: 'in', requestType: 'vendor', recipient: 'device' });
    expect(parseBmRequestType(0x41)).toEqual({ direction: 'out', requestType: 'vendor', recipient: 'interface' });
    expect(parseBmRequestType(0x60)).toBeNull();
  });
});

describe('USB/IP parsers against hostile bytes', () => {
  const acceptable = (error: unknown): boolean => error instanceof UsbipProtocolError || error instanceof StreamClosedError;

  it('never crash: every outcome is a value or a typed refusal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 700 }), async (bytes) => {
        const input = Buffer.from(bytes);
        for (const parse of [
          (r: ByteReader) => readOpRequest(r),
          (r: ByteReader) => readDevlistReply(r),
          (r: ByteReader) => readImportReply(r),
          (r: ByteReader) => readUrbCommand(r, { maxTransferBytes: 4096 }),
          (r: ByteReader) => readUrbReply(r, () => ({ direction: 'in', length: 64 })),
        ]) {
          try {
            await parse(readerOf(input));
          } catch (error) {
            if (!acceptable(error)) throw error;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never crash on a valid header followed by hostile fields', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 40, maxLength: 400 }), async (tail) => {
        const header = Buffer.from([0x00, 0x00, 0x00, 0x01]);
        try {
          await readUrbCommand(readerOf(header, Buffer.from(tail)), { maxTransferBytes: 256 });
        } catch (error) {
          if (!acceptable(error)) throw error;
        }
      }),
      { numRuns: 300 },
    );
  });
});
