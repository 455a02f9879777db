import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../main/sim/simulator';
import type { Simulator } from '../../main/sim/simulator';
import { SimUsbBus } from '../../main/sim/hardware/sim-usb-bus';
import { parseIBootSerial } from '../../main/usb/iboot-serial';
import type { UsbDeviceHandle } from '../../main/usb/usb-bus';
import { needTool, peerSkipReason, peerSuiteOptions, runTool, waitFor, whichTool } from './peer-tool';

const tool = whichTool('ideviceenterrecovery');
const skip = peerSkipReason([needTool('ideviceenterrecovery', 'libimobiledevice-utils')]);

describe.skipIf(skip !== null)(
  `ideviceenterrecovery${tool ? '' : ' (skipped: ideviceenterrecovery not installed)'}`,
  peerSuiteOptions(skip),
  () => {
    let sim: Simulator | undefined;
    afterEach(async () => {
      await sim?.close();
      sim = undefined;
    });

    it('moves an iOS 12 phone to recovery and the daemon stops listing it', async () => {
      sim = await startSimulator({ phones: [{ model: { productType: 'iPhone6,1' }, ios: '12.5.7', timeFactor: 0.01 }] });
      const phone = sim.phones[0]!;
      const bus = new SimUsbBus([phone.hardware]);
      const recoveryOnBus = new Promise<UsbDeviceHandle>((resolve) =>
        bus.onConnect((device) => device.productId === 0x1281 && resolve(device)),
      );
      const detached = new Promise<void>((resolve) => phone.events.on('usb-visibility', (visible: boolean) => !visible && resolve()));
      const run = await runTool(tool!, [phone.udid], sim.address);
      expect(run.stdout).toContain('Device is successfully switching to recovery mode.');
      expect(run.stdout).not.toContain('Failed to enter recovery mode.');
      expect(await waitFor(() => phone.hardware.mode === 'recovery', 5000)).toBe(true);
      await detached;
      expect(sim.daemon.listedUdids()).toEqual([]);
      // The same phone re-enumerates on the USB bus as Apple's recovery device, its ECID in the serial string.
      const recovery = await recoveryOnBus;
      const serial = parseIBootSerial(recovery.serialNumber);
      expect(serial.ok && serial.serial.ecid).toBe(phone.identity.ecid);
      expect(serial.ok && serial.serial.srnm).toBe(phone.identity.serialNumber);
      bus.close();
    });

    it('on iOS 14.5+ without a session the phone refuses (SessionInactive) and stays in normal mode', async () => {
      sim = await startSimulator({ phones: [{ ios: '14.8', timeFactor: 0.01 }] });
      const phone = sim.phones[0]!;
      const run = await runTool(tool!, [phone.udid], sim.address);
      // 1.3.0 prints both lines and exits 0 (docs/protocols/lockdown.md#what-the-debian-tools-need).
      expect(run.stdout).toContain('Failed to enter recovery mode.');
      await new Promise((r) => setTimeout(r, 200));
      expect(phone.hardware.mode).toBe('normal');
      expect(sim.daemon.listedUdids()).toEqual([phone.udid]);
    });
  },
);
