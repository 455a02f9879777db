import { describe, expect, it } from 'vitest';
import { IrecvClient } from '../../../main/irecv/irecv-client';
import { HotplugListeners } from '../../../main/usb/hotplug-listeners';
import type { UsbBus, UsbControlSetup, UsbDeviceHandle, UsbInTransferResult, UsbOutTransferResult } from '../../../main/usb/usb-bus';

type Script = {
  getState?: () => number;
  getStatus?: () => number;
  out?: (setup: UsbControlSetup, data?: Uint8Array) => UsbOutTransferResult['status'];
};

/** A DFU device whose answers the test scripts; records every request. */
function fakeDfu(script: Script): { bus: UsbBus; log: string[] } {
  const log: string[] = [];
  const view = (bytes: number[]): UsbInTransferResult => {
    const b = Uint8Array.from(bytes);
    return { status: 'ok', data: new DataView(b.buffer) };
  };
  const device: UsbDeviceHandle = {
    id: 'fake@1',
    location: 'fake',
    vendorId: 0x05ac,
    productId: 0x1227,
    serialNumber: 'CPID:8960 CPRV:11 CPFM:03 SCEP:01 BDID:00 ECID:000A1B2C3D4E5F60 IBFL:3C SRTG:[iBoot-1704.10]',
    opened: true,
    open: async () => undefined,
    close: async () => undefined,
    selectConfiguration: async () => undefined,
    claimInterface: async () => undefined,
    releaseInterface: async () => undefined,
    reset: async () => void log.push('reset'),
    controlTransferIn: async (setup) => {
      if (setup.request === 5 && setup.requestType === 'class') {
        log.push('GETSTATE');
        return view([script.getState?.() ?? 2]);
      }
      if (setup.request === 3 && setup.requestType === 'class') {
        log.push('GETSTATUS');
        return view([0, 0, 0, 0, script.getStatus?.() ?? 5, 0]);
      }
      return { status: 'stall' };
    },
    controlTransferOut: async (setup, data) => {
      log.push(`OUT ${setup.requestType} ${setup.request} ${setup.value} ${data?.byteLength ?? 0}`);
      return { status: script.out?.(setup, data) ?? 'ok', bytesWritten: data?.byteLength ?? 0 };
    },
    transferIn: async () => ({ status: 'stall' }),
    transferOut: async () => ({ status: 'stall', bytesWritten: 0 }),
  };
  const listeners = new HotplugListeners();
  const bus: UsbBus = {
    getDevices: async () => [device],
    onConnect: (cb) => listeners.onConnect(cb),
    onDisconnect: (cb) => listeners.onDisconnect(cb),
    status: () => ({ state: 'ready' }),
    close: () => undefined,
  };
  return { bus, log };
}

const FAST = { dfuStatusPollMs: 1, dfuStatusPolls: 3, discoveryMs: 200 };

describe('IrecvClient DFU upload against a scripted device', () => {
  it('clears dfuERROR with CLRSTATUS before sending, then walks blocks, finish and reset', async () => {
    const states = [10, 2];
    const { bus, log } = fakeDfu({ getState: () => states.shift() ?? 2 });
    const client = await IrecvClient.open(bus, { timeouts: FAST });
    const result = await client.sendDfu(new Uint8Array(100));
    expect(result).toEqual({ blocks: 1, separateSuffix: false, finishStates: [5, 5] });
    expect(log).toEqual([
      'GETSTATE',
      'OUT class 4 0 0',
      'GETSTATE',
      'OUT class 1 0 116',
      'GETSTATUS',
      'OUT class 1 1 0',
      'GETSTATUS',
      'GETSTATUS',
      'reset',
    ]);
  });

  it('gives up after the bounded number of GETSTATUS polls when the phone never returns to dfuDNLOAD-IDLE', async () => {
    const { bus, log } = fakeDfu({ getStatus: () => 4 });
    const client = await IrecvClient.open(bus, { timeouts: FAST });
    await expect(client.sendDfu(new Uint8Array(10))).rejects.toMatchObject({ code: 'bad-state' });
    expect(log.filter((l) => l === 'GETSTATUS')).toHaveLength(3);
    expect(log).not.toContain('reset');
  });

  it('reports a stalled block with its number and sends nothing after it', async () => {
    const { bus, log } = fakeDfu({ out: (setup) => (setup.request === 1 && setup.value === 1 ? 'stall' : 'ok') });
    const client = await IrecvClient.open(bus, { timeouts: FAST });
    await expect(client.sendDfu(new Uint8Array(5000))).rejects.toThrow(/block 1/);
    expect(log.at(-1)).toBe('OUT class 1 1 2048');
  });

  it('refuses empty images and iBoot commands in DFU mode', async () => {
    const { bus } = fakeDfu({});
    const client = await IrecvClient.open(bus, { timeouts: FAST });
    await expect(client.sendDfu(new Uint8Array(0))).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(client.command('getenv auto-boot')).rejects.toMatchObject({ code: 'not-dfu-or-recovery' });
    await expect(client.sendRecovery(new Uint8Array(1))).rejects.toMatchObject({ code: 'not-dfu-or-recovery' });
  });
});
