import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NodeUsbBus,
  classifyUsbFailure,
  openNodeUsbBus,
  type NativeUsbBackend,
  type NativeUsbDevice,
} from '../../../main/usb/node-usb-bus';
import type { UsbDeviceHandle } from '../../../main/usb/usb-bus';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
const uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => {
  uncaught.push(error);
};

beforeEach(() => {
  unhandled.length = 0;
  uncaught.length = 0;
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);
});

afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUncaught);
});

const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fakeDevice(vendorId: number, productId: number, handle: string, open: () => Promise<void> = async () => {}): NativeUsbDevice {
  const unused = async (): Promise<never> => {
    throw new Error('not used');
  };
  return {
    vendorId,
    productId,
    bus: '1-1',
    address: Number(handle.replace(/\D/g, '')) || 1,
    ports: [1, 4],
    handle,
    serialNumber: 'CPID:8010 BDID:0C',
    productName: 'Apple Mobile Device (DFU Mode)',
    manufacturerName: 'Apple Inc.',
    opened: false,
    open,
    close: async () => {},
    selectConfiguration: unused,
    claimInterface: unused,
    releaseInterface: unused,
    controlTransferIn: unused,
    controlTransferOut: unused,
    transferIn: unused,
    transferOut: unused,
  };
}

describe('NodeUsbBus on this machine (real usb@3 module)', () => {
  it.skipIf(existsSync('/sys/bus/usb'))(
    'reports USB as unavailable (no USB subsystem) calmly, lists nothing, and leaks no rejection or exception',
    async () => {
      const bus = await openNodeUsbBus();
      const status = bus.status();
      expect(status).toMatchObject({ state: 'unavailable', reason: 'no-usb-subsystem' });
      assert(status.state === 'unavailable');
      expect(status.detail).toMatch(/sys\/bus\/usb/);
      expect(status.fix.length).toBeGreaterThan(40);
      const off = bus.onConnect(() => {});
      bus.onDisconnect(() => {});
      expect(await bus.getDevices()).toEqual([]);
      off();
      await settle();
      bus.close();
      await settle();
      expect(unhandled).toEqual([]);
      expect(uncaught).toEqual([]);
    },
  );
});

describe('NodeUsbBus with a scripted backend', () => {
  it('turns a module that fails to load into library-failed, not a crash', async () => {
    const bus = await openNodeUsbBus({
      loadBackend: async () => {
        throw new Error('Cannot find module @node-usb/usb-linux-x64-gnu');
      },
    });
    expect(bus.status()).toMatchObject({ state: 'unavailable', reason: 'library-failed' });
    expect(await bus.getDevices()).toEqual([]);
  });

  it('lists only Apple devices and keeps one handle object per device', async () => {
    const devices = [fakeDevice(0x05ac, 0x1227, 'h1'), fakeDevice(0x18d1, 0x4ee7, 'h2')];
    const bus = await openNodeUsbBus({ loadBackend: async () => ({ getDevices: async () => devices }) });
    expect(bus.status()).toEqual({ state: 'ready' });
    const first = await bus.getDevices();
    expect(first.map((d) => d.productId)).toEqual([0x1227]);
    expect(first[0]?.location).toBe('usb:1-1/1.4');
    expect((await bus.getDevices())[0]).toBe(first[0]);
  });

  it('reports hotplug arrivals and departures of Apple devices with the same handle object', async () => {
    let attach: ((d: NativeUsbDevice) => void) | undefined;
    let detach: ((h: string) => void) | undefined;
    const backend: NativeUsbBackend = {
      getDevices: async () => [],
      hotplug: {
        addAttach: async (cb) => {
          attach = cb;
        },
        addDetach: async (cb) => {
          detach = cb;
        },
        removeAttach: async () => {},
        removeDetach: async () => {},
      },
    };
    const bus = await openNodeUsbBus({ loadBackend: async () => backend });
    const connected: UsbDeviceHandle[] = [];
    const disconnected: UsbDeviceHandle[] = [];
    bus.onConnect((d) => connected.push(d));
    bus.onDisconnect((d) => disconnected.push(d));
    attach?.(fakeDevice(0x046d, 0xc52b, 'mouse'));
    attach?.(fakeDevice(0x05ac, 0x1281, 'h7'));
    detach?.('mouse');
    detach?.('h7');
    expect(connected.map((d) => d.productId)).toEqual([0x1281]);
    expect(disconnected).toEqual(connected);
    bus.close();
  });

  it('says permission-denied with the udev rule when Linux refuses access', async () => {
    const bus = await openNodeUsbBus({
      platform: 'linux',
      loadBackend: async () => ({
        getDevices: async () => {
          throw Object.assign(new Error('Permission denied (os error 13)'), { code: 'EACCES' });
        },
      }),
    });
    const status = bus.status();
    expect(status).toMatchObject({ state: 'unavailable', reason: 'permission-denied' });
    assert(status.state === 'unavailable');
    expect(status.fix).toContain('ATTR{idVendor}=="05ac"');
  });

  it('says driver-missing on Windows when opening the device is not supported, and rejects with a typed error', async () => {
    const device = fakeDevice(0x05ac, 0x1281, 'w1', async () => {
      throw new Error('NOT_SUPPORTED: no WinUSB driver');
    });
    const bus = await openNodeUsbBus({ platform: 'win32', loadBackend: async () => ({ getDevices: async () => [device] }) });
    const [handle] = await bus.getDevices();
    await expect(handle?.open()).rejects.toMatchObject({ name: 'UsbDeviceError', code: 'io' });
    const status = bus.status();
    expect(status).toMatchObject({ state: 'unavailable', reason: 'driver-missing' });
    assert(status.state === 'unavailable');
    expect(status.fix).toMatch(/Apple Devices/);
  });

  it('becomes ready again once listing works (e.g. after the user fixed the host)', async () => {
    let fail = true;
    const bus = new NodeUsbBus({
      loadBackend: async () => ({
        getDevices: async () => {
          if (fail) throw new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)');
          return [];
        },
      }),
    });
    await bus.start();
    expect(bus.status()).toMatchObject({ state: 'unavailable', reason: 'no-usb-subsystem' });
    fail = false;
    await bus.getDevices();
    expect(bus.status()).toEqual({ state: 'ready' });
  });
});

describe('classifyUsbFailure', () => {
  it('never puts an unbounded message in the status', () => {
    const status = classifyUsbFailure(new Error('x'.repeat(10_000)), 'linux', 'list');
    expect(status.detail.length).toBeLessThanOrEqual(500);
  });

  it('handles non-Error values', () => {
    expect(classifyUsbFailure(undefined, 'darwin', 'list').state).toBe('unavailable');
    expect(classifyUsbFailure({ code: 'EACCES' }, 'darwin', 'list').reason).toBe('permission-denied');
  });
});
