import { afterEach, describe, expect, it } from 'vitest';
import { findModelByProductType } from '../../../common/device-table';
import { PhoneHardware, type PhoneMode } from '../../../main/sim/hardware/phone-hardware';
import { SimUsbBus } from '../../../main/sim/hardware/sim-usb-bus';
import { FakeAppleDriver, type FakeDriverBinding } from '../../../main/sim/win32/fake-apple-driver';
import {
  APPLE_DFU_INTERFACE,
  APPLE_IBOOT_INTERFACE,
  AppleIoctl,
  DEVICE_PATH_OFFSET,
  DIGCF_ALLCLASSES,
  DIGCF_DEVICEINTERFACE,
  DIGCF_PRESENT,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
  OPEN_EXISTING,
  SPDRP_SERVICE,
  SP_DEVICE_INTERFACE_DATA_SIZE,
  SP_DEVICE_INTERFACE_DETAIL_DATA_W_SIZE,
  SP_DEVINFO_DATA_SIZE,
  Win32Error,
  guidBytes,
} from '../../../main/usb/win32-api';

const ECID = 0x0011223344556677n;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function pc(mode: PhoneMode, options: { binding?: FakeDriverBinding; enumerationDelayMs?: number } = {}) {
  const phone = new PhoneHardware({
    identity: { model: findModelByProductType('iPhone6,1')!, ecid: ECID, serialNumber: 'F17LX0AAFF9R', udid: 'udid-fake-driver' },
    initialMode: mode,
    timeFactor: 0.01,
  });
  cleanups.push(() => phone.dispose());
  const bus = new SimUsbBus([phone]);
  cleanups.push(() => bus.close());
  const driver = await FakeAppleDriver.start({
    bus,
    enumerationDelayMs: options.enumerationDelayMs ?? 0,
    ...(options.binding ? { binding: () => options.binding! } : {}),
  });
  cleanups.push(() => driver.close());
  return { phone, bus, driver };
}

function sized(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, size, true);
  return bytes;
}

/** The two-call detail read a Windows program does, returning the path. */
function pathAt(driver: FakeAppleDriver, guid: string, index: number): string | number {
  const set = driver.setupDiGetClassDevs(guidBytes(guid), null, DIGCF_PRESENT | DIGCF_DEVICEINTERFACE)!;
  try {
    const data = sized(SP_DEVICE_INTERFACE_DATA_SIZE);
    if (!driver.setupDiEnumDeviceInterfaces(set, guidBytes(guid), index, data)) return driver.getLastError();
    const required = new Uint32Array(1);
    expect(driver.setupDiGetDeviceInterfaceDetail(set, data, null, 0, required, null)).toBe(false);
    expect(driver.getLastError()).toBe(Win32Error.InsufficientBuffer);
    const detail = new Uint8Array(required[0]!);
    new DataView(detail.buffer).setUint32(0, SP_DEVICE_INTERFACE_DETAIL_DATA_W_SIZE, true);
    expect(driver.setupDiGetDeviceInterfaceDetail(set, data, detail, detail.length, required, null)).toBe(true);
    return Buffer.from(detail.subarray(DEVICE_PATH_OFFSET)).toString('utf16le').replace(/\0.*$/, '');
  } finally {
    driver.setupDiDestroyDeviceInfoList(set);
  }
}

function open(driver: FakeAppleDriver, path: string) {
  return driver.createFile(path, GENERIC_READ | GENERIC_WRITE, 3, OPEN_EXISTING, FILE_FLAG_OVERLAPPED);
}

describe('FakeAppleDriver: SetupAPI as Windows documents it', () => {
  it('lists a DFU phone under the DFU class only, with the serial in the path, and ends with ERROR_NO_MORE_ITEMS', async () => {
    const { driver } = await pc('dfu');
    const path = pathAt(driver, APPLE_DFU_INTERFACE, 0) as string;
    expect(path).toMatch(/^\\\\\?\\usb#vid_05ac&pid_1227#cpid:8960_cprv:11_.*ecid:0011223344556677_.*srtg:\[iboot-1704\.10\]#\{b8085869-/);
    expect(pathAt(driver, APPLE_DFU_INTERFACE, 1)).toBe(Win32Error.NoMoreItems);
    expect(pathAt(driver, APPLE_IBOOT_INTERFACE, 0)).toBe(Win32Error.NoMoreItems);
  });

  it('lists a recovery phone under the iBoot class', async () => {
    const { driver } = await pc('recovery');
    expect(pathAt(driver, APPLE_IBOOT_INTERFACE, 0)).toMatch(/pid_1281#.*srnm:\[f17lx0aaff9r\]/);
  });

  it('refuses structures whose cbSize is wrong with ERROR_INVALID_USER_BUFFER', async () => {
    const { driver } = await pc('dfu');
    const guid = guidBytes(APPLE_DFU_INTERFACE);
    const set = driver.setupDiGetClassDevs(guid, null, DIGCF_PRESENT | DIGCF_DEVICEINTERFACE)!;
    expect(driver.setupDiEnumDeviceInterfaces(set, guid, 0, new Uint8Array(SP_DEVICE_INTERFACE_DATA_SIZE))).toBe(false);
    expect(driver.getLastError()).toBe(Win32Error.InvalidUserBuffer);
    const data = sized(SP_DEVICE_INTERFACE_DATA_SIZE);
    expect(driver.setupDiEnumDeviceInterfaces(set, guid, 0, data)).toBe(true);
    const detail = sized(512); // cbSize must be sizeof(SP_DEVICE_INTERFACE_DETAIL_DATA_W), not the buffer size
    expect(driver.setupDiGetDeviceInterfaceDetail(set, data, detail, 512, null, null)).toBe(false);
    expect(driver.getLastError()).toBe(Win32Error.InvalidUserBuffer);
    driver.setupDiDestroyDeviceInfoList(set);
  });

  it('answers a destroyed device information set with ERROR_INVALID_HANDLE', async () => {
    const { driver } = await pc('dfu');
    const guid = guidBytes(APPLE_DFU_INTERFACE);
    const set = driver.setupDiGetClassDevs(guid, null, DIGCF_PRESENT | DIGCF_DEVICEINTERFACE)!;
    expect(driver.setupDiDestroyDeviceInfoList(set)).toBe(true);
    expect(driver.setupDiEnumDeviceInterfaces(set, guid, 0, sized(SP_DEVICE_INTERFACE_DATA_SIZE))).toBe(false);
    expect(driver.getLastError()).toBe(Win32Error.InvalidHandle);
  });

  it('lists a device only after the attach debounce', async () => {
    const listed: string[] = [];
    const phone = new PhoneHardware({
      identity: { model: findModelByProductType('iPhone6,1')!, ecid: ECID, serialNumber: 'F17LX0AAFF9R', udid: 'udid-debounce' },
      initialMode: 'dfu',
      plugged: false,
      timeFactor: 0.01,
    });
    cleanups.push(() => phone.dispose());
    const bus = new SimUsbBus([phone]);
    cleanups.push(() => bus.close());
    const seen = new Promise<void>((resolve) => {
      void FakeAppleDriver.start({ bus, enumerationDelayMs: 30, onListed: (d) => (listed.push(d.id), resolve()) }).then((driver) => {
        cleanups.push(() => driver.close());
        phone.plug();
        expect(driver.listedPaths()).toEqual([]);
      });
    });
    await seen;
    expect(listed).toHaveLength(1);
  });

  it('reports the bound service in the USB survey: Apple’s, WinUSB, or none (ERROR_INVALID_DATA)', async () => {
    for (const [binding, expected] of [
      ['apple', 'USBAAPL64'],
      ['winusb', 'WinUSB'],
      ['none', Win32Error.InvalidData],
    ] as const) {
      const { driver } = await pc('recovery', { binding });
      const set = driver.setupDiGetClassDevs(null, 'USB', DIGCF_PRESENT | DIGCF_ALLCLASSES)!;
      const info = sized(SP_DEVINFO_DATA_SIZE);
      expect(driver.setupDiEnumDeviceInfo(set, 0, info)).toBe(true);
      const buffer = new Uint8Array(128);
      const ok = driver.setupDiGetDeviceRegistryProperty(set, info, SPDRP_SERVICE, buffer, buffer.length, null);
      const got = ok ? Buffer.from(buffer).toString('utf16le').replace(/\0.*$/, '') : driver.getLastError();
      expect(got, binding).toBe(expected);
      driver.setupDiDestroyDeviceInfoList(set);
    }
  });

  it('keeps WinUSB-bound phones off Apple’s interface classes', async () => {
    const { driver } = await pc('dfu', { binding: 'winusb' });
    expect(pathAt(driver, APPLE_DFU_INTERFACE, 0)).toBe(Win32Error.NoMoreItems);
  });
});

describe('FakeAppleDriver: CreateFile and DeviceIoControl', () => {
  it('fails CreateFile with ERROR_FILE_NOT_FOUND for an unknown path and ERROR_ACCESS_DENIED when access is refused', async () => {
    const { driver, bus } = await pc('dfu');
    expect(open(driver, '\\\\?\\usb#vid_05ac&pid_1227#nothing#{x}')).toBeNull();
    expect(driver.getLastError()).toBe(Win32Error.FileNotFound);
    const [device] = await bus.getDevices();
    driver.denyAccess(device!);
    expect(open(driver, pathAt(driver, APPLE_DFU_INTERFACE, 0) as string)).toBeNull();
    expect(driver.getLastError()).toBe(Win32Error.AccessDenied);
  });

  it('answers a control IN through the setup-packet buffer: GETSTATE returns dfuIDLE after the 8 setup bytes', async () => {
    const { driver } = await pc('dfu');
    const handle = open(driver, pathAt(driver, APPLE_DFU_INTERFACE, 0) as string)!;
    const packet = Uint8Array.from([0xa1, 5, 0, 0, 0, 0, 1, 0, 0xff]);
    const bytes = new Uint32Array(1);
    expect(await driver.deviceIoControl(handle, AppleIoctl.ControlTransfer, packet, 9, packet, 9, bytes, 1000)).toBe(Win32Error.Success);
    expect(bytes[0]).toBe(9);
    expect(packet[8]).toBe(2);
    expect(driver.closeHandle(handle)).toBe(true);
    expect(driver.closeHandle(handle)).toBe(false);
    expect(driver.getLastError()).toBe(Win32Error.InvalidHandle);
  });

  it('reports a stalled request as ERROR_GEN_FAILURE, an unknown code as ERROR_INVALID_FUNCTION, bulk in DFU as ERROR_INVALID_FUNCTION', async () => {
    const { driver } = await pc('dfu');
    const handle = open(driver, pathAt(driver, APPLE_DFU_INTERFACE, 0) as string)!;
    const bytes = new Uint32Array(1);
    const unknownRequest = Uint8Array.from([0x21, 0x7f, 0, 0, 0, 0, 0, 0]);
    expect(await driver.deviceIoControl(handle, AppleIoctl.ControlTransfer, unknownRequest, 8, unknownRequest, 8, bytes, 1000)).toBe(
      Win32Error.GenFailure,
    );
    expect(await driver.deviceIoControl(handle, 0x00220000, null, 0, null, 0, bytes, 1000)).toBe(Win32Error.InvalidFunction);
    const data = new Uint8Array(16);
    expect(await driver.deviceIoControl(handle, AppleIoctl.BulkOut, data, 16, data, 16, bytes, 1000)).toBe(Win32Error.InvalidFunction);
    const short = new Uint8Array(4);
    expect(await driver.deviceIoControl(handle, AppleIoctl.ControlTransfer, short, 4, short, 4, bytes, 1000)).toBe(
      Win32Error.InvalidParameter,
    );
    driver.closeHandle(handle);
  });

  it('fails I/O on a handle whose phone left the bus with ERROR_DEVICE_NOT_CONNECTED, even if it comes back on the same path', async () => {
    const { driver, phone } = await pc('recovery');
    const path = pathAt(driver, APPLE_IBOOT_INTERFACE, 0) as string;
    const handle = open(driver, path)!;
    phone.unplug();
    phone.plug();
    expect(pathAt(driver, APPLE_IBOOT_INTERFACE, 0)).toBe(path);
    const packet = Uint8Array.from([0x40, 0, 0, 0, 0, 0, 0, 0]);
    expect(await driver.deviceIoControl(handle, AppleIoctl.ControlTransfer, packet, 8, packet, 8, new Uint32Array(1), 1000)).toBe(
      Win32Error.DeviceNotConnected,
    );
    driver.closeHandle(handle);
  });

  it('resets the phone with the reset code: it leaves the bus and re-enumerates', async () => {
    const { driver, bus } = await pc('recovery');
    const handle = open(driver, pathAt(driver, APPLE_IBOOT_INTERFACE, 0) as string)!;
    const left = new Promise<void>((resolve) => bus.onDisconnect(() => resolve()));
    expect(await driver.deviceIoControl(handle, AppleIoctl.ResetDevice, null, 0, null, 0, new Uint32Array(1), 1000)).toBe(
      Win32Error.Success,
    );
    await left;
    driver.closeHandle(handle);
  });
});
