import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../main/sim/simulator';
import type { Simulator } from '../../main/sim/simulator';
import { needTool, peerSkipReason, peerSuiteOptions, runTool, whichTool } from './peer-tool';

const tool = whichTool('idevice_id');
const skip = peerSkipReason([needTool('idevice_id', 'libimobiledevice-utils')]);

describe.skipIf(skip !== null)(
  `idevice_id -l against the fake usbmuxd${tool ? '' : ' (skipped: idevice_id not installed)'}`,
  peerSuiteOptions(skip),
  () => {
    let sim: Simulator | undefined;
    afterEach(async () => {
      await sim?.close();
      sim = undefined;
    });

    it('lists the one virtual phone by its UDID', async () => {
      sim = await startSimulator({ phones: [{ seed: 'one' }] });
      const run = await runTool(tool!, ['-l'], sim.address);
      expect(run.code).toBe(0);
      expect(run.stdout.trim().split('\n')).toEqual([sim.phones[0]!.udid]);
    });

    it('lists both phones, a modern dashed UDID and a legacy 40-hex one', async () => {
      sim = await startSimulator({
        phones: [
          { seed: 'modern', model: { productType: 'iPhone12,1' } },
          { seed: 'legacy', model: { productType: 'iPhone6,1' }, ios: '12.5.7' },
        ],
      });
      const [modern, legacy] = sim.phones;
      expect(modern!.udid).toMatch(/^00008030-[0-9A-F]{16}$/);
      expect(legacy!.udid).toMatch(/^[0-9a-f]{40}$/);
      const run = await runTool(tool!, ['-l'], sim.address);
      expect(run.code).toBe(0);
      expect(run.stdout.trim().split('\n').sort()).toEqual([modern!.udid, legacy!.udid].sort());
    });

    it('stops listing a phone once it is unplugged from the daemon', async () => {
      sim = await startSimulator({ phones: [{ seed: 'a' }, { seed: 'b' }] });
      sim.daemon.detach(sim.phones[0]!);
      const run = await runTool(tool!, ['-l'], sim.address);
      expect(run.stdout.trim().split('\n')).toEqual([sim.phones[1]!.udid]);
    });
  },
);
