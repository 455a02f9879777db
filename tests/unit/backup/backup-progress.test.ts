import { describe, expect, it } from 'vitest';
import type { Progress } from '../../../common/api';
import { BackupProgress } from '../../../main/backup/backup-progress';

describe('BackupProgress', () => {
  it('reports phase, fraction, bytes, files, a smoothed speed and an ETA while receiving', () => {
    let now = 0;
    const seen: Omit<Progress, 'job'>[] = [];
    const progress = new BackupProgress(
      (p) => seen.push(p),
      () => now,
    );
    progress.setPhase('receiving');
    progress.devicePercent(0, 10_000_000);
    for (let i = 0; i < 20; i++) {
      now += 300;
      progress.setFiles(i + 1);
      progress.addBytes(300_000); // 1 MB/s
    }
    const last = seen.at(-1)!;
    expect(last.phase).toBe('receiving');
    expect(last.bytesDone).toBe(6_000_000);
    expect(last.bytesTotal).toBe(10_000_000);
    expect(last.fraction).toBeCloseTo(0.6);
    expect(last.filesDone).toBe(20);
    expect(last.bytesPerSecond).toBeGreaterThan(900_000);
    expect(last.bytesPerSecond).toBeLessThan(1_100_000);
    expect(last.etaSeconds).toBeGreaterThan(3.5);
    expect(last.etaSeconds).toBeLessThan(4.5);
  });

  it('publishes phase changes at once but rate-limits byte updates', () => {
    const seen: Omit<Progress, 'job'>[] = [];
    const progress = new BackupProgress(
      (p) => seen.push(p),
      () => 1000,
    );
    progress.setPhase('passcode');
    expect(seen.at(-1)?.message).toBe('Enter the passcode on the phone to allow the backup');
    progress.setPhase('receiving');
    const before = seen.length;
    for (let i = 0; i < 100; i++) progress.addBytes(1);
    expect(seen.length).toBe(before);
  });

  it('uses the phone’s percentage when it announced no total', () => {
    const seen: Omit<Progress, 'job'>[] = [];
    let now = 0;
    const progress = new BackupProgress(
      (p) => seen.push(p),
      () => (now += 200),
    );
    progress.setPhase('receiving');
    progress.devicePercent(42, undefined);
    expect(seen.at(-1)?.fraction).toBeCloseTo(0.42);
  });
});
