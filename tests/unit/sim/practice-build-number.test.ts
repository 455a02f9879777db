import { describe, expect, it } from 'vitest';
import { practiceBuildNumber, practiceIpswSpec } from '../../../main/sim/restore/restore-firmware';

describe('practice build numbers', () => {
  it('start with the build major a host reads (iOS major + 4), then a letter for the minor version', () => {
    expect(practiceBuildNumber('12.5.8', 'iPhone6,1')).toBe('16F61');
    expect(practiceBuildNumber('15.8.8', 'iPhone9,3')).toBe('19I93');
    expect(practiceBuildNumber('27.x (current)', 'iPhone13,2')).toBe('31A132');
    expect(Number.parseInt(practiceIpswSpec('iPhone11,2', 1024)!.build, 10)).toBeGreaterThan(8);
  });
});
