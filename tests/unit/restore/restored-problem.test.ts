import { describe, expect, it } from 'vitest';
import { problemForRestoredError } from '../../../main/restore/restored-problem';
import { RestoredError } from '../../../main/restored/restored-error';

describe('problemForRestoredError', () => {
  it('gives the phone’s status as Apple’s restore error number', () => {
    expect(problemForRestoredError(new RestoredError('status', 'x', { status: 53 }))?.code).toBe('restore-error-53');
    expect(problemForRestoredError(new RestoredError('status', 'x', { status: 14 }))?.code).toBe('restore-error-14');
  });

  it('keeps numbers the catalog does not know, as a number', () => {
    const problem = problemForRestoredError(new RestoredError('status', 'x', { status: 0xffffffffffffffffn }));
    expect(problem?.code).toBe('restore-error-unknown');
    expect(problem?.problem.title).toContain('-1');
  });

  it('treats a phone that went quiet or away as error 4013, and a refused baseband as 1015', () => {
    expect(problemForRestoredError(new RestoredError('closed', 'x'))?.code).toBe('restore-error-4013');
    expect(problemForRestoredError(new RestoredError('timeout', 'x'))?.code).toBe('restore-error-4013');
    expect(problemForRestoredError(new RestoredError('baseband-rejected', 'x'))?.code).toBe('restore-error-1015');
  });

  it('says the phone is not in restore mode when restored cannot be reached, and leaves our own failures to the caller', () => {
    expect(problemForRestoredError(new RestoredError('not-restore-mode', 'x'))?.code).toBe('restore-restore-mode-missing');
    expect(problemForRestoredError(new RestoredError('data-provider', 'x', { dataType: 'KernelCache' }))).toBeNull();
    expect(problemForRestoredError(new Error('other'))).toBeNull();
  });
});
