import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { UsbmuxStatus } from '../../../common/phone';
import { chipUdidOf } from '../../../common/phone-identity';
import { BackupService } from '../../../main/backup/backup-service';
import { MAX_REMEMBERED_PHONES, PhoneIdentityMemory } from '../../../main/devices/phone-identity-memory';
import { PhoneRegistry, type PhoneRegistryOptions } from '../../../main/devices/phone-registry';
import type { LockdownFacts, UsbmuxDevice, UsbmuxFeed } from '../../../main/devices/phone-views';
import { encodeXmlPlist } from '../../../main/plist/xml-plist';
import type { UsbBus, UsbDeviceHandle } from '../../../main/usb/usb-bus';

/** The two hardware seams as plain event sources; what is under test is how the registry names a phone's backups. */
class FakeBus implements UsbBus {
  readonly events = new EventEmitter();
  async getDevices() {
    return [];
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
    return { state: 'ready' as const };
  }
  close() {}
  plug(productId: number, serialNumber: string) {
    this.events.emit('connect', {
      id: `usb-${Math.random()}`,
      location: '1-1',
      vendorId: 0x05ac,
      productId,
      serialNumber,
    } as unknown as UsbDeviceHandle);
  }
}

class FakeMux implements UsbmuxFeed {
  readonly events = new EventEmitter();
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
  status(): UsbmuxStatus {
    return { state: 'connected' };
  }
  stop() {}
  attach(deviceId: number, udid: string) {
    const device: UsbmuxDevice = {
      deviceId,
      udid,
      serialNumber: udid,
      productId: 0x12a8,
      connectionType: 'USB',
      locationId: null,
      connectionSpeed: null,
    };
    this.events.emit('attached', device);
  }
}

const A12_ECID = 0x000e1d2c3b4a5968n;
const A12_DFU_SERIAL = 'CPID:8020 CPRV:11 CPFM:03 SCEP:01 BDID:0E ECID:000E1D2C3B4A5968 IBFL:3C SRTG:[iBoot-3865.0.0.4.7]';
const A7_ECID = 0x001a2b3c4d5e6f70n;
const A7_UDID = '3d0d7e5fb2ce288813306e4d4636395e047a3d28';
const A7_RECOVERY_SERIAL =
  'CPID:8960 CPRV:11 CPFM:03 SCEP:01 BDID:00 ECID:001A2B3C4D5E6F70 IBFL:1D SRNM:[F2LXXXXXXXX] IMEI:[013977000000000]';
const A7_FACTS: LockdownFacts = {
  productType: 'iPhone6,1',
  iosVersion: '12.5.8',
  ecid: A7_ECID,
  cpid: 0x8960,
  bdid: 0,
  trusted: true,
  passcodeSet: true,
  locked: true,
  unlockedSinceBoot: true,
};

const folders: string[] = [];
const registries: PhoneRegistry[] = [];
afterEach(async () => {
  for (const registry of registries.splice(0)) await registry.close();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function scratch(): string {
  const folder = mkdtempSync(join(tmpdir(), 'lifeline-udid-'));
  folders.push(folder);
  return folder;
}

async function registryWith(options: Omit<PhoneRegistryOptions, 'reconnectGraceMs'>): Promise<PhoneRegistry> {
  const registry = await PhoneRegistry.start({ ...options, reconnectGraceMs: 60_000 });
  registries.push(registry);
  return registry;
}

/** A backup folder as iTunes/Finder/Lifeline leave it: `<UDID>/` with its Info.plist. */
function writeBackup(root: string, udid: string): void {
  mkdirSync(join(root, udid), { recursive: true });
  writeFileSync(
    join(root, udid, 'Info.plist'),
    encodeXmlPlist({
      'Target Identifier': udid,
      'Device Name': 'Ada’s iPhone',
      'Product Type': 'iPhone',
      'Last Backup Date': new Date('2025-01-02T03:04:05Z'),
    }),
  );
}

function backupsOf(registry: PhoneRegistry, root: string, phoneId: string) {
  const service = new BackupService({
    locations: { platform: 'linux', env: { LIFELINE_BACKUP_DIR: root }, home: root },
    udidOfPhone: (id) => registry.udidOf(id),
  });
  return service.list({ phoneId });
}

/** Resolves once the registry has asked lockdown about a phone (its change event after the probe's answer). */
function probed(registry: PhoneRegistry): Promise<void> {
  return new Promise((resolve) => {
    const off = registry.onChange(() => {
      if (registry.list().some((p) => p.connected && !p.identifying && p.iosVersion !== null)) {
        off();
        resolve();
      }
    });
  });
}

describe('the backups of a phone first seen in recovery or DFU mode', () => {
  it('are found for an A12 or later phone: its UDID is its chip id and ECID', async () => {
    const root = scratch();
    const udid = chipUdidOf(0x8020, A12_ECID)!;
    expect(udid).toBe('00008020-000E1D2C3B4A5968');
    writeBackup(root, udid);
    const bus = new FakeBus();
    const registry = await registryWith({ usb: bus });
    bus.plug(0x1227, A12_DFU_SERIAL);
    const [phone] = registry.list();
    expect(phone).toMatchObject({ mode: 'dfu', model: { name: 'iPhone XS' } });
    expect(registry.udidOf(phone!.id)).toBe(udid);
    expect((await backupsOf(registry, root, phone!.id)).map((b) => b.udid)).toEqual([udid]);
  });

  it('are found for an older phone seen started normally before (in an earlier run), by the ECID ↔ UDID pair kept in the data folder', async () => {
    const root = scratch();
    const data = scratch();
    writeBackup(root, A7_UDID);
    const file = join(data, 'phone-identities.json');

    const mux = new FakeMux();
    const first = await registryWith({ usbmux: mux, probe: async () => A7_FACTS, identities: PhoneIdentityMemory.open(file) });
    const answered = probed(first);
    mux.attach(1, A7_UDID);
    await answered;
    await first.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const bus = new FakeBus();
    const second = await registryWith({ usb: bus, identities: PhoneIdentityMemory.open(file) });
    bus.plug(0x1281, A7_RECOVERY_SERIAL);
    const [phone] = second.list();
    expect(phone).toMatchObject({ mode: 'recovery', model: { name: 'iPhone 5s (GSM)' } });
    expect(second.udidOf(phone!.id)).toBe(A7_UDID);
    expect((await backupsOf(second, root, phone!.id)).map((b) => b.udid)).toEqual([A7_UDID]);
  });

  it('are not guessed for an older phone never seen started normally', async () => {
    const root = scratch();
    writeBackup(root, A7_UDID);
    const bus = new FakeBus();
    const registry = await registryWith({ usb: bus, identities: PhoneIdentityMemory.open(join(scratch(), 'phone-identities.json')) });
    bus.plug(0x1281, A7_RECOVERY_SERIAL);
    const [phone] = registry.list();
    expect(registry.udidOf(phone!.id)).toBeUndefined();
    expect(await backupsOf(registry, root, phone!.id)).toEqual([]);
  });
});

describe('chipUdidOf', () => {
  it('gives a UDID for the A12 and later chips only', () => {
    expect(chipUdidOf(0x8140, 0x1n)).toBe('00008140-0000000000000001');
    expect(chipUdidOf(0x8015, A7_ECID)).toBeNull();
    expect(chipUdidOf(0x8960, A7_ECID)).toBeNull();
    expect(chipUdidOf(0x8720, A7_ECID)).toBeNull();
    expect(chipUdidOf(0x7000, A7_ECID)).toBeNull();
  });
});

describe('PhoneIdentityMemory', () => {
  it('keeps the newest pairs within its bound, written whole (no temp file left)', () => {
    const data = scratch();
    const file = join(data, 'phone-identities.json');
    const full = Array.from({ length: MAX_REMEMBERED_PHONES }, (_, i) => ({
      ecid: (i + 1).toString(16).toUpperCase().padStart(16, '0'),
      udid: i.toString(16).padStart(40, '0'),
    }));
    writeFileSync(file, JSON.stringify({ version: 1, pairs: full }));
    const memory = PhoneIdentityMemory.open(file);
    expect(memory.udidOf(1n)).toBe('0'.repeat(40));
    memory.remember(BigInt(MAX_REMEMBERED_PHONES + 1), MAX_REMEMBERED_PHONES.toString(16).padStart(40, '0'));
    const reread = PhoneIdentityMemory.open(file);
    expect(reread.udidOf(1n)).toBeUndefined();
    expect(reread.udidOf(BigInt(MAX_REMEMBERED_PHONES + 1))).toBe(MAX_REMEMBERED_PHONES.toString(16).padStart(40, '0'));
    expect(readdirSync(data)).toEqual(['phone-identities.json']);
  });

  it('starts empty from a file that is not its own, too large, or names a UDID no iPhone uses', () => {
    const data = scratch();
    const file = join(data, 'phone-identities.json');
    writeFileSync(file, 'not json');
    expect(PhoneIdentityMemory.open(file).udidOf(A7_ECID)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ version: 1, pairs: [{ ecid: '001A2B3C4D5E6F70', udid: '../../etc/passwd' }] }));
    expect(PhoneIdentityMemory.open(file).udidOf(A7_ECID)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ version: 1, pairs: [{ ecid: '001A2B3C4D5E6F70', udid: A7_UDID }], pad: 'x'.repeat(70_000) }));
    expect(PhoneIdentityMemory.open(file).udidOf(A7_ECID)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ version: 1, pairs: [{ ecid: '001A2B3C4D5E6F70', udid: A7_UDID }] }));
    expect(PhoneIdentityMemory.open(file).udidOf(A7_ECID)).toBe(A7_UDID);
  });
});
