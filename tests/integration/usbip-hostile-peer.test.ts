import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findModelByProductType } from '../../common/device-table';
import { PhoneHardware } from '../../main/sim/hardware/phone-hardware';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { SimUsbipServer } from '../../main/sim/usbip-server';
import { UsbipBus } from '../../main/usbip/usbip-bus';
import { encodeDevlistReply, encodeDevlistRequest, encodeImportRequest } from '../../main/usbip/usbip-op-codec';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function send(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.end(bytes);
    setTimeout(() => socket.destroy(), 1_000);
  });
}

describe('USB/IP with a hostile peer', () => {
  it('the sim server drops garbage, absurd URB lengths and unknown busids, and keeps serving', async () => {
    const model = findModelByProductType('iPhone6,1');
    if (!model) throw new Error('model');
    const phone = new PhoneHardware({ identity: { model, ecid: 7n, serialNumber: 'X', udid: 'u' }, initialMode: 'dfu', timeFactor: 0.01 });
    const bus = new SimUsbBus([phone]);
    const server = await SimUsbipServer.start({ bus });
    cleanups.push(
      () => phone.dispose(),
      () => bus.close(),
      () => server.close(),
    );

    expect((await send(server.port, Buffer.from('GET / HTTP/1.1\r\n\r\n'))).length).toBe(0);
    const unknown = await send(server.port, encodeImportRequest('9-9'));
    expect(unknown.readUInt32BE(4)).toBe(4); // ST_NODEV, header only
    const absurd = Buffer.alloc(48);
    absurd.writeUInt32BE(1, 0);
    absurd.writeInt32BE(0x7fffffff, 24);
    const imported = await send(server.port, Buffer.concat([encodeImportRequest('1-1'), absurd]));
    expect(imported.readUInt32BE(4)).toBe(0); // imported, then dropped at the absurd URB: no RET_SUBMIT
    expect(imported.length).toBe(8 + 0x138);

    const list = await send(server.port, encodeDevlistRequest());
    expect(list.readUInt32BE(8)).toBe(1);
  });

  it('the client bus refuses a server that claims a million devices and reports it as a status', async () => {
    const liar: Server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.resume();
      const reply = encodeDevlistReply([]);
      reply.writeUInt32BE(1_000_000, 8);
      socket.end(reply);
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => liar.close(resolve)));
    const address = liar.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const bus = new UsbipBus({ address: { host: '127.0.0.1', port } });
    cleanups.push(() => bus.close());
    await bus.start();
    expect(await bus.getDevices()).toEqual([]);
    const status = bus.status();
    expect(status.state).toBe('unavailable');
    expect(status.state === 'unavailable' && status.detail).toMatch(/1000000 devices/);
  });
});
