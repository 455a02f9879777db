import { describe, expect, it } from 'vitest';
import { DEVICE_MODELS, findModelByChip, findModelByProductType } from '../../../common/device-table';

describe('device table', () => {
  it('finds the exact board by CPID + BDID', () => {
    expect(findModelByChip(0x8960, 0x00)?.name).toBe('iPhone 5s (GSM)');
    expect(findModelByChip(0x8010, 0x0c)?.productType).toBe('iPhone9,3');
    expect(findModelByChip(0x8110, 0x0c)?.name).toBe('iPhone 13 Pro');
    expect(findModelByChip(0x8101, 0x0c)?.name).toBe('iPhone 12');
  });

  it('tells the two A9 boards of one ProductType apart', () => {
    expect(findModelByChip(0x8000, 0x04)?.boardConfig).toBe('n71ap');
    expect(findModelByChip(0x8003, 0x04)?.boardConfig).toBe('n71map');
    expect(findModelByChip(0x8000, 0x02)?.boardConfig).toBe('n69uap');
    expect(findModelByChip(0x8003, 0x02)?.boardConfig).toBe('n69ap');
    expect(findModelByProductType('iPhone8,1', 'N71mAP')?.cpid).toBe(0x8003);
    expect(findModelByProductType('iPhone8,1', 'n71ap')?.cpid).toBe(0x8000);
  });

  it('knows nothing of a chip that is not in the table', () => {
    expect(findModelByChip(0x9999, 0x00)).toBeUndefined();
    expect(findModelByProductType('iPhone99,9')).toBeUndefined();
  });

  it('has a button family for every row and a unique CPID + BDID per board', () => {
    const keys = DEVICE_MODELS.filter((m) => m.bdid !== null).map((m) => `${m.cpid}/${m.bdid}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(DEVICE_MODELS.every((m) => ['home', 'volume-down-side', 'volume-side'].includes(m.buttons))).toBe(true);
  });
});
