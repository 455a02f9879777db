import { afterEach, describe, expect, it } from 'vitest';
import { findModelByProductType } from '../../common/device-table';
import { parseIBootSerial } from '../../main/usb/iboot-serial';
import type { UsbControlSetup, UsbDeviceHandle } from '../../main/usb/usb-bus';
import { PhoneHardware } from '../../main/sim/hardware/phone-hardware';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';

const TIME_FACTOR = 0.01;
const COMMAND: UsbControlSetup = { requestType: 'vendor', recipient: 'device', request: 0, value: 0, index: 0 };
const RESPONSE: UsbControlSetup = { requestType: 'vendor', recipient: 'device', request: 0, value: 0, index: 0 };

const phones: PhoneHardware[] = [];
const buses: SimUsbBus[] = [];

afterEach(() => {
  for (const bus of buses.splice(0)) bus.close();
  for (const phone of phones.splice(0)) phone.dispose();
});

function setup(productType: string, ecid: bigint, initialMode: 'normal' | 'recovery' = 'normal') {
  const model = findModelByProductType(productType);
  if (!model) throw new Error(productType);
  const phone = new PhoneHardware({
    identity: { model, ecid, serialNumber: 'C39VX0AAJCL8', imei: '356789012345678', udid: `udid-${ecid.toString(16)}` },
    initialMode,
    timeFactor: TIME_FACTOR,
  });
  const bus = new SimUsbBus([phone]);
  phones.push(phone);
  buses.push(bus);
  const events: string[] = [];
  bus.onConnect((d) => events.push(`+${d.productId.toString(16)}`));
  bus.onDisconnect((d) => events.push(`-${d.productId.toString(16)}`));
  return { phone, bus, events };
}

/** Resolves with the next device connected on the bus (bounded wait). */
function nextConnect(bus: SimUsbBus, timeoutMs = 2_000): Promise<UsbDeviceHandle> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no connect event'));
    }, timeoutMs);
    const off = bus.onConnect((device) => {
      clearTimeout(timer);
      off();
      resolve(device);
    });
  });
}

async function command(device: UsbDeviceHandle, line: string): Promise<void> {
  const result = await device.controlTransferOut(COMMAND, new TextEncoder().encode(`${line}\0`));
  expect(result.status).toBe('ok');
}

async function getenv(device: UsbDeviceHandle, name: string): Promise<string> {
  await command(device, `getenv ${name}`);
  const reply = await device.controlTransferIn(RESPONSE, 255);
  expect(reply.status).toBe('ok');
  const bytes = new Uint8Array(reply.data?.buffer ?? new ArrayBuffer(0), reply.data?.byteOffset, reply.data?.byteLength);
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul === -1 ? bytes : bytes.subarray(0, nul));
}

describe('simulated USB bus', () => {
  it('follows a phone from normal to recovery to DFU, each personality on a new address', async () => {
    const ecid = 0x0006398020f9e526n;
    const { phone, bus, events } = setup('iPhone10,3', ecid);
    const [normal] = await bus.getDevices();
    expect(normal?.productId).toBe(0x12a8);
    expect(normal?.serialNumber).toBe(`udid-${ecid.toString(16)}`);

    const recoveryArrives = nextConnect(bus);
    expect(phone.enterRecovery()).toBe(true);
    const recovery = await recoveryArrives;
    expect(recovery.productId).toBe(0x1281);
    expect(recovery.productName).toBe('Apple Mobile Device (Recovery Mode)');
    expect(recovery.id).not.toBe(normal?.id);
    expect(recovery.location).toBe(normal?.location);
    const recoverySerial = parseIBootSerial(recovery.serialNumber);
    expect(recoverySerial.ok && recoverySerial.serial).toMatchObject({
      cpid: 0x8015,
      bdid: 0x06,
      ecid,
      srnm: 'C39VX0AAJCL8',
      imei: '356789012345678',
      sdom: 1,
    });

    // Assisted DFU: hold Side + Volume Down, the host reboots the phone out of recovery, then Volume Down alone.
    await recovery.open();
    phone.press('power');
    phone.press('volumeDown');
    const dfuArrives = nextConnect(bus);
    await command(recovery, 'reboot');
    await new Promise((r) => setTimeout(r, 2_000 * TIME_FACTOR));
    phone.release('power');
    const dfu = await dfuArrives;
    phone.release('volumeDown');
    expect(dfu.productId).toBe(0x1227);
    expect(dfu.id).not.toBe(recovery.id);
    const dfuSerial = parseIBootSerial(dfu.serialNumber);
    expect(dfuSerial.ok && dfuSerial.serial).toMatchObject({
      cpid: 0x8015,
      bdid: 0x06,
      ecid,
      srtg: 'iBoot-3332.0.0.1.23',
      stage: 'securerom',
    });

    expect(events).toEqual(['-12a8', '+1281', '-1281', '+1227']);
    await expect(recovery.open()).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('keeps the phone in recovery across reboot after setenv auto-boot false + saveenv, and leaves it with auto-boot true', async () => {
    const { phone, bus } = setup('iPhone6,1', 0x000a1b2c3d4e5f60n, 'recovery');
    const [first] = await bus.getDevices();
    if (!first) throw new Error('no recovery device');
    await first.open();
    await command(first, 'setenv auto-boot false');
    await command(first, 'saveenv');
    const back = nextConnect(bus);
    await command(first, 'reboot');
    const second = await back;
    expect(second.productId).toBe(0x1281);
    expect(second.id).not.toBe(first.id);
    expect(phone.mode).toBe('recovery');

    // "Exit recovery" (irecovery -n): auto-boot true + saveenv + reboot → iOS boots.
    await second.open();
    expect(await getenv(second, 'auto-boot')).toBe('false');
    await command(second, 'setenv auto-boot true');
    await command(second, 'saveenv');
    const normalArrives = nextConnect(bus);
    await command(second, 'reboot');
    const normal = await normalArrives;
    expect(normal.productId).toBe(0x12a8);
    expect(phone.mode).toBe('normal');
  });

  it('does not keep an unsaved setenv across a reboot', async () => {
    const { phone, bus } = setup('iPhone6,1', 0x1n, 'recovery');
    const [device] = await bus.getDevices();
    if (!device) throw new Error('no recovery device');
    await device.open();
    await command(device, 'setenv auto-boot true');
    const next = nextConnect(bus);
    await command(device, 'reboot');
    expect((await next).productId).toBe(0x1281);
    expect(phone.nvram.get('auto-boot')).toBe('false');
  });

  it('round-trips getenv, including values with spaces, and answers unknown commands without failing', async () => {
    const { phone, bus } = setup('iPhone6,1', 0x2n, 'recovery');
    const [device] = await bus.getDevices();
    if (!device) throw new Error('no recovery device');
    await device.open();
    await command(device, 'setenv boot-args rd=md0 nand-enable-reformat=1 -progress');
    expect(await getenv(device, 'boot-args')).toBe('rd=md0 nand-enable-reformat=1 -progress');
    expect(await getenv(device, 'build-style')).toBe('RELEASE');
    expect(await getenv(device, 'no-such-variable')).toBe('');
    await command(device, 'bgcolor 0 0 0');
    expect(phone.iBootShell?.transcript.at(-1)).toBe('bgcolor 0 0 0');
    expect(phone.mode).toBe('recovery');
    const tooLong = await device.controlTransferOut(COMMAND, new Uint8Array(300).fill(0x41));
    expect(tooLong.status).toBe('stall');
  });

  it('reads descriptors like a host would: device descriptor PID and the serial string at index 4', async () => {
    const { bus } = setup('iPhone6,1', 0x3n, 'recovery');
    const [device] = await bus.getDevices();
    if (!device) throw new Error('no recovery device');
    await device.open();
    const desc = await device.controlTransferIn({ requestType: 'standard', recipient: 'device', request: 6, value: 0x0100, index: 0 }, 18);
    expect(desc.data?.getUint16(10, true)).toBe(0x1281);
    const serialIndex = desc.data?.getUint8(16) ?? 0;
    const str = await device.controlTransferIn(
      { requestType: 'standard', recipient: 'device', request: 6, value: 0x0300 | serialIndex, index: 0x0409 },
      255,
    );
    const bytes = new Uint8Array(str.data?.buffer ?? new ArrayBuffer(0), (str.data?.byteOffset ?? 0) + 2, (str.data?.byteLength ?? 2) - 2);
    expect(Buffer.from(bytes).toString('utf16le')).toBe(device.serialNumber);
  });

  it('fires disconnect on unplug and connect with a new device on replug', async () => {
    const { phone, bus, events } = setup('iPhone10,3', 0x4n);
    const [before] = await bus.getDevices();
    phone.unplug();
    expect(await bus.getDevices()).toEqual([]);
    expect(before && 'attached' in before ? before.attached : true).toBe(false);
    phone.plug();
    const [after] = await bus.getDevices();
    expect(after?.id).not.toBe(before?.id);
    expect(events).toEqual(['-12a8', '+12a8']);
  });

  it('lists several phones and reports a removed phone as disconnected', async () => {
    const { phone, bus, events } = setup('iPhone10,3', 0x5n);
    const model = findModelByProductType('iPhone9,1');
    if (!model) throw new Error('model');
    const second = new PhoneHardware({
      identity: { model, ecid: 0x6n, serialNumber: 'S2', udid: 'u2' },
      initialMode: 'recovery',
      timeFactor: TIME_FACTOR,
    });
    phones.push(second);
    bus.addPhone(second);
    expect((await bus.getDevices()).map((d) => d.productId).sort()).toEqual([0x1281, 0x12a8]);
    bus.removePhone(phone);
    expect((await bus.getDevices()).map((d) => d.productId)).toEqual([0x1281]);
    expect(events).toEqual(['+1281', '-12a8']);
  });
});
