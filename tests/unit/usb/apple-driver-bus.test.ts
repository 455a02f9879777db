import { afterEach, describe, expect, it } from 'vitest';
import { findModelByProductType } from '../../../common/device-table';
import { PhoneHardware, type PhoneMode } from '../../../main/sim/hardware/phone-hardware';
import { SimUsbBus } from '../../../main/sim/hardware/sim-usb-bus';
import { FakeAppleDriver } from '../../../main/sim/win32/fake-apple-driver';
import { AppleDriverBus, encodeControlSetup, win32ErrorName } from '../../../main/usb/apple-driver-bus';
import { idsFromInterfacePath } from '../../../main/usb/apple-driver-enumeration';
import { parseIBootSerial, serialFromWindowsPath } from '../../../main/usb/iboot-serial';
import { UsbDeviceError, type UsbDeviceHandle } from '../../../main/usb/usb-bus';
import { Win32Error, type Win32Api } from '../../../main/usb/win32-api';

const ECID = 0x0011223344556677n;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function windowsPc(mode: PhoneMode, wrap: (api: FakeAppleDriver) => Win32Api = (api) => api) {
  const phone = new PhoneHardware({
    identity: { model: findModelByProductType('iPhone6,1')!, ecid: ECID, serialNumber: 'F17LX0AAFF9R', udid: 'udid-apple-bus' },
    initialMode: mode,
    timeFactor: 0.01,
  });
  cleanups.push(() => phone.dispose());
  const simBus = new SimUsbBus([phone]);
  cleanups.push(() => simBus.close());
  const driver = await FakeAppleDriver.start({ bus: simBus, enumerationDelayMs: 0 });
  cleanups.push(() => driver.close());
  const bus = new AppleDriverBus({ loadApi: async () => wrap(driver), pollMs: 10 });
  cleanups.push(() => bus.close());
  await bus.start();
  return { phone, simBus, driver, bus };
}

const next = (subscribe: (cb: (d: UsbDeviceHandle) => void) => () => void) =>
  new Promise<UsbDeviceHandle>((resolve) => {
    const off = subscribe((device) => {
      off();
      resolve(device);
    });
  });

describe('AppleDriverBus', () => {
  it('lists a DFU phone with the serial string as the phone sends it and its ids from the interface path', async () => {
    const { bus, simBus } = await windowsPc('dfu');
    const [device] = await bus.getDevices();
    const [simDevice] = await simBus.getDevices();
    expect(device).toMatchObject({ vendorId: 0x05ac, productId: 0x1227, serialNumber: simDevice!.serialNumber });
    expect(device!.location).toBe('win:Port_#0001.Hub_#0001');
    expect(bus.status()).toEqual({ state: 'ready', backend: 'apple-driver' });
  });

  it('announces a phone that is plugged in, and its departure, by polling the interface list', async () => {
    const { bus, phone } = await windowsPc('recovery');
    const [first] = await bus.getDevices();
    const gone = next((cb) => bus.onDisconnect(cb));
    phone.unplug();
    expect(await gone).toBe(first);
    const back = next((cb) => bus.onConnect(cb));
    phone.plug();
    const device = await back;
    expect(device.id).not.toBe(first!.id);
    expect(device.productId).toBe(0x1281);
  });

  it('speaks to the phone through the driver: open, GETSTATE, a vendor command, close', async () => {
    const { bus, phone } = await windowsPc('recovery');
    const [device] = await bus.getDevices();
    await device!.open();
    await device!.selectConfiguration(1);
    await device!.claimInterface(0);
    const sent = await device!.controlTransferOut(
      { requestType: 'vendor', recipient: 'device', request: 0, value: 0, index: 0 },
      Buffer.from('setenv auto-boot false\0'),
    );
    expect(sent).toEqual({ status: 'ok', bytesWritten: 23 });
    const shell = phone.usbDevice()!.shell!;
    expect(shell.transcript.at(-1)).toContain('setenv auto-boot false');
    const upload = await device!.transferOut(4, new Uint8Array(1024).fill(7));
    expect(upload).toEqual({ status: 'ok', bytesWritten: 1024 });
    await expect(device!.transferIn(1, 64)).rejects.toMatchObject({ code: 'not-found' });
    await device!.close();
    expect(device!.opened).toBe(false);
  });

  it('turns a stall into status "stall" and a vanished phone into a disconnected error', async () => {
    const { bus, phone } = await windowsPc('dfu');
    const [device] = await bus.getDevices();
    await device!.open();
    const stalled = await device!.controlTransferIn({ requestType: 'class', recipient: 'interface', request: 0x7f, value: 0, index: 0 }, 4);
    expect(stalled.status).toBe('stall');
    phone.unplug();
    const error = await device!
      .controlTransferIn({ requestType: 'class', recipient: 'interface', request: 5, value: 0, index: 0 }, 1)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsbDeviceError);
    expect((error as UsbDeviceError).code).toBe('disconnected');
  });

  it('says in words why a phone could not be opened (ERROR_ACCESS_DENIED)', async () => {
    const { bus, driver, simBus } = await windowsPc('dfu');
    driver.denyAccess((await simBus.getDevices())[0] as never);
    const [device] = await bus.getDevices();
    const error = await device!.open().catch((e: unknown) => e);
    expect((error as Error).message).toBe('Opening the phone through Apple’s driver failed: ERROR_ACCESS_DENIED (5)');
  });

  it('reports SetupAPI failing as an unavailable status naming the call and the error', async () => {
    const { bus } = await windowsPc('dfu', (driver) =>
      Object.assign(Object.create(driver) as Win32Api, {
        setupDiGetClassDevs: () => null,
        getLastError: () => Win32Error.AccessDenied,
      }),
    );
    expect(await bus.getDevices()).toEqual([]);
    expect(bus.status()).toMatchObject({
      state: 'unavailable',
      detail: 'SetupDiGetClassDevs failed: ERROR_ACCESS_DENIED (5)',
      backend: 'apple-driver',
    });
  });

  it('is unavailable, with a reinstall hint, when the Win32 binding cannot be loaded', async () => {
    const bus = new AppleDriverBus({ loadApi: async () => Promise.reject(new Error('koffi: cannot find the native module')) });
    cleanups.push(() => bus.close());
    await bus.start();
    expect(bus.loaded).toBe(false);
    expect(bus.status()).toMatchObject({ state: 'unavailable', reason: 'library-failed', detail: 'koffi: cannot find the native module' });
    expect(await bus.getDevices()).toEqual([]);
  });
});

describe('Windows interface path helpers', () => {
  const path =
    '\\\\?\\usb#vid_05ac&pid_1281#sdom:01_cpid:8010_cprv:11_cpfm:03_scep:01_bdid:0c_ecid:001a2b3c4d5e6f70_ibfl:3c_srnm:[f17lx0aaff9r]_imei:[356789012345678]#{ed82a167-d61a-4af6-9ab6-11e52236c576}';

  it('reads vendor and product id from the path', () => {
    expect(idsFromInterfacePath(path)).toEqual({ vendorId: 0x05ac, productId: 0x1281 });
    expect(idsFromInterfacePath('C:\\not\\a\\device')).toBeNull();
  });

  it('gives the serial back as the phone sends it, parsing to the same fields as the path itself', () => {
    const serial = serialFromWindowsPath(path)!;
    expect(serial).toBe(
      'SDOM:01 CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:0C ECID:001A2B3C4D5E6F70 IBFL:3C SRNM:[F17LX0AAFF9R] IMEI:[356789012345678]',
    );
    const fromSerial = parseIBootSerial(serial);
    const fromPath = parseIBootSerial(path);
    expect(
      fromSerial.ok && fromPath.ok && fromSerial.serial.ecid === fromPath.serial.ecid && fromSerial.serial.srnm === fromPath.serial.srnm,
    ).toBe(true);
    expect(serialFromWindowsPath('\\\\?\\usb#vid_05ac&pid_12a8#00008030001a2b3c#{x}')).toBeNull();
  });

  it('builds the 8-byte setup packet little-endian with the direction bit', () => {
    expect([
      ...encodeControlSetup({ requestType: 'class', recipient: 'interface', request: 1, value: 0x1234, index: 2 }, false, 3),
    ]).toEqual([0x21, 1, 0x34, 0x12, 2, 0, 3, 0, 0, 0, 0]);
    expect([
      ...encodeControlSetup({ requestType: 'standard', recipient: 'device', request: 6, value: 0x0301, index: 0x0409 }, true, 0),
    ]).toEqual([0x80, 6, 1, 3, 9, 4, 0, 0]);
  });

  it('names Windows error codes', () => {
    expect(win32ErrorName(Win32Error.DeviceNotConnected)).toBe('ERROR_DEVICE_NOT_CONNECTED (1167)');
    expect(win32ErrorName(4242)).toBe('Windows error 4242');
  });
});
