import { afterEach, describe, expect, it } from 'vitest';
import { findModelByProductType } from '../../../common/device-table';
import { PhoneHardware, type PhoneMode } from '../../../main/sim/hardware/phone-hardware';
import { SimUsbBus } from '../../../main/sim/hardware/sim-usb-bus';
import { FakeAppleDriver, type FakeDriverBinding } from '../../../main/sim/win32/fake-apple-driver';
import { chooseWindowsUsbRoute, openPlatformUsbBus } from '../../../main/usb/platform-usb-bus';
import type { UsbBus, UsbBusStatus } from '../../../main/usb/usb-bus';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Stands in for the npm `usb` package's bus: lists whatever the sim bus lists, with a chosen status. */
function fakeLibusb(
  inner: UsbBus | null,
  status: UsbBusStatus = { state: 'ready' },
): { open: () => Promise<UsbBus>; opened: () => number } {
  let opened = 0;
  return {
    opened: () => opened,
    open: async () => {
      opened++;
      return {
        getDevices: async () => (inner ? inner.getDevices() : []),
        onConnect: (cb) => (inner ? inner.onConnect(cb) : () => undefined),
        onDisconnect: (cb) => (inner ? inner.onDisconnect(cb) : () => undefined),
        status: () => status,
        close: () => undefined,
      };
    },
  };
}

async function phoneOnWindows(mode: PhoneMode, binding: FakeDriverBinding) {
  const phone = new PhoneHardware({
    identity: { model: findModelByProductType('iPhone6,1')!, ecid: 0x77n, serialNumber: 'F17LX0AAFF9R', udid: 'udid-platform' },
    initialMode: mode,
    timeFactor: 0.01,
  });
  cleanups.push(() => phone.dispose());
  const simBus = new SimUsbBus([phone]);
  cleanups.push(() => simBus.close());
  const driver = await FakeAppleDriver.start({ bus: simBus, enumerationDelayMs: 0, binding: () => binding });
  cleanups.push(() => driver.close());
  return { simBus, driver };
}

describe('chooseWindowsUsbRoute', () => {
  it('uses Apple’s driver alone when every rescue-mode phone is bound to it (or none is attached)', () => {
    expect(chooseWindowsUsbRoute({ win32Loaded: true, survey: [] })).toEqual({
      backend: 'apple-driver',
      useLibusb: false,
      appleDriverMissing: false,
    });
    expect(chooseWindowsUsbRoute({ win32Loaded: true, survey: [{ productId: 0x1227, service: 'USBAAPL64' }] })).toEqual({
      backend: 'apple-driver',
      useLibusb: false,
      appleDriverMissing: false,
    });
  });

  it('adds libusb for a phone bound to WinUSB, libusbK or libusb-win32 (any case)', () => {
    for (const service of ['WinUSB', 'libusbK', 'libusb0', 'WINUSB']) {
      expect(chooseWindowsUsbRoute({ win32Loaded: true, survey: [{ productId: 0x1281, service }] }), service).toEqual({
        backend: 'apple-driver-and-libusb',
        useLibusb: true,
        appleDriverMissing: false,
      });
    }
  });

  it('says Apple’s driver is missing when a rescue-mode phone has no driver at all', () => {
    expect(chooseWindowsUsbRoute({ win32Loaded: true, survey: [{ productId: 0x1227, service: null }] }).appleDriverMissing).toBe(true);
  });

  it('falls back to libusb when the Win32 binding did not load', () => {
    expect(chooseWindowsUsbRoute({ win32Loaded: false, survey: [] })).toEqual({
      backend: 'libusb',
      useLibusb: true,
      appleDriverMissing: false,
    });
  });
});

describe('openPlatformUsbBus', () => {
  it('uses the npm usb package on macOS and Linux, and says so', async () => {
    for (const platform of ['darwin', 'linux'] as const) {
      const libusb = fakeLibusb(null);
      const bus = await openPlatformUsbBus({
        platform,
        openLibusb: libusb.open,
        loadWin32Api: () => Promise.reject(new Error('never on ' + platform)),
      });
      cleanups.push(() => bus.close());
      expect(bus.status(), platform).toEqual({ state: 'ready', backend: 'libusb' });
      expect(libusb.opened()).toBe(1);
    }
  });

  it('uses Apple’s driver on Windows and leaves libusb closed while no phone needs it', async () => {
    const { driver } = await phoneOnWindows('dfu', 'apple');
    const libusb = fakeLibusb(null);
    const bus = await openPlatformUsbBus({ platform: 'win32', openLibusb: libusb.open, loadWin32Api: async () => driver, pollMs: 10 });
    cleanups.push(() => bus.close());
    expect(bus.status()).toEqual({ state: 'ready', backend: 'apple-driver' });
    expect((await bus.getDevices()).map((d) => d.productId)).toEqual([0x1227]);
    expect(libusb.opened()).toBe(0);
  });

  it('reaches a WinUSB-bound phone through libusb beside Apple’s driver, listed once', async () => {
    const { driver, simBus } = await phoneOnWindows('recovery', 'winusb');
    const libusb = fakeLibusb(simBus);
    const bus = await openPlatformUsbBus({ platform: 'win32', openLibusb: libusb.open, loadWin32Api: async () => driver, pollMs: 10 });
    cleanups.push(() => bus.close());
    expect(bus.status()).toEqual({ state: 'ready', backend: 'apple-driver-and-libusb' });
    const devices = await bus.getDevices();
    expect(devices.map((d) => d.productId)).toEqual([0x1281]);
    expect(libusb.opened()).toBe(1);
  });

  it('tells the person to install Apple Devices (or iTunes) when a phone in DFU has no driver', async () => {
    const { driver } = await phoneOnWindows('dfu', 'none');
    const bus = await openPlatformUsbBus({
      platform: 'win32',
      openLibusb: fakeLibusb(null).open,
      loadWin32Api: async () => driver,
      pollMs: 10,
    });
    cleanups.push(() => bus.close());
    const status = bus.status();
    expect(status).toMatchObject({ state: 'unavailable', reason: 'driver-missing', backend: 'apple-driver' });
    expect(status.state === 'unavailable' ? status.fix : '').toMatch(/“Apple Devices” app from the Microsoft Store \(or iTunes\)/);
    expect(await bus.getDevices()).toEqual([]);
  });

  it('never asks for Apple Devices while Apple’s driver serves the phones', async () => {
    const { driver } = await phoneOnWindows('recovery', 'apple');
    const bus = await openPlatformUsbBus({
      platform: 'win32',
      openLibusb: fakeLibusb(null).open,
      loadWin32Api: async () => driver,
      pollMs: 10,
    });
    cleanups.push(() => bus.close());
    expect(JSON.stringify(bus.status())).not.toMatch(/Apple Devices/);
  });

  it('falls back to libusb when the Win32 binding cannot load, and reports Apple’s problem if libusb does not work either', async () => {
    const working = await openPlatformUsbBus({
      platform: 'win32',
      openLibusb: fakeLibusb(null).open,
      loadWin32Api: () => Promise.reject(new Error('no koffi binary for win32-arm64')),
    });
    cleanups.push(() => working.close());
    expect(working.status()).toEqual({ state: 'ready', backend: 'libusb' });
    const broken = await openPlatformUsbBus({
      platform: 'win32',
      openLibusb: fakeLibusb(null, { state: 'unavailable', reason: 'library-failed', detail: 'x', fix: 'y' }).open,
      loadWin32Api: () => Promise.reject(new Error('no koffi binary for win32-arm64')),
    });
    cleanups.push(() => broken.close());
    expect(broken.status()).toMatchObject({
      state: 'unavailable',
      reason: 'library-failed',
      detail: 'no koffi binary for win32-arm64',
      backend: 'apple-driver',
    });
  });
});
