import { afterEach, describe, expect, it } from 'vitest';
import type { DfuPhone } from '../../common/api';
import { findModelByProductType } from '../../common/device-table';
import { runCli } from '../../main/cli';
import { EXIT } from '../../main/cli/exit-codes';
import { publicPhoneId } from '../../main/devices/public-phone-id';
import { PhoneHardware, type PhoneMode } from '../../main/sim/hardware/phone-hardware';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { SimUsbipServer } from '../../main/sim/usbip-server';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function serve(phones: { productType: string; ecid: bigint; mode: PhoneMode }[]): Promise<SimUsbipServer> {
  const hardware = phones.map(({ productType, ecid, mode }) => {
    const model = findModelByProductType(productType);
    if (!model) throw new Error(productType);
    return new PhoneHardware({
      identity: { model, ecid, serialNumber: 'C39VX0AAJCL8', udid: `udid-${ecid}` },
      initialMode: mode,
      timeFactor: 0.01,
    });
  });
  const bus = new SimUsbBus(hardware);
  const server = await SimUsbipServer.start({ bus });
  cleanups.push(
    () => hardware.forEach((h) => h.dispose()),
    () => bus.close(),
    () => server.close(),
  );
  return server;
}

describe('lifeline dfu-info over USB/IP', () => {
  it('--json lists each DFU / recovery phone with mode, chip, board, model, opaque phone id and nonces — never its ECID', async () => {
    const server = await serve([
      { productType: 'iPhone6,1', ecid: 0x000a1b2c3d4e5f60n, mode: 'dfu' },
      { productType: 'iPhone10,3', ecid: 0x0006398020f9e526n, mode: 'recovery' },
    ]);
    const { code, out } = await run(['--usbip', server.address, '--json', 'dfu-info']);
    expect(code).toBe(EXIT.ok);
    const phones = (JSON.parse(out) as DfuPhone[]).sort((a, b) => a.cpid.localeCompare(b.cpid));
    expect(phones).toHaveLength(2);
    expect(phones[0]).toMatchObject({
      mode: 'recovery',
      productId: '0x1281',
      cpid: '0x8015',
      bdid: '0x06',
      phoneId: publicPhoneId({ ecid: 0x0006398020f9e526n }),
      model: { productType: 'iPhone10,3' },
    });
    expect(phones[0]).not.toHaveProperty('ecid');
    expect(phones[0]?.apNonce).toMatch(/^[0-9a-f]{64}$/);
    expect(phones[1]).toMatchObject({
      mode: 'dfu',
      productId: '0x1227',
      cpid: '0x8960',
      bdid: '0x00',
      phoneId: publicPhoneId({ ecid: 0x000a1b2c3d4e5f60n }),
      srtg: 'iBoot-1704.10',
    });
    expect(phones[1]).not.toHaveProperty('ecid');
    expect(phones[1]?.apNonce).toMatch(/^[0-9a-f]{40}$/);
    expect(phones[1]?.sepNonce).toMatch(/^[0-9a-f]{40}$/);
    expect(out).not.toMatch(/0A1B2C3D4E5F60|4E5F60|20F9E526/i);
  });

  it('masks the ECID in plain words; --json --show-ecid adds the full ECID next to the phone id', async () => {
    const server = await serve([{ productType: 'iPhone6,1', ecid: 0x000a1b2c3d4e5f60n, mode: 'dfu' }]);
    const prose = await run(['--usbip', server.address, 'dfu-info']);
    expect(prose.out).toContain('ECID …4E5F60');
    expect(prose.out).not.toContain('0A1B2C3D');
    const { out } = await run(['--usbip', server.address, '--json', 'dfu-info', '--show-ecid']);
    expect(JSON.parse(out)).toMatchObject([{ ecid: '000A1B2C3D4E5F60', phoneId: publicPhoneId({ ecid: 0x000a1b2c3d4e5f60n }) }]);
  });

  it('gives a phone in DFU mode the same id as `lifeline devices --json` does', async () => {
    const server = await serve([{ productType: 'iPhone6,1', ecid: 0x000a1b2c3d4e5f60n, mode: 'dfu' }]);
    const dfu = JSON.parse((await run(['--usbip', server.address, '--json', 'dfu-info'])).out) as DfuPhone[];
    const devices = JSON.parse((await run(['--usbip', server.address, '--json', 'devices'])).out) as {
      phones: { id: string; mode: string }[];
    };
    expect(devices.phones).toMatchObject([{ mode: 'dfu', id: dfu[0]!.phoneId }]);
  });

  it('--show-ecid prints the full ECID in plain words', async () => {
    const server = await serve([{ productType: 'iPhone6,1', ecid: 0x000a1b2c3d4e5f60n, mode: 'dfu' }]);
    const { code, out } = await run(['--usbip', server.address, 'dfu-info', '--show-ecid']);
    expect(code).toBe(EXIT.ok);
    expect(out).toContain('iPhone 5s');
    expect(out).toContain('DFU mode');
    expect(out).toContain('ECID 000A1B2C3D4E5F60');
  });

  it('says so when no phone is in DFU or recovery mode', async () => {
    const server = await serve([{ productType: 'iPhone6,1', ecid: 0x1n, mode: 'normal' }]);
    const { code, out } = await run(['--usbip', server.address, 'dfu-info']);
    expect(code).toBe(EXIT.ok);
    expect(out).toBe('No phone in DFU or recovery mode.');
  });

  it('refuses an address that is not HOST:PORT with a usage error', async () => {
    const { code, err } = await run(['--usbip', 'not an address', 'dfu-info']);
    expect(code).toBe(EXIT.usage);
    expect(err).toContain('HOST:PORT');
  });

  it('explains an unreachable USB/IP server instead of listing nothing', async () => {
    const server = await serve([]);
    const address = server.address;
    await server.close();
    const { code, err } = await run(['--usbip', address, 'dfu-info']);
    expect(code).toBe(EXIT.failed);
    expect(err).toContain('USB/IP server');
  });
});
