import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { defaultFdrProxyPolicy } from '../../../main/fdr/fdr-client';
import { FdrProtocolError, encodeFdrPlist, encodeProxyConnect, parseProxyConnect, readFdrPlist } from '../../../main/fdr/fdr-wire';
import { ByteReader } from '../../../main/wire/byte-reader';

describe('FDR wire', () => {
  it('frames plists with a little-endian length and a binary plist', async () => {
    const frame = encodeFdrPlist({ Command: 'BeginCtrl', CtrlProtoVersion: 2 });
    expect(frame.readUInt32LE(0)).toBe(frame.length - 4);
    expect(frame.subarray(4, 10).toString('latin1')).toBe('bplist');
    const stream = new PassThrough();
    stream.end(frame);
    await expect(readFdrPlist(new ByteReader(stream))).resolves.toEqual({ Command: 'BeginCtrl', CtrlProtoVersion: 2 });
  });

  it('refuses a plist frame over 64 KiB before reading it', async () => {
    const stream = new PassThrough();
    const head = Buffer.alloc(4);
    head.writeUInt32LE(64 * 1024 + 1, 0);
    stream.write(head);
    await expect(readFdrPlist(new ByteReader(stream))).rejects.toBeInstanceOf(FdrProtocolError);
  });

  it('reads a proxy connect request: 00 03, host length, host, big-endian port', () => {
    const request = encodeProxyConnect({ host: 'gg.apple.com', port: 443 });
    expect([...request.subarray(0, 3)]).toEqual([0, 3, 12]);
    expect(request.readUInt16BE(request.length - 2)).toBe(443);
    expect(parseProxyConnect(request)).toEqual({ host: 'gg.apple.com', port: 443 });
  });

  it.each([
    ['another command', Buffer.from([0, 4, 1, 0x61, 1, 0xbb])],
    ['a host length that disagrees with the request', Buffer.from([0, 3, 5, 0x61, 1, 0xbb])],
    ['a host with a slash', Buffer.concat([Buffer.from([0, 3, 3]), Buffer.from('a/b'), Buffer.from([1, 0xbb])])],
    ['port 0', Buffer.from([0, 3, 1, 0x61, 0, 0])],
  ])('refuses %s', (_name, request) => {
    expect(parseProxyConnect(request)).toBeNull();
  });

  it('lets the phone reach only Apple hosts on 443 by default', () => {
    expect(defaultFdrProxyPolicy({ host: 'gg.apple.com', port: 443 })).toBe(true);
    expect(defaultFdrProxyPolicy({ host: 'apple.com.evil.example', port: 443 })).toBe(false);
    expect(defaultFdrProxyPolicy({ host: '127.0.0.1', port: 443 })).toBe(false);
    expect(defaultFdrProxyPolicy({ host: 'gg.apple.com', port: 22 })).toBe(false);
  });
});
