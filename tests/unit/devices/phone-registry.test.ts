import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { UsbmuxStatus } from '../../../common/phone';
import { describeReportedIdentity } from '../../../common/phone-identity';
import { PhoneRegistry } from '../../../main/devices/phone-registry';
import type { LockdownFacts, UsbmuxDevice, UsbmuxFeed } from '../../../main/devices/phone-views';
import type { UsbBus, UsbBusStatus, UsbDeviceHandle } from '../../../main/usb/usb-bus';

/** Minimal stand-ins for the two hardware seams; the protocol code behind them is tested against the sim elsewhere. */
class FakeBus implements UsbBus {
  readonly events = new EventEmitter();
  devices: UsbDeviceHandle[] = [];
  current: UsbBusStatus = { state: 'ready' };
  async getDevices() {
    return this.devices;
  }
  onConnect(cb: (d: UsbDeviceHandle) => void) {
    this.events.on('connect', cb);
    return () => this.events.off('connect', cb);
  }
  onDisconnect(cb: (d: UsbDeviceHandle) => void) {
    this.events.on('disconnect', cb);
    return () => this.events.off('disconnect', cb);
  }
  status() {
    return this.current;
  }
  close() {}
  plug(productId: number, serialNumber: string, location = '1-1') {
    const handle = {
      id: `${location}@${Math.random()}`,
      location,
      vendorId: 0x05ac,
      productId,
      serialNumber,
    } as unknown as UsbDeviceHandle;
    this.devices.push(handle);
    this.events.emit('connect', handle);
    return handle;
  }
  unplug(handle: UsbDeviceHandle) {
    this.devices = this.devices.filter((d) => d !== handle);
    this.events.emit('disconnect', handle);
  }
}

const muxDevice = (deviceId: number, udid: string): UsbmuxDevice => ({
  deviceId,
  udid,
  serialNumber: udid,
  productId: 0x12a8,
  connectionType: 'USB',
  locationId: null,
  connectionSpeed: null,
});

class FakeMux implements UsbmuxFeed {
  readonly events = new EventEmitter();
  attach(deviceId: number, udid: string) {
    this.events.emit('attached', muxDevice(deviceId, udid));
  }
  current: UsbmuxStatus = { state: 'connected' };
  onAttached(l: (d: UsbmuxDevice) => void) {
    this.events.on('attached', l);
    return () => this.events.off('attached', l);
  }
  onDetached(l: (id: number) => void) {
    this.events.on('detached', l);
    return () => this.events.off('detached', l);
  }
  onStatus(l: (s: UsbmuxStatus) => void) {
    this.events.on('status', l);
    return () => this.events.off('status', l);
  }
  status() {
    return this.current;
  }
  stop() {}
}

const ECID = 0x001a2b3c4d5e6f70n;
const UDID = '00008960-001A2B3C4D5E6F70';
const recoverySerial = 'CPID:8960 CPRV:11 CPFM:03 SCEP:01 BDID:00 ECID:001A2B3C4D5E6F70 IBFL:1D SRNM:[F2LXXXXXXXX] IMEI:[013977000000000]';
const dfuSerial = 'CPID:8960 CPRV:11 CPFM:03 SCEP:01 BDID:00 ECID:001A2B3C4D5E6F70 IBFL:1C SRTG:[iBoot-1704.10]';
const facts: LockdownFacts = {
  productType: 'iPhone6,1',
  boardConfig: 'n51ap',
  iosVersion: '12.5.8',
  buildVersion: '16H88',
  deviceName: 'Ada’s iPhone',
  ecid: ECID,
  trusted: true,
  passcodeSet: true,
  locked: true,
  unlockedSinceBoot: true,
};

let registry: PhoneRegistry | undefined;
afterEach(async () => {
  await registry?.close();
  registry = undefined;
});

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('phone registry', () => {
  it('keeps one record while a phone goes normal → recovery → DFU → normal', async () => {
    const bus = new FakeBus();
    const mux = new FakeMux();
    registry = await PhoneRegistry.start({ usb: bus, usbmux: mux, probe: async () => facts, reconnectGraceMs: 1000 });
    mux.attach(1, UDID);
    await tick();
    expect(registry.list()).toMatchObject([
      { id: '001A2B3C4D5E6F70', mode: 'normal', iosVersion: '12.5.8', trusted: true, triage: { canBackUp: true } },
    ]);
    mux.events.emit('detached', 1);
    expect(registry.list()).toMatchObject([{ connected: false, mode: 'normal' }]);
    const recovery = bus.plug(0x1281, recoverySerial);
    expect(registry.list()).toMatchObject([
      { id: '001A2B3C4D5E6F70', mode: 'recovery', connected: true, model: { name: 'iPhone 5s (GSM)', buttons: 'home' } },
    ]);
    bus.unplug(recovery);
    bus.plug(0x1227, dfuSerial);
    expect(registry.list()).toHaveLength(1);
    expect(registry.list()[0]!.mode).toBe('dfu');
  });

  it('merges a UDID-only record with the recovery record once lockdown reveals the ECID (40-hex UDIDs)', async () => {
    const bus = new FakeBus();
    const mux = new FakeMux();
    const oldUdid = 'a'.repeat(40);
    registry = await PhoneRegistry.start({ usb: bus, usbmux: mux, probe: async () => facts });
    bus.plug(0x1281, recoverySerial);
    mux.attach(2, oldUdid);
    expect(registry.list()).toHaveLength(2);
    await tick();
    expect(registry.list()).toHaveLength(1);
  });

  it('removes the card after the grace period when the phone does not come back', async () => {
    const bus = new FakeBus();
    registry = await PhoneRegistry.start({ usb: bus, reconnectGraceMs: 20 });
    const handle = bus.plug(0x1227, dfuSerial);
    bus.unplug(handle);
    expect(registry.list()).toMatchObject([{ connected: false, triage: { headline: 'Waiting for the phone to come back' } }]);
    await new Promise((r) => setTimeout(r, 40));
    expect(registry.list()).toEqual([]);
  });

  it('names an unknown chip honestly and keeps it usable', async () => {
    const bus = new FakeBus();
    registry = await PhoneRegistry.start({ usb: bus });
    bus.plug(0x1227, 'CPID:9999 CPRV:11 CPFM:03 SCEP:01 BDID:42 ECID:0000000000000001 IBFL:1C SRTG:[iBoot-9.9]');
    expect(registry.list()).toMatchObject([
      { mode: 'dfu', model: { name: 'Unknown Apple device (CPID 0x9999, BDID 0x42)', known: false, buttons: null } },
    ]);
  });

  it('survives a garbage serial string and keeps serving other phones', async () => {
    const bus = new FakeBus();
    registry = await PhoneRegistry.start({ usb: bus });
    bus.plug(0x1281, '\u0000\u00ff garbage '.repeat(500), '1-2');
    bus.plug(0x1227, dfuSerial, '1-3');
    const phones = registry.list();
    expect(phones).toHaveLength(2);
    expect(phones.find((p) => p.mode === 'dfu')?.model.name).toBe('iPhone 5s (GSM)');
    expect(phones.find((p) => p.mode === 'recovery')?.model.known).toBe(false);
  });

  it('marks a phone whose lockdown stalls as unresponsive after the probe bound, without blocking others', async () => {
    const mux = new FakeMux();
    registry = await PhoneRegistry.start({
      usbmux: mux,
      probeTimeoutMs: 20,
      probe: (device, signal) =>
        device.deviceId === 1
          ? new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('stalled'))))
          : Promise.resolve({ ...facts, ecid: 0x99n }),
    });
    mux.attach(1, UDID);
    mux.attach(2, '00008960-0000000000000099');
    await new Promise((r) => setTimeout(r, 50));
    const phones = registry.list();
    expect(phones.find((p) => p.id === '001A2B3C4D5E6F70')?.triage.headline).toBe('The phone did not answer');
    expect(phones.find((p) => p.id === '0000000000000099')?.triage.canBackUp).toBe(true);
  });

  it('reports the host status of both seams and announces changes', async () => {
    const bus = new FakeBus();
    bus.current = { state: 'unavailable', reason: 'no-usb-subsystem', detail: 'No USB here.', fix: 'Run on a computer with USB.' };
    const mux = new FakeMux();
    registry = await PhoneRegistry.start({ usb: bus, usbmux: mux });
    const seen: unknown[] = [];
    registry.onHostStatus((s) => seen.push(s));
    mux.current = {
      state: 'unavailable',
      reason: 'daemon-missing',
      detail: 'usbmuxd is not running.',
      fix: 'sudo systemctl start usbmuxd',
    };
    mux.events.emit('status', mux.current);
    expect(seen).toEqual([{ usb: bus.current, usbmux: mux.current }]);
  });
});

describe('phone registry: devices reporting an invalid identity', () => {
  const hostile = 'x/../../victim';
  const unidentified = (deviceId: number, reported: string) => ({
    deviceId,
    udid: null,
    reportedIdentity: describeReportedIdentity(reported),
    productId: 0x12a8,
    connectionType: 'USB',
    locationId: null,
    connectionSpeed: null,
  });

  it('lists a usbmux device with a hostile serial under a safe id, never probes it, and refuses it for backups', async () => {
    const mux = new FakeMux();
    const probed: unknown[] = [];
    registry = await PhoneRegistry.start({ usbmux: mux, probe: async (device) => (probed.push(device), facts) });
    mux.events.emit('attached', unidentified(4, hostile));
    const [phone] = registry.list();
    expect(phone).toMatchObject({
      mode: 'normal',
      connected: true,
      identifying: false,
      triage: { canBackUp: false, code: 'phone-invalid-identity' },
    });
    expect(phone!.id).toMatch(/^invalid-[0-9a-f]{16}$/);
    expect(probed).toEqual([]);
    expect(registry.usbmuxDeviceOf(phone!.id)).toBeUndefined();
    expect(registry.udidOf(phone!.id)).toBeUndefined();
    mux.events.emit('detached', 4);
    expect(registry.list()).toMatchObject([{ id: phone!.id, connected: false }]);
  });

  it('meets the same device seen over USB (normal mode) and usbmux in one record', async () => {
    const bus = new FakeBus();
    const mux = new FakeMux();
    registry = await PhoneRegistry.start({ usb: bus, usbmux: mux });
    bus.plug(0x12a8, hostile);
    mux.events.emit('attached', unidentified(5, hostile));
    expect(registry.list()).toHaveLength(1);
    expect(registry.list()[0]!.triage.code).toBe('phone-invalid-identity');
  });

  it('lists a recovery phone whose serial string has a malformed ECID, with the invalid-identity verdict', async () => {
    const bus = new FakeBus();
    registry = await PhoneRegistry.start({ usb: bus });
    bus.plug(0x1281, 'CPID:8960 CPRV:11 CPFM:03 SCEP:01 BDID:00 ECID:../../victim IBFL:1D SRNM:[F2LXXXXXXXX]');
    expect(registry.list()).toMatchObject([{ mode: 'recovery', triage: { canBackUp: false, code: 'phone-invalid-identity' } }]);
  });

  it('marks a phone whose lockdown UniqueDeviceID is invalid once the probe answers', async () => {
    const mux = new FakeMux();
    registry = await PhoneRegistry.start({ usbmux: mux, probe: async () => ({ ...facts, invalidIdentity: true }) });
    const settled = new Promise<void>((resolve) => {
      const off = registry!.onChange(() => {
        if (registry!.list()[0]?.identifying === false) {
          off();
          resolve();
        }
      });
    });
    mux.attach(6, UDID);
    await settled;
    const [phone] = registry.list();
    expect(phone!.triage).toMatchObject({ canBackUp: false, code: 'phone-invalid-identity' });
    expect(registry.usbmuxDeviceOf(phone!.id)).toBeUndefined();
  });
});
