import { afterEach, describe, expect, it } from 'vitest';
import { virtualFilesystemOf } from '../../main/sim/services';
import {
  A12_SPEC,
  A7_SPEC,
  bootToRestoreMode,
  runScriptedHost,
  startRestoreBench,
  waitForMode,
  type RestoreBench,
} from './sim-restore-host';

const benches: RestoreBench[] = [];
afterEach(async () => {
  for (const bench of benches.splice(0)) await bench.close();
});

async function bench(spec = A7_SPEC, productType = 'iPhone6,1'): Promise<RestoreBench> {
  const b = await startRestoreBench(spec, {
    model: { productType },
    mode: 'dfu',
    ecid: '0x000A1B2C3D4E5F60',
    ios: '12.4',
    trusted: true,
    filesystem: { fileCount: 40, totalBytes: 400_000 },
  });
  benches.push(b);
  return b;
}

describe('the virtual phone restores like an A7 on iOS 12', () => {
  it('asks for the data an iOS 12 ramdisk asks for, in order, with real progress operations, then reboots as a fresh phone after an erase', async () => {
    const b = await bench();
    const visibility: boolean[] = [];
    b.phone.events.on('usb-visibility', (visible: boolean) => visibility.push(visible));
    expect(b.phone.pairedHostIds()).toHaveLength(1);
    expect(virtualFilesystemOf(b.phone).fileCount).toBe(40);

    const { deviceId, ticket, identity } = await bootToRestoreMode(b, 'Erase');
    const run = await runScriptedHost(b, { deviceId, ticket, identity, behavior: 'Erase', label: 'idevicerestore' });
    expect(run.status).toBe(0);
    expect(run.dataTypes).toEqual(['RootTicket', 'SystemImageData', 'KernelCache', 'NORData', 'BasebandData', 'BasebandData']);
    expect(run.progress.filter((op) => op !== 13)).toEqual([28, 11, 12, 14, 15, 16, 27, 17, 25, 18, 48, 49, 19, 29, 44]);
    // Restoring-image progress follows the ASR bytes, between the root ticket and verification.
    expect(run.progress.filter((op) => op === 13).length).toBeGreaterThan(1);
    expect(run.progress.indexOf(13)).toBe(3);
    expect(run.checkpoints).toEqual([]);

    await waitForMode(b.phone, 'normal');
    const record = b.phone.restores.at(-1)!;
    expect(record.outcome).toBe('finished');
    expect(record.behavior).toBe('Erase');
    expect(record.script).toBe('a7-ios12');
    expect(record.label).toBe('idevicerestore');
    expect(record.finalStatusAcknowledged).toBe(true);
    expect(record.bytesStreamed).toBe(A7_SPEC.osBytes);
    expect(record.dataRequests.every((r) => r.rejected === null && r.answered)).toBe(true);
    expect(record.dataRequests.find((r) => r.dataType === 'NORData')?.digests).toHaveProperty('iBoot');
    expect(record.asr?.digestMatches).toBe(true);

    // A fresh phone: setup assistant, no passcode, not activated, no pairing, nothing on it, the new iOS.
    expect(b.phone.lockdownValue(undefined, 'ActivationState')).toBe('Unactivated');
    expect(b.phone.lockdownValue('com.apple.purplebuddy', 'SetupDone')).toBe(false);
    expect(b.phone.lockdownValue(undefined, 'PasswordProtected')).toBe(false);
    expect(b.phone.lockdownValue(undefined, 'ProductVersion')).toBe('12.5.7');
    expect(b.phone.pairedHostIds()).toEqual([]);
    expect(virtualFilesystemOf(b.phone).fileCount).toBe(0);
    // On usbmuxd: the restore-mode phone arrived, left when it rebooted, and came back running the new iOS.
    expect(visibility).toEqual([true, false, true]);
    expect(await b.usbmux.listDevices()).toHaveLength(1);
  });

  it('keeps the user data, passcode and pairing after an update', async () => {
    const b = await bench();
    const before = await virtualFilesystemOf(b.phone).digest();
    const { deviceId, ticket, identity } = await bootToRestoreMode(b, 'Update');
    const run = await runScriptedHost(b, { deviceId, ticket, identity, behavior: 'Update' });
    expect(run.status).toBe(0);
    expect(run.progress).not.toContain(11);
    await waitForMode(b.phone, 'normal');
    expect(b.phone.restores.at(-1)?.behavior).toBe('Update');
    expect(b.phone.lockdownValue(undefined, 'ActivationState')).toBe('Activated');
    expect(b.phone.lockdownValue(undefined, 'PasswordProtected')).toBe(true);
    expect(b.phone.pairedHostIds()).toHaveLength(1);
    expect(await virtualFilesystemOf(b.phone).digest()).toBe(before);
    expect(b.phone.lockdownValue(undefined, 'ProductVersion')).toBe('12.5.7');
  });
});

describe('the virtual phone restores like an A12 on iOS 18', () => {
  it('sends the checkpoint stream and the modern requests (identity, receipt, sealed volume, streamed kernel) and finishes', async () => {
    const b = await bench(A12_SPEC, 'iPhone11,2');
    const { deviceId, ticket, identity } = await bootToRestoreMode(b, 'Erase');
    const run = await runScriptedHost(b, { deviceId, ticket, identity, behavior: 'Erase' });
    expect(run.status).toBe(0);
    expect(run.dataTypes).toEqual([
      'RootTicket',
      'BuildIdentityDict',
      'ReceiptManifest',
      'SystemImageRootHash',
      'SystemImageCanonicalMetadata',
      'SystemImageData',
      'PersonalizedBootObjectV3',
      'DeviceTree',
      'NORData',
      'FirmwareUpdaterPreflight',
      'FirmwareUpdaterData',
      'FirmwareUpdaterData',
      'BasebandData',
      'BasebandData',
      'FDRTrustData',
    ]);
    expect(run.checkpoints.slice(0, 5)).toEqual([
      'is_host_compatible',
      'set_weight_from_options',
      'libauthinstall_callback',
      'device_has_hoover',
      'update_ticket',
    ]);
    expect(run.progress).toContain(58);
    expect(run.progress).toContain(77);
    const record = b.phone.restores.at(-1)!;
    expect(record.script).toBe('a12-ios17');
    expect(record.asr?.chunksVerified).toBeGreaterThan(0);
    expect(record.asr?.initiates).toBe(2);
    expect(record.dataRequests.find((r) => r.dataType === 'PersonalizedBootObjectV3')?.digests).toHaveProperty('KernelCache');
    await waitForMode(b.phone, 'normal');
    expect(b.phone.lockdownValue(undefined, 'ProductVersion')).toBe('18.7.10');
  });
});
