/**
 * Lifeline's restore-mode session against the virtual phone's restored, end to end: an A7 iPhone 5s on iOS 12 is walked
 * from DFU to the restore ramdisk by the boot chain, then erased (or updated) by the product's restored client with
 * data from the synthetic IPSW — the phone checks every answer, the OS image arrives over ASR, the baseband firmware
 * is signed by the practice signing server, and the phone's final status is acknowledged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RestoreBehavior } from '../../main/ipsw/build-manifest';
import { problemForRestoredError } from '../../main/restore/restored-problem';
import { RestoredError } from '../../main/restored/restored-error';
import type { RestoreFaults } from '../../main/sim/faults';
import { A7_RESTORE_SPEC, restoreA7WithLifeline } from './lifeline-a7-restore';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function restoreA7(behavior: RestoreBehavior, faults: RestoreFaults = {}) {
  return restoreA7WithLifeline({ behavior, faults, cleanups });
}

describe('restored: Lifeline against the virtual phone', () => {
  it('erases an A7 iPhone on iOS 12 from restore mode to the acknowledged final status', async () => {
    const { result, progress, record, hadBaseband } = await restoreA7('Erase');

    expect(result).toMatchObject({ outcome: 'restored', hardwareInfo: { ChipID: 0x8960, BoardID: 2 } });
    expect(hadBaseband).toBe(true);
    expect(record).toMatchObject({
      label: 'lifeline',
      behavior: 'Erase',
      status: { code: 0 },
      finalStatusAcknowledged: true,
      outcome: 'finished',
    });
    // Identification by the boot chain first, then the session's own conversation.
    expect(record.requests.slice(-4)).toEqual(['QueryType', 'QueryValue HardwareInfo', 'QueryValue SavedDebugInfo', 'StartRestore']);
    expect(record.dataRequests.length).toBeGreaterThan(0);
    expect(record.dataRequests.filter((request) => !request.answered || request.rejected !== null)).toEqual([]);
    expect(record.dataRequests.map((request) => request.dataType)).toEqual(
      expect.arrayContaining(['RootTicket', 'SystemImageData', 'KernelCache', 'NORData', 'BasebandData']),
    );
    expect(record.asr).toMatchObject({ outcome: 'received', digestMatches: true, bytesReceived: A7_RESTORE_SPEC.osBytes });
    const fractions = progress.map((p) => p.fraction);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(fractions.at(-1)).toBe(1);
  });

  it('updates the same phone with the Update identity, and the phone knows it was an update', async () => {
    const { result, record } = await restoreA7('Update');
    expect(result?.outcome).toBe('restored');
    expect(record).toMatchObject({ behavior: 'Update', outcome: 'finished', finalStatusAcknowledged: true });
    expect(record.dataRequests.filter((request) => request.rejected !== null)).toEqual([]);
  });

  it('reports the phone’s failing status with its number and log, as Apple’s restore error', async () => {
    const { result, error, record } = await restoreA7('Erase', { status: { code: 14, at: 'NORData', log: 'flash NOR failed' } });
    expect(result).toBeNull();
    expect(error).toBeInstanceOf(RestoredError);
    expect(error).toMatchObject({ kind: 'status', status: 14, log: 'flash NOR failed' });
    expect(problemForRestoredError(error)?.code).toBe('restore-error-14');
    expect(record).toMatchObject({ outcome: 'failed', status: { code: 14 } });
  });

  it('reports a restored crash with its backtrace when the phone drops the connection', async () => {
    const { error, record } = await restoreA7('Erase', { crashAt: 'KernelCache' });
    expect(error).toMatchObject({ kind: 'crashed' });
    expect((error as RestoredError).log).not.toBe('');
    expect(record.outcome).toBe('crashed');
  });
});
