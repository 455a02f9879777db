import { describe, expect, it } from 'vitest';
import { parseUsbmuxDevice, parseUsbmuxEntry } from '../../../main/usbmux/usbmux-client';
import type { PlistDict } from '../../../main/plist/plist-value';

const entry = (serial: unknown): PlistDict =>
  ({
    DeviceID: 7,
    MessageType: 'Attached',
    Properties: { DeviceID: 7, ConnectionType: 'USB', ProductID: 0x12a8, SerialNumber: serial },
  }) as PlistDict;

describe('usbmuxd device entries: the SerialNumber is validated where it enters', () => {
  it('identifies a device by a real UDID, dash rule applied', () => {
    expect(parseUsbmuxEntry(entry('00008030001A2B3C4D5E6F70'))).toMatchObject({
      deviceId: 7,
      udid: '00008030-001A2B3C4D5E6F70',
      serialNumber: '00008030001A2B3C4D5E6F70',
    });
    expect(parseUsbmuxDevice(entry('b'.repeat(40)))?.udid).toBe('b'.repeat(40));
  });

  it.each(['x/../../victim', '..', 'C:\\victim', 'a'.repeat(200), `${'a'.repeat(40)}\u0000`])(
    'keeps %j as an unidentified device with no UDID',
    (serial) => {
      const device = parseUsbmuxEntry(entry(serial));
      expect(device).toMatchObject({ deviceId: 7, udid: null, connectionType: 'USB', productId: 0x12a8 });
      expect(device).not.toHaveProperty('serialNumber');
      expect(parseUsbmuxDevice(entry(serial))).toBeNull();
    },
  );

  it('quotes and clips what an unidentified device reported, for messages only', () => {
    const device = parseUsbmuxEntry(entry(`x/../../victim${'z'.repeat(500)}`));
    expect(device?.udid).toBeNull();
    expect(device && 'reportedIdentity' in device ? device.reportedIdentity : '').toMatch(/^"x\/\.\.\/\.\.\/victimz+\.\.\."$/);
  });

  it('still drops entries libusbmuxd would refuse (no or empty SerialNumber)', () => {
    expect(parseUsbmuxEntry(entry(undefined))).toBeNull();
    expect(parseUsbmuxEntry(entry(''))).toBeNull();
    expect(parseUsbmuxEntry(entry(42))).toBeNull();
  });
});
