import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AsrError } from '../../../main/asr/asr-error';
import {
  ASR_CHECKSUM_CHUNK_SIZE,
  ASR_HOST_MESSAGE_END,
  ASR_PHONE_MESSAGE_END,
  checkOobRequest,
  encodeInitiate,
  encodeOobRequest,
  encodePacketInfo,
  encodePayloadRequest,
  parsePacketInfo,
  parsePhoneMessage,
  payloadWireBytes,
  readAsrMessage,
} from '../../../main/asr/asr-wire';
import { encodeXmlPlist } from '../../../main/plist/plist-codec';
import { ByteReader } from '../../../main/wire/byte-reader';
import { rejectionOf, thrownBy } from '../../thrown';

function readerWith(...pieces: (string | Buffer)[]): { reader: ByteReader; stream: PassThrough } {
  const stream = new PassThrough();
  const reader = new ByteReader(stream);
  for (const piece of pieces) stream.write(piece);
  return { reader, stream };
}

describe('ASR packet info', () => {
  it('carries exactly what a real host sends, in its order, checksum chunk size only when asked', () => {
    const plain = encodePacketInfo(5_000_000_000, false);
    expect(Object.keys(plain)).toEqual(['FEC Slice Stride', 'Packet Payload Size', 'Packets Per FEC', 'Payload', 'Stream ID', 'Version']);
    expect(plain).toEqual({
      'FEC Slice Stride': 40,
      'Packet Payload Size': 1450,
      'Packets Per FEC': 25,
      Payload: { Port: 1, Size: 5_000_000_000 },
      'Stream ID': 1,
      Version: 1,
    });
    expect(encodePacketInfo(10, true)['Checksum Chunk Size']).toBe(131072);
  });

  it('round-trips through XML and the phone-side check', () => {
    const decoded = readAsrMessage(readerWith(encodeXmlPlist(encodePacketInfo(4_500_000_000, true))).reader, ASR_HOST_MESSAGE_END);
    return expect(decoded.then((value) => parsePacketInfo(value, true))).resolves.toEqual({
      imageSize: 4_500_000_000,
      checksumChunks: true,
      checksumChunkSize: ASR_CHECKSUM_CHUNK_SIZE,
      fecSliceStride: 40,
      packetPayloadSize: 1450,
      packetsPerFec: 25,
      payloadPort: 1,
      streamId: 1,
      version: 1,
    });
  });

  it('is refused by the phone when a constant differs or the checksum size does not match the Initiate', () => {
    for (const [info, checksum] of [
      [{ ...encodePacketInfo(10, false), 'Packet Payload Size': 1400 }, false],
      [encodePacketInfo(10, false), true],
      [encodePacketInfo(10, true), false],
      [{ ...encodePacketInfo(10, false), Payload: { Port: 1, Size: -1 } }, false],
      [{ ...encodePacketInfo(10, false), Payload: 'x' }, false],
      [['not', 'a', 'dict'], false],
    ] as const) {
      expect(thrownBy(() => parsePacketInfo(info as never, checksum))).toBeInstanceOf(AsrError);
    }
  });
});

describe('messages from the phone', () => {
  it('reads the three commands', () => {
    expect(parsePhoneMessage(encodeInitiate(true))).toEqual({ command: 'Initiate', checksumChunks: true });
    expect(parsePhoneMessage({ Command: 'Initiate' })).toEqual({ command: 'Initiate', checksumChunks: null });
    expect(parsePhoneMessage({ Command: 'Initiate', 'Checksum Chunks': 'yes' })).toEqual({ command: 'Initiate', checksumChunks: null });
    expect(parsePhoneMessage(encodeOobRequest({ offset: 1_500_000_000, length: 128000 }))).toEqual({
      command: 'OOBData',
      offset: 1_500_000_000,
      length: 128000,
    });
    expect(parsePhoneMessage(encodePayloadRequest())).toEqual({ command: 'Payload' });
  });

  it.each([
    ['an unknown command', { Command: 'Format' }],
    ['no command', { 'OOB Length': 1 }],
    ['a negative offset', { Command: 'OOBData', 'OOB Length': 1, 'OOB Offset': -1 }],
    ['a fractional length', { Command: 'OOBData', 'OOB Length': 1.5, 'OOB Offset': 0 }],
    ['a string length', { Command: 'OOBData', 'OOB Length': '512', 'OOB Offset': 0 }],
    ['a missing offset', { Command: 'OOBData', 'OOB Length': 512 }],
    ['a 64-bit offset', { Command: 'OOBData', 'OOB Length': 512, 'OOB Offset': 2n ** 63n }],
    ['an array', ['Initiate']],
  ])('refuses %s with a typed error', (_name, message) => {
    expect(thrownBy(() => parsePhoneMessage(message as never))).toBeInstanceOf(AsrError);
  });
});

describe('out-of-band requests', () => {
  const size = 10_000;
  it('accepts reads inside the image, up to its last byte', () => {
    expect(checkOobRequest({ offset: 0, length: size }, size, size)).toEqual({ offset: 0, length: size });
    expect(checkOobRequest({ offset: size - 1, length: 1 }, size, 512)).toEqual({ offset: size - 1, length: 1 });
    expect(checkOobRequest({ offset: size, length: 0 }, size, 512)).toEqual({ offset: size, length: 0 });
  });

  it.each([
    ['past the end', { offset: size - 10, length: 11 }],
    ['starting beyond the image', { offset: size + 1, length: 0 }],
    ['whose end overflows', { offset: Number.MAX_SAFE_INTEGER, length: 2 }],
    ['longer than the limit', { offset: 0, length: 4097 }],
  ])('refuses a read %s', (_name, request) => {
    const error = thrownBy(() => checkOobRequest(request, size, 4096));
    expect(error).toBeInstanceOf(AsrError);
    expect((error as AsrError).kind).toBe('oob-range');
  });
});

describe('payload size on the wire', () => {
  it('adds a 20-byte SHA-1 per chunk, a short last chunk included', () => {
    expect(payloadWireBytes(0, true)).toBe(0);
    expect(payloadWireBytes(ASR_CHECKSUM_CHUNK_SIZE, true)).toBe(ASR_CHECKSUM_CHUNK_SIZE + 20);
    expect(payloadWireBytes(ASR_CHECKSUM_CHUNK_SIZE + 1, true)).toBe(ASR_CHECKSUM_CHUNK_SIZE + 1 + 40);
    expect(payloadWireBytes(ASR_CHECKSUM_CHUNK_SIZE + 1, false)).toBe(ASR_CHECKSUM_CHUNK_SIZE + 1);
  });
});

describe('bare XML plist framing', () => {
  it('stops at the terminator and leaves the raw bytes after it unread, even when split mid-tag', async () => {
    const xml = encodeXmlPlist(encodePacketInfo(3, false)).toString();
    const cut = xml.indexOf('</pli');
    const { reader } = readerWith(xml.slice(0, cut), xml.slice(cut) + 'RAW');
    expect(await readAsrMessage(reader, ASR_HOST_MESSAGE_END)).toEqual(encodePacketInfo(3, false));
    expect((await reader.read(3)).toString()).toBe('RAW');
  });

  it('takes back-to-back messages from one buffer (the phone side ends at </plist>, its newline leads the next)', async () => {
    const { reader } = readerWith(Buffer.concat([encodeXmlPlist(encodeInitiate(false)), encodeXmlPlist(encodePayloadRequest())]));
    expect(parsePhoneMessage(await readAsrMessage(reader, ASR_PHONE_MESSAGE_END))).toEqual({ command: 'Initiate', checksumChunks: false });
    expect(parsePhoneMessage(await readAsrMessage(reader, ASR_PHONE_MESSAGE_END))).toEqual({ command: 'Payload' });
  });

  it('refuses a message that never ends within the limit', async () => {
    const { reader } = readerWith('<?xml version="1.0"?><plist><string>' + 'A'.repeat(70_000));
    const error = await rejectionOf(() => readAsrMessage(reader, ASR_PHONE_MESSAGE_END));
    expect(error).toBeInstanceOf(AsrError);
    expect((error as AsrError).kind).toBe('bad-message');
  });

  it('refuses a terminated message that is not a plist', async () => {
    const { reader } = readerWith('<html><b>hi</b></plist>');
    expect(((await rejectionOf(() => readAsrMessage(reader, ASR_PHONE_MESSAGE_END))) as AsrError).kind).toBe('bad-message');
  });

  it('reports a closed connection and a silent one as typed errors', async () => {
    const closed = readerWith('<?xml');
    closed.stream.end();
    expect(((await rejectionOf(() => readAsrMessage(closed.reader, ASR_PHONE_MESSAGE_END))) as AsrError).kind).toBe('closed');
    const silent = readerWith('<?xml');
    expect(((await rejectionOf(() => readAsrMessage(silent.reader, ASR_PHONE_MESSAGE_END, { timeoutMs: 5 }))) as AsrError).kind).toBe(
      'timeout',
    );
  });
});
