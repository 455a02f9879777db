import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../main/sim/simulator';
import type { Simulator } from '../../main/sim/simulator';
import type { ScenarioInput } from '../../main/sim/scenario';
import { decodePairRecord } from '../../main/lockdown/pair-record';
import { LockdownClient } from '../../main/lockdown/lockdown-client';
import { readPairRecord } from '../../main/lockdown/pair-record-store';
import { pairPhone } from '../../main/lockdown/lockdown-pairing';
import { parseUsbmuxSocketAddress } from '../../main/usbmux/usbmux-address';
import { UsbmuxClient } from '../../main/usbmux/usbmux-client';
import { needTool, peerSkipReason, peerSuiteOptions, runTool, whichTool } from './peer-tool';

const tool = whichTool('idevicepair');
const skip = peerSkipReason([needTool('idevicepair', 'libimobiledevice-utils')]);

describe.skipIf(skip !== null)(
  `idevicepair against a virtual phone${tool ? '' : ' (skipped: idevicepair not installed)'}`,
  peerSuiteOptions(skip),
  () => {
    let sim: Simulator | undefined;
    afterEach(async () => {
      await sim?.close();
      sim = undefined;
    });
    const start = async (scenario: ScenarioInput) => {
      sim = await startSimulator({ phones: [scenario] });
      return { sim, phone: sim.phones[0]! };
    };

    it('validate succeeds for a phone that already trusts this host', async () => {
      const { sim, phone } = await start({ trusted: true });
      const run = await runTool(tool!, ['-u', phone.udid, 'validate'], sim.address);
      expect(run.stdout).toContain(`SUCCESS: Validated pairing with device ${phone.udid}`);
      expect(run.code).toBe(0);
    });

    it('validate succeeds with the pair record Lifeline made and saved through usbmuxd, without pairing again', async () => {
      const { sim, phone } = await start({ trusted: false, passcodeSet: false, locked: false, trustDialog: 'accept' });
      const usbmux = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });
      const device = (await usbmux.listDevices()).find((d) => d.udid === phone.udid)!;
      const ours = await pairPhone(usbmux, { deviceId: device.deviceId, udid: phone.udid });
      expect(phone.pairedHostIds()).toEqual([ours.HostID]);
      const run = await runTool(tool!, ['-u', phone.udid, 'validate'], sim.address);
      expect(run.stdout).toContain(`SUCCESS: Validated pairing with device ${phone.udid}`);
      expect(run.code).toBe(0);
      // idevicepair used our record as it was: no second pairing.
      expect(phone.pairedHostIds()).toEqual([ours.HostID]);
      expect(decodePairRecord((await sim.daemon.readPairRecord(phone.udid))!).HostID).toBe(ours.HostID);
    });

    it('validate fails with the passcode message for an untrusted, locked phone', async () => {
      const { sim, phone } = await start({ trusted: false, passcodeSet: true, locked: true });
      const run = await runTool(tool!, ['-u', phone.udid, 'validate'], sim.address);
      expect(run.code).not.toBe(0);
      expect(run.output).toContain('because a passcode is set');
      expect(phone.pairedHostIds()).toEqual([]);
      expect(await sim.daemon.readPairRecord(phone.udid)).toBeUndefined();
    });

    it('pair on an unlocked phone whose user taps Trust, then validate works', async () => {
      const { sim, phone } = await start({ trusted: false, locked: false, trustDialog: 'accept' });
      const pair = await runTool(tool!, ['-u', phone.udid, 'pair'], sim.address);
      expect(pair.stdout).toContain(`SUCCESS: Paired with device ${phone.udid}`);
      const stored = await sim.daemon.readPairRecord(phone.udid);
      expect(stored).toBeDefined();
      const record = decodePairRecord(stored!);
      expect(phone.pairedHostIds()).toEqual([record.HostID]);
      expect(record.SystemBUID).toBe(sim.daemon.systemBuid);
      expect(record.EscrowBag?.equals(phone.pairedHost(record.HostID)!.escrowBag)).toBe(true);
      const validate = await runTool(tool!, ['-u', phone.udid, 'validate'], sim.address);
      expect(validate.stdout).toContain('SUCCESS: Validated pairing');
    });

    it('a pair record idevicepair made (its own certificates) opens a Lifeline session pinned to that phone', async () => {
      const { sim, phone } = await start({ trusted: false, locked: false, trustDialog: 'accept' });
      const pair = await runTool(tool!, ['-u', phone.udid, 'pair'], sim.address);
      expect(pair.code).toBe(0);
      const usbmux = new UsbmuxClient({ address: parseUsbmuxSocketAddress(sim.address)! });
      const record = (await readPairRecord(usbmux, phone.udid))!;
      const device = (await usbmux.listDevices()).find((d) => d.udid === phone.udid)!;
      const client = await LockdownClient.connect(usbmux, device.deviceId, { timeoutMs: 5000 });
      try {
        expect(await client.startSession(record, { certificate: 'root' })).toMatchObject({ ssl: true });
        expect(await client.getValue({ key: 'SerialNumber' })).toBe(phone.identity.serialNumber);
      } finally {
        client.close();
      }
    });

    it('pair reports a pending trust dialog and a denied one', async () => {
      const { sim, phone } = await start({ trusted: false, locked: false, trustDialog: 'pending' });
      const pending = await runTool(tool!, ['-u', phone.udid, 'pair'], sim.address);
      expect(pending.output).toContain('Please accept the trust dialog');
      phone.answerTrustDialog('deny');
      const denied = await runTool(tool!, ['-u', phone.udid, 'pair'], sim.address);
      expect(denied.output).toContain('denied the trust dialog');
      expect(phone.pairedHostIds()).toEqual([]);
    });

    it('unpair removes the host on the phone and the record in the daemon', async () => {
      const { sim, phone } = await start({ trusted: true });
      const run = await runTool(tool!, ['-u', phone.udid, 'unpair'], sim.address);
      expect(run.stdout).toContain('SUCCESS: Unpaired');
      expect(phone.pairedHostIds()).toEqual([]);
      expect(await sim.daemon.readPairRecord(phone.udid)).toBeUndefined();
    });
  },
);
