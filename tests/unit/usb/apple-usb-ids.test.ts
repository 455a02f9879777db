import { describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../../common/device-table';
import { APPLE_VENDOR_ID, appleUsbModeOf, describeAppleUsb, normalProductIdFor } from '../../../main/usb/apple-usb-ids';

describe('appleUsbModeOf', () => {
  it.each([
    [0x1227, 'dfu'],
    [0x1222, 'wtf'],
    [0x1280, 'recovery'],
    [0x1281, 'recovery'],
    [0x1282, 'recovery'],
    [0x1283, 'recovery'],
    [0x1290, 'normal'],
    [0x12a8, 'normal'],
    [0x12ab, 'normal'],
    [0x12af, 'normal'],
    [0x127f, 'other'],
    [0x1284, 'other'],
    [0x128f, 'other'],
    [0x12b0, 'other'],
    [0xf014, 'other'],
    [0x1881, 'other'],
    [0x1901, 'other'],
  ] as const)('Apple product id %i is %s', (pid, mode) => {
    expect(appleUsbModeOf(APPLE_VENDOR_ID, pid)).toBe(mode);
  });

  it('treats another vendor with an Apple-looking PID as not Apple', () => {
    expect(appleUsbModeOf(0x18d1, 0x1227)).toBe('other');
    expect(describeAppleUsb(0x18d1, 0x1227).name).toBe('Not an Apple device');
  });
});

describe('describeAppleUsb', () => {
  it('names Port DFU and KIS even though the coach treats them as other', () => {
    expect(describeAppleUsb(APPLE_VENDOR_ID, 0xf014)).toEqual({ mode: 'other', name: 'Port DFU (Mac USB-C port controller)' });
    expect(describeAppleUsb(APPLE_VENDOR_ID, 0x1881).name).toMatch(/KIS/);
  });

  it('names an unknown Apple product with its hex id', () => {
    expect(describeAppleUsb(APPLE_VENDOR_ID, 0x0250).name).toBe('Apple device (product id 0x0250)');
  });

  it('gives every mode a distinct name', () => {
    const names = [0x1227, 0x1222, 0x1281, 0x12a8].map((pid) => describeAppleUsb(APPLE_VENDOR_ID, pid).name);
    expect(new Set(names).size).toBe(4);
  });
});

describe('normalProductIdFor', () => {
  it('uses 0x12A8 for the iPhone 5 and every later iPhone', () => {
    for (const model of DEVICE_MODELS.filter((m) => m.productType.startsWith('iPhone'))) {
      const major = Number(/^iPhone(\d+),/.exec(model.productType)?.[1]);
      const pid = normalProductIdFor(model.productType);
      expect(appleUsbModeOf(APPLE_VENDOR_ID, pid)).toBe('normal');
      expect(major < 5 || pid === 0x12a8, model.productType).toBe(true);
    }
  });

  it('uses the usb.ids PIDs of the early iPhones', () => {
    expect(normalProductIdFor('iPhone1,1')).toBe(0x1290);
    expect(normalProductIdFor('iPhone1,2')).toBe(0x1292);
    expect(normalProductIdFor('iPhone2,1')).toBe(0x1294);
    expect(normalProductIdFor('iPhone3,1')).toBe(0x1297);
    expect(normalProductIdFor('iPhone3,3')).toBe(0x129c);
    expect(normalProductIdFor('iPhone4,1')).toBe(0x12a0);
  });

  it('stays in the normal range for every device in the table', () => {
    for (const model of DEVICE_MODELS) {
      expect(appleUsbModeOf(APPLE_VENDOR_ID, normalProductIdFor(model.productType))).toBe('normal');
    }
  });
});
