import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { ByteReader } from '../../../main/wire/byte-reader';
import {
  USBMUX_HEADER_SIZE,
  USBMUX_MAX_MESSAGE,
  UsbmuxProtocolError,
  decodeBinaryConnect,
  decodeBinaryDeviceRecord,
  decodeUsbmuxHeader,
  decodeUsbmuxPlist,
  encodeBinaryConnect,
  encodeBinaryDeviceRecord,
  encodeUsbmuxHeader,
  encodeUsbmuxPlist,
  readUsbmuxPacket,
  swapPort,
} from '../../../main/usbmux/usbmux-wire';
import { nothingOr, thrownBy } from '../../thrown';

describe('usbmux header codec', () => {
  it('writes four little-endian u32 fields', () => {
    const bytes = encodeUsbmuxHeader({ length: 0x11223344, version: 1, message: 8, tag: 0xa1b2c3d4 });
    expect(bytes.toString('hex')).toBe('443322110100000008000000d4c3b2a1');
  });

  it('round-trips any header with a length inside the bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: USBMUX_HEADER_SIZE, max: USBMUX_MAX_MESSAGE }),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        (length, version, message, tag) => {
          const header = { length, version, message, tag };
          expect(decodeUsbmuxHeader(encodeUsbmuxHeader(header))).toEqual(header);
        },
      ),
    );
  });

  it('rejects lengths below the header size or above the bound, and short input', () => {
    expect(() => decodeUsbmuxHeader(encodeUsbmuxHeader({ length: 15, version: 1, message: 8, tag: 0 }))).toThrow(UsbmuxProtocolError);
    expect(() => decodeUsbmuxHeader(encodeUsbmuxHeader({ length: USBMUX_MAX_MESSAGE + 1, version: 1, message: 8, tag: 0 }))).toThrow(
      UsbmuxProtocolError,
    );
    expect(() => decodeUsbmuxHeader(Buffer.alloc(15))).toThrow(UsbmuxProtocolError);
  });

  it('never throws anything but UsbmuxProtocolError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
        let length = USBMUX_HEADER_SIZE;
        const thrown = thrownBy(() => {
          length = decodeUsbmuxHeader(bytes).length;
        });
        expect(thrown).toSatisfy(nothingOr(UsbmuxProtocolError));
        expect(length).toBeGreaterThanOrEqual(USBMUX_HEADER_SIZE);
        expect(length).toBeLessThanOrEqual(USBMUX_MAX_MESSAGE);
      }),
    );
  });

  it('plist payloads decode only to dictionaries; garbage is a protocol error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        let decoded: unknown = {};
        const thrown = thrownBy(() => {
          decoded = decodeUsbmuxPlist(bytes);
        });
        expect(thrown).toSatisfy(nothingOr(UsbmuxProtocolError));
        expect(decoded).toBeTypeOf('object');
      }),
    );
  });

  it('encodes a plist message as one buffer whose length field covers header and payload', async () => {
    const packet = encodeUsbmuxPlist(7, { MessageType: 'ListDevices', ProgName: 'test' });
    const header = decodeUsbmuxHeader(packet);
    expect(header).toMatchObject({ length: packet.length, version: 1, message: 8, tag: 7 });
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    stream.write(packet.subarray(0, 5));
    stream.write(packet.subarray(5));
    const read = await readUsbmuxPacket(reader, { timeoutMs: 1000 });
    expect(decodeUsbmuxPlist(read.payload)).toEqual({ MessageType: 'ListDevices', ProgName: 'test' });
  });

  it('refuses an absurd length before reading the payload', async () => {
    const stream = new PassThrough();
    const reader = new ByteReader(stream);
    stream.write(encodeUsbmuxHeader({ length: 0xffffffff, version: 1, message: 8, tag: 1 }));
    await expect(readUsbmuxPacket(reader, { timeoutMs: 1000 })).rejects.toBeInstanceOf(UsbmuxProtocolError);
  });
});

describe('usbmux value rules', () => {
  it('byte-swaps the lockdown port as libusbmuxd does (62078 ↔ 32498)', () => {
    expect(swapPort(62078)).toBe(32498);
    expect(swapPort(32498)).toBe(62078);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (port) => {
        expect(swapPort(swapPort(port))).toBe(port);
      }),
    );
  });

  it('round-trips binary-protocol Connect and device records', () => {
    expect(decodeBinaryConnect(encodeBinaryConnect({ deviceId: 9, port: 62078 }))).toEqual({ deviceId: 9, port: 62078 });
    const device = { deviceId: 3, productId: 0x12a8, serialNumber: '00008030-001A2B3C4D5E6F70', location: 0x1100000 };
    const record = encodeBinaryDeviceRecord(device);
    expect(record.length).toBe(268);
    expect(decodeBinaryDeviceRecord(record)).toEqual(device);
  });
});
