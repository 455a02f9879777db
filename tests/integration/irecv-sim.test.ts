import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { findModelByProductType } from '../../common/device-table';
import { IrecvClient } from '../../main/irecv/irecv-client';
import { PhoneHardware, type PhoneMode } from '../../main/sim/hardware/phone-hardware';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { SimUsbipServer } from '../../main/sim/usbip-server';
import type { UsbBus } from '../../main/usb/usb-bus';
import { UsbipBus } from '../../main/usbip/usbip-bus';

const TIME_FACTOR = 0.01;
const ECID = 0x000a1b2c3d4e5f60n;
const FAST = { dfuStatusPollMs: 10, disconnectMs: 3_000, reconnectMs: 3_000, discoveryMs: 3_000 };
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Transport = 'sim' | 'usbip';

async function setup(transport: Transport, initialMode: PhoneMode): Promise<{ phone: PhoneHardware; bus: UsbBus }> {
  const model = findModelByProductType('iPhone6,1');
  if (!model) throw new Error('model');
  const phone = new PhoneHardware({
    identity: { model, ecid: ECID, serialNumber: 'F17LX0AAFF9R', udid: 'udid-irecv' },
    initialMode,
    timeFactor: TIME_FACTOR,
  });
  cleanups.push(() => phone.dispose());
  const simBus = new SimUsbBus([phone]);
  cleanups.push(() => simBus.close());
  if (transport === 'sim') return { phone, bus: simBus };
  const server = await SimUsbipServer.start({ bus: simBus });
  cleanups.push(() => server.close());
  const bus = new UsbipBus({ address: { host: '127.0.0.1', port: server.port }, pollMs: 50 });
  await bus.start();
  cleanups.push(() => bus.close());
  return { phone, bus };
}

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each<Transport>(['sim', 'usbip'])('IrecvClient over %s', (transport) => {
  it('opens the DFU phone by ECID and reads its chip, board and nonces', async () => {
    const { bus } = await setup(transport, 'dfu');
    const client = await IrecvClient.open(bus, { ecid: ECID, timeouts: FAST });
    expect(client.mode).toBe('dfu');
    expect(client.info).toMatchObject({ cpid: 0x8960, bdid: 0x00, ecid: ECID, srtg: 'iBoot-1704.10' });
    expect(client.info.model?.productType).toBe('iPhone6,1');
    expect(client.info.apNonce?.length).toBe(20);
    expect(client.info.sepNonce?.length).toBe(20);
    await client.close();
  });

  it('sends a DFU image the phone receives byte-exact with a valid suffix, then finds the phone again after the reset', async () => {
    const { phone, bus } = await setup(transport, 'dfu');
    const client = await IrecvClient.open(bus, { ecid: ECID, timeouts: FAST });
    const image = randomBytes(5000);
    const result = await client.sendDfu(image);
    expect(result).toEqual({ blocks: 3, separateSuffix: false, finishStates: [7, 8] });
    const upload = phone.uploads.at(-1);
    expect(upload?.mode).toBe('dfu');
    expect(upload?.complete).toBe(true);
    expect(upload?.dfu).toMatchObject({ suffix: 'valid', separateSuffix: false, blocks: 3, finishValue: 3 });
    expect(upload?.payload().equals(image)).toBe(true);
    const again = await client.reconnect();
    expect(again.device.id).not.toBe(client.device.id);
    expect(again.ecid).toBe(ECID);
    expect(again.mode).toBe('dfu');
    await again.close();
  });

  it('sends the suffix as its own block when the last block is full (4096 bytes)', async () => {
    const { phone, bus } = await setup(transport, 'dfu');
    const client = await IrecvClient.open(bus, { ecid: ECID, timeouts: FAST });
    const image = randomBytes(4096);
    const result = await client.sendDfu(image);
    expect(result.separateSuffix).toBe(true);
    expect(phone.uploads.at(-1)?.dfu).toMatchObject({ suffix: 'valid', separateSuffix: true, blocks: 3, finishValue: 2 });
    expect(phone.uploads.at(-1)?.payload().equals(image)).toBe(true);
    await client.close();
  });

  it('uploads in recovery with 0x41 + bulk chunks the phone receives byte-exact', async () => {
    const { phone, bus } = await setup(transport, 'recovery');
    const client = await IrecvClient.open(bus, { ecid: ECID, timeouts: FAST });
    expect(client.mode).toBe('recovery');
    const image = randomBytes(0x8000 * 2 + 1234);
    const result = await client.sendRecovery(image);
    expect(result).toEqual({ chunks: 3, zeroLengthPacket: false });
    expect(phone.uploads.at(-1)?.mode).toBe('recovery');
    expect(phone.uploads.at(-1)?.payload().equals(image)).toBe(true);
    await client.close();
  });

  it('runs iBoot commands and reads variables back with getenv', async () => {
    const { phone, bus } = await setup(transport, 'recovery');
    const client = await IrecvClient.open(bus, { ecid: ECID, timeouts: FAST });
    await client.command('setenv lifeline-test hello');
    expect(await client.getenv('lifeline-test')).toBe('hello');
    expect(await client.getenv('auto-boot')).toBe('false');
    expect(phone.iBootShell?.transcript).toEqual(['setenv lifeline-test hello', 'getenv lifeline-test', 'getenv auto-boot']);
    await client.close();
  });

  it('exits recovery: auto-boot true is saved and the phone starts up normally', async () => {
    const { phone, bus } = await setup(transport, 'recovery');
    const client = await IrecvClient.open(bus, { ecid: ECID, timeouts: FAST });
    const transcript = phone.iBootShell?.transcript;
    await client.exitRecovery();
    expect(transcript).toEqual(['setenv auto-boot true', 'saveenv', 'reboot']);
    await until(() => phone.mode === 'normal');
    expect(phone.nvram.get('auto-boot')).toBe('true');
  });

  it('finds the same phone by ECID after a USB reset in recovery', async () => {
    const { phone, bus } = await setup(transport, 'recovery');
    const client = await IrecvClient.open(bus, { ecid: ECID, timeouts: FAST });
    await client.reset();
    const again = await client.reconnect({ modes: ['recovery'] });
    expect(again.device.id).not.toBe(client.device.id);
    expect(again.ecid).toBe(ECID);
    expect(phone.mode).toBe('recovery');
    await again.command('setenv after-reset yes');
    expect(await again.getenv('after-reset')).toBe('yes');
    await again.close();
  });

  it('reports a phone that never appears as not found within the bounded wait', async () => {
    const { bus } = await setup(transport, 'recovery');
    await expect(IrecvClient.open(bus, { ecid: 0x1234n, timeouts: { discoveryMs: 300 } })).rejects.toMatchObject({ code: 'not-found' });
  });
});
