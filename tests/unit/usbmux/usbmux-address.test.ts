import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  daemonMissingAdvice,
  defaultUsbmuxAddress,
  formatUsbmuxAddress,
  parseUsbmuxSocketAddress,
  resolveUsbmuxAddress,
  usbmuxConnectOptions,
} from '../../../main/usbmux/usbmux-address';
import type { UsbmuxAddress } from '../../../main/usbmux/usbmux-address';

describe('default usbmuxd address per OS', () => {
  it('is the UNIX socket /var/run/usbmuxd on Linux and macOS', () => {
    expect(defaultUsbmuxAddress('linux')).toEqual({ kind: 'unix', path: '/var/run/usbmuxd' });
    expect(defaultUsbmuxAddress('darwin')).toEqual({ kind: 'unix', path: '/var/run/usbmuxd' });
  });

  it('is TCP 127.0.0.1:27015 on Windows and Cygwin', () => {
    expect(defaultUsbmuxAddress('win32')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 27015 });
    expect(defaultUsbmuxAddress('cygwin')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 27015 });
  });
});

describe('USBMUXD_SOCKET_ADDRESS parsed like libusbmuxd 2.0.2 (every row of the table)', () => {
  it('UNIX:/tmp/x.sock is a UNIX socket', () => {
    expect(parseUsbmuxSocketAddress('UNIX:/tmp/x.sock', 'linux')).toEqual({ kind: 'unix', path: '/tmp/x.sock' });
  });

  it('unix:/tmp/x.sock (lowercase prefix) is ignored', () => {
    expect(parseUsbmuxSocketAddress('unix:/tmp/x.sock', 'linux')).toBeNull();
    expect(parseUsbmuxSocketAddress('Unix:/tmp/x.sock', 'linux')).toBeNull();
  });

  it('a bare path /tmp/x.sock is ignored', () => {
    expect(parseUsbmuxSocketAddress('/tmp/x.sock', 'linux')).toBeNull();
  });

  it('127.0.0.1:27999 is TCP', () => {
    expect(parseUsbmuxSocketAddress('127.0.0.1:27999', 'linux')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 27999 });
  });

  it('[::1]:27999 is TCP over IPv6 with the brackets stripped', () => {
    expect(parseUsbmuxSocketAddress('[::1]:27999', 'linux')).toEqual({ kind: 'tcp', host: '::1', port: 27999 });
  });
});

describe('USBMUXD_SOCKET_ADDRESS edge cases', () => {
  it('splits host and port at the last colon', () => {
    expect(parseUsbmuxSocketAddress('::1:27999', 'linux')).toEqual({ kind: 'tcp', host: '::1', port: 27999 });
    expect(parseUsbmuxSocketAddress('localhost:1', 'linux')).toEqual({ kind: 'tcp', host: 'localhost', port: 1 });
  });

  it('accepts ports 1 and 65535 and ignores 0, 65536, negative and non-numeric ports', () => {
    expect(parseUsbmuxSocketAddress('h:1', 'linux')).toMatchObject({ port: 1 });
    expect(parseUsbmuxSocketAddress('h:65535', 'linux')).toMatchObject({ port: 65535 });
    for (const bad of ['h:0', 'h:65536', 'h:-1', 'h:abc', 'h:27015x', 'h:', 'h:2.5', 'h:0x10']) {
      expect(parseUsbmuxSocketAddress(bad, 'linux'), bad).toBeNull();
    }
  });

  it('ignores an empty host, an empty value and an empty UNIX path', () => {
    expect(parseUsbmuxSocketAddress(':27015', 'linux')).toBeNull();
    expect(parseUsbmuxSocketAddress('[]:27015', 'linux')).toBeNull();
    expect(parseUsbmuxSocketAddress('', 'linux')).toBeNull();
    expect(parseUsbmuxSocketAddress('UNIX:', 'linux')).toBeNull();
  });

  it('ignores UNIX: on Windows, where libusbmuxd has no UNIX sockets', () => {
    expect(parseUsbmuxSocketAddress('UNIX:/tmp/x.sock', 'win32')).toBeNull();
    expect(parseUsbmuxSocketAddress('127.0.0.1:27999', 'win32')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 27999 });
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (value) => {
        const parsed = parseUsbmuxSocketAddress(value, 'linux');
        expect(parsed?.kind === 'tcp' ? parsed.port : 1).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it('reads back what formatUsbmuxAddress writes', () => {
    const address: fc.Arbitrary<UsbmuxAddress> = fc.oneof(
      fc.record({ kind: fc.constant('unix' as const), path: fc.string({ minLength: 1, maxLength: 40 }) }),
      fc.record({
        kind: fc.constant('tcp' as const),
        host: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()),
        port: fc.integer({ min: 1, max: 65535 }),
      }),
    );
    fc.assert(
      fc.property(address, (a) => {
        expect(parseUsbmuxSocketAddress(formatUsbmuxAddress(a), 'linux')).toEqual(a);
      }),
    );
  });
});

describe('resolveUsbmuxAddress', () => {
  it('uses the environment value when libusbmuxd would honour it', () => {
    expect(resolveUsbmuxAddress({ platform: 'linux', env: { USBMUXD_SOCKET_ADDRESS: '127.0.0.1:5000' } })).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 5000,
      source: 'environment',
    });
  });

  it('falls back to the OS default when the value is malformed or absent', () => {
    expect(resolveUsbmuxAddress({ platform: 'linux', env: { USBMUXD_SOCKET_ADDRESS: 'unix:/tmp/x' } })).toEqual({
      kind: 'unix',
      path: '/var/run/usbmuxd',
      source: 'default',
    });
    expect(resolveUsbmuxAddress({ platform: 'win32', env: {} })).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 27015,
      source: 'default',
    });
  });

  it('gives net.connect options for both kinds', () => {
    expect(usbmuxConnectOptions({ kind: 'unix', path: '/tmp/m' })).toEqual({ path: '/tmp/m' });
    expect(usbmuxConnectOptions({ kind: 'tcp', host: '::1', port: 9 })).toEqual({ host: '::1', port: 9 });
  });
});

describe('advice when usbmuxd is missing', () => {
  it('tells Linux users to install/start usbmuxd or plug the phone in', () => {
    const advice = daemonMissingAdvice('linux', { ...defaultUsbmuxAddress('linux'), source: 'default' }, 'ENOENT');
    expect(advice).toContain('sudo systemctl start usbmuxd');
    expect(advice).toMatch(/plug the iPhone in/);
  });

  it('tells Windows users the Apple Mobile Device Service is missing', () => {
    expect(daemonMissingAdvice('win32', { ...defaultUsbmuxAddress('win32'), source: 'default' })).toMatch(
      /^Apple Mobile Device Service is not running — install Apple Devices from the Microsoft Store or iTunes/,
    );
  });

  it('tells macOS users usbmuxd is built in and to restart the Mac', () => {
    expect(daemonMissingAdvice('darwin', { ...defaultUsbmuxAddress('darwin'), source: 'default' })).toMatch(
      /built into macOS.*restart the Mac/,
    );
  });

  it('names the environment override when that is where nothing answers', () => {
    expect(daemonMissingAdvice('linux', { kind: 'tcp', host: '127.0.0.1', port: 1, source: 'environment' })).toContain(
      'USBMUXD_SOCKET_ADDRESS=127.0.0.1:1',
    );
  });
});
