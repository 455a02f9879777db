import { afterEach, describe, expect, it } from 'vitest';
import type { RestoreStage } from '../../main/sim/faults';
import { virtualFilesystemOf } from '../../main/sim/services';
import { A7_SPEC, bootToRestoreMode, runScriptedHost, startRestoreBench, waitForMode, type RestoreBench } from './sim-restore-host';

const benches: RestoreBench[] = [];
afterEach(async () => {
  for (const bench of benches.splice(0)) await bench.close();
});

async function bench(): Promise<RestoreBench> {
  const b = await startRestoreBench(A7_SPEC, {
    model: { productType: 'iPhone6,1' },
    mode: 'dfu',
    ecid: '0x000A1B2C3D4E5F62',
    filesystem: { fileCount: 12, totalBytes: 100_000 },
  });
  benches.push(b);
  return b;
}

async function eraseRun(b: RestoreBench) {
  const { deviceId, ticket, identity } = await bootToRestoreMode(b, 'Erase');
  return runScriptedHost(b, { deviceId, ticket, identity, behavior: 'Erase' });
}

/** The second try: from wherever the phone is now, an erase that completes. */
async function secondRunCompletes(b: RestoreBench): Promise<void> {
  b.phone.faults.set({ restore: {} });
  const run = await eraseRun(b);
  expect(run.status).toBe(0);
  await waitForMode(b.phone, 'normal');
  expect(b.phone.restores.at(-1)?.outcome).toBe('finished');
}

describe('restore failure scripts', () => {
  it('ends with the scripted StatusMsg (27, failed to mount) and a second run completes', async () => {
    const b = await bench();
    b.phone.faults.set({ restore: { status: { code: 27, at: 'KernelCache', log: 'mount_filesystems failed' } } });
    const run = await eraseRun(b);
    expect(run.status).toBe(27);
    expect(run.log).toBe('mount_filesystems failed');
    expect(run.dataTypes).toEqual(['RootTicket', 'SystemImageData']);
    await waitForMode(b.phone, 'recovery');
    await secondRunCompletes(b);
  });

  it('restored crashes (RestoredCrash), the phone reboots into recovery, and a second run completes', async () => {
    const b = await bench();
    b.phone.faults.set({ restore: { crashAt: 'NORData' } });
    const run = await eraseRun(b);
    expect(run.crashed).toBe(true);
    expect(run.status).toBeNull();
    await waitForMode(b.phone, 'recovery');
    expect(b.phone.restores.at(-1)?.outcome).toBe('crashed');
    // The erase had wiped the data partition: nothing boots until a restore completes.
    expect(b.phone.hardware.osBootable).toBe(false);
    await secondRunCompletes(b);
  });

  it('the phone drops the ASR connection: status 14, recovery, then a second run completes', async () => {
    const b = await bench();
    b.phone.faults.set({ restore: { asrDisconnectAtBytes: 131072 } });
    const run = await eraseRun(b);
    expect(run.status).toBe(14);
    expect(run.asrError).not.toBeNull();
    await waitForMode(b.phone, 'recovery');
    expect(b.phone.restores.at(-1)?.asr?.outcome).toBe('fault-injected');
    await secondRunCompletes(b);
  });

  it('a phone unplugged in DFU is still in DFU when plugged back', async () => {
    const b = await bench();
    b.phone.hardware.unplug();
    b.phone.hardware.plug();
    expect(b.phone.hardware.mode).toBe('dfu');
  });

  it('the cable pulled during the boot chain leaves iBEC in recovery, and a second run completes', async () => {
    const b = await bench();
    b.phone.faults.set({ restore: { unplugAt: 'boot-chain' } });
    await expect(bootToRestoreMode(b, 'Erase')).rejects.toThrow();
    await waitForMode(b.phone, 'recovery');
    expect(b.phone.hardware.plugged).toBe(false);
    b.phone.hardware.plug();
    expect(b.phone.hardware.iBootStage).toBe('ibec');
    await secondRunCompletes(b);
  });

  it.each<RestoreStage>(['ramdisk', 'asr', 'baseband'])(
    'the cable pulled at %s leaves the phone in recovery, and a second run completes',
    async (stage) => {
      const b = await bench();
      b.phone.faults.set({ restore: { unplugAt: stage } });
      const run = await eraseRun(b);
      expect(run.status).toBeNull();
      await waitForMode(b.phone, 'recovery');
      expect(b.phone.restores.at(-1)?.outcome).toBe('host-gone');
      b.phone.hardware.plug();
      await secondRunCompletes(b);
    },
  );

  it('the cable pulled after the final status: the restore is done and the phone boots the new iOS', async () => {
    const b = await bench();
    b.phone.faults.set({ restore: { unplugAt: 'final-reboot' } });
    await eraseRun(b);
    await waitForMode(b.phone, 'normal');
    expect(b.phone.restores.at(-1)?.outcome).toBe('finished');
    expect(b.phone.hardware.plugged).toBe(false);
    b.phone.hardware.plug();
    expect(b.phone.usbVisible()).toBe(true);
    expect(virtualFilesystemOf(b.phone).fileCount).toBe(0);
  });
});
