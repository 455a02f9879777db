import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../main/sim/simulator';
import type { Simulator } from '../../main/sim/simulator';
import { needTool, peerSkipReason, peerSuiteOptions, runTool, whichTool } from './peer-tool';

const tool = whichTool('ideviceinfo');
const skip = peerSkipReason([needTool('ideviceinfo', 'libimobiledevice-utils')]);

describe.skipIf(skip !== null)(
  `ideviceinfo against a virtual phone${tool ? '' : ' (skipped: ideviceinfo not installed)'}`,
  peerSuiteOptions(skip),
  () => {
    let sim: Simulator;
    beforeAll(async () => {
      sim = await startSimulator({
        phones: [
          {
            seed: 'info',
            model: { productType: 'iPhone10,3' },
            ios: '16.7',
            deviceName: 'Anna’s iPhone',
            trusted: true,
            battery: 42,
            backupEncryption: true,
          },
        ],
      });
    });
    afterAll(() => sim.close());

    const udid = (): string => sim.phones[0]!.udid;

    it('-s -k ProductType answers from the scenario without a session', async () => {
      const run = await runTool(tool!, ['-s', '-u', udid(), '-k', 'ProductType'], sim.address);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe('iPhone10,3');
    });

    it('-s prints the pre-session set and withholds session-only values', async () => {
      const run = await runTool(tool!, ['-s', '-u', udid()], sim.address);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('DeviceName: Anna’s iPhone');
      expect(run.stdout).toContain('ProductVersion: 16.7');
      expect(run.stdout).toContain(`UniqueDeviceID: ${udid()}`);
      expect(run.stdout).toContain(`HardwareModel: ${sim.phones[0]!.model.boardConfig.toUpperCase()}`);
      expect(run.stdout).not.toMatch(/^SerialNumber:/m);
      expect(run.stdout).not.toContain('InternationalMobileEquipmentIdentity');
    });

    it('with a TLS session reads session-only values such as SerialNumber', async () => {
      const run = await runTool(tool!, ['-u', udid(), '-k', 'SerialNumber'], sim.address);
      expect(run.output).not.toContain('ERROR');
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(sim.phones[0]!.identity.serialNumber);
    });

    it('reads other domains inside the session (battery, backup encryption)', async () => {
      const battery = await runTool(tool!, ['-u', udid(), '-q', 'com.apple.mobile.battery', '-k', 'BatteryCurrentCapacity'], sim.address);
      expect(battery.stdout.trim()).toBe('42');
      const backup = await runTool(tool!, ['-u', udid(), '-q', 'com.apple.mobile.backup', '-k', 'WillEncrypt'], sim.address);
      expect(backup.stdout.trim()).toBe('true');
    });

    it('the full session dict carries identity values derived from the model row', async () => {
      const run = await runTool(tool!, ['-u', udid()], sim.address);
      expect(run.code).toBe(0);
      const phone = sim.phones[0]!;
      expect(run.stdout).toContain(`ChipID: ${phone.model.cpid}`);
      expect(run.stdout).toContain(`UniqueChipID: ${phone.identity.ecid}`);
      expect(run.stdout).toContain('ActivationState: Activated');
      expect(run.stdout).toContain('TrustedHostAttached: true');
    });
  },
);
