/**
 * The cable pulled at each stage of a complete restore (the virtual phone's fault hooks), and a restore the phone
 * itself stops: the job fails with a Problem that says where the phone is, the phone is in recovery mode once plugged
 * back in, and the same request run again completes the restore — the phone then starts as a new phone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RestoreStartRequest } from '../../common/api';
import type { RestoreStage } from '../../main/sim/faults';
import { virtualFilesystemOf } from '../../main/sim/services';
import { waitForMode } from './sim-restore-host';
import { phoneIn, restoreThroughEngine, startRestorePractice, type RestorePractice } from './restore-practice';

const practices: RestorePractice[] = [];
afterEach(async () => {
  for (const practice of practices.splice(0)) await practice.close();
});

async function dfuPhone(): Promise<{ practice: RestorePractice; request: RestoreStartRequest }> {
  const practice = await startRestorePractice({
    model: { productType: 'iPhone6,1' },
    mode: 'dfu',
    ecid: '0x000A1B2C3D4E5F62',
    filesystem: { fileCount: 12, totalBytes: 100_000 },
  });
  practices.push(practice);
  const phone = await phoneIn(practice.api, 'dfu');
  return { practice, request: { choice: 'erase', confirmed: true, phoneId: phone.id } };
}

/** The same request again, from wherever the phone is now: it completes, and the phone starts as a new phone. */
async function againCompletes({ api, phone }: RestorePractice, request: RestoreStartRequest): Promise<void> {
  const again = await restoreThroughEngine(api, request);
  expect(again.problem).toBeNull();
  expect(again.result).toMatchObject({ choice: 'erase', phoneMode: 'normal' });
  expect(phone.restores.at(-1)).toMatchObject({ outcome: 'finished', finalStatusAcknowledged: true });
  expect(phone.scenario).toMatchObject({ activated: false, setupDone: false, passcodeSet: false });
  expect(virtualFilesystemOf(phone).fileCount).toBe(0);
}

describe('a restore whose cable is pulled', () => {
  it.each<RestoreStage>(['boot-chain', 'ramdisk', 'asr', 'baseband'])(
    'at %s: fails saying the phone is not seen and to run the restore again once it is plugged in; it is in recovery then, and the same restore completes',
    async (stage) => {
      const { practice, request } = await dfuPhone();
      practice.phone.faults.set({ restore: { unplugAt: stage } });
      const ending = await restoreThroughEngine(practice.api, request);
      expect(ending.state).toBe('failed');
      expect(ending.problem?.detail).toContain('Lifeline cannot see the phone now');
      expect(ending.problem?.nextSteps[0]).toMatch(/^Plug the phone back in.*run the same restore again/);
      expect(practice.phone.hardware.plugged).toBe(false);
      await waitForMode(practice.phone, 'recovery');
      practice.phone.faults.set({ restore: {} });
      practice.phone.hardware.plug();
      await phoneIn(practice.api, 'recovery', request.phoneId);
      await againCompletes(practice, request);
    },
    120_000,
  );

  it('after the final status: the restore succeeded; the phone is not seen until it is plugged in, then runs the new iOS as a new phone', async () => {
    const { practice, request } = await dfuPhone();
    practice.phone.faults.set({ restore: { unplugAt: 'final-reboot' } });
    const ending = await restoreThroughEngine(practice.api, request);
    expect(ending.problem).toBeNull();
    expect(ending.result).toMatchObject({ choice: 'erase', phoneMode: null });
    practice.phone.hardware.plug();
    const back = await phoneIn(practice.api, 'normal', request.phoneId);
    expect(back).toMatchObject({ id: request.phoneId, iosVersion: '12.5.8', trusted: false });
    expect(practice.phone.scenario).toMatchObject({ activated: false, setupDone: false });
  }, 120_000);
});

describe('a restore the phone stops', () => {
  it('with StatusMsg 27: the Problem carries Apple’s number and says the phone is in recovery mode; the same restore then completes', async () => {
    const { practice, request } = await dfuPhone();
    practice.phone.faults.set({ restore: { status: { code: 27, at: 'KernelCache', log: 'mount_filesystems failed' } } });
    const ending = await restoreThroughEngine(practice.api, request);
    expect(ending.problem).toMatchObject({ code: 'restore-error-27' });
    expect(ending.problem?.title).toContain('error 27');
    expect(ending.problem?.detail).toContain('The phone is in recovery mode now');
    expect(ending.problem?.nextSteps[0]).toContain('run the same restore again');
    practice.phone.faults.set({ restore: {} });
    await againCompletes(practice, request);
  }, 120_000);

  it('when its ASR connection drops: status 14 and the phone in recovery mode; the same restore then completes', async () => {
    const { practice, request } = await dfuPhone();
    practice.phone.faults.set({ restore: { asrDisconnectAtBytes: 131072 } });
    const ending = await restoreThroughEngine(practice.api, request);
    expect(ending.problem).toMatchObject({ code: 'restore-error-14' });
    expect(ending.problem?.detail).toContain('The phone is in recovery mode now');
    practice.phone.faults.set({ restore: {} });
    await againCompletes(practice, request);
  }, 120_000);
});
