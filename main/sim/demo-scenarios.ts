import type { ScenarioInput } from './scenario';

/**
 * The phones of practice mode (`--demo`): one that can still be backed up, one that can't, one stuck in
 * recovery. Small virtual filesystems keep a practice backup quick.
 */
export function demoScenarios(timeFactor = 1): ScenarioInput[] {
  // 343 generated files + 48 photos, 6 videos and the Messages, Contacts and Notes databases: 400 files, about 25 MB.
  const filesystem = {
    seed: 'practice',
    fileCount: 343,
    totalBytes: 11 * 1024 * 1024,
    personal: { photos: 48, videos: 6, messages: 1200, contacts: 85, notes: 14 },
  };
  return [
    {
      seed: 'practice-5s',
      model: { productType: 'iPhone6,1' },
      ios: '12.5.8',
      deviceName: 'Practice iPhone 5s',
      trusted: true,
      passcodeSet: true,
      locked: true,
      filesystem,
      timeFactor,
    },
    {
      seed: 'practice-12',
      model: { productType: 'iPhone13,2' },
      ios: '17.5.1',
      deviceName: 'Practice iPhone 12',
      trusted: false,
      passcodeSet: true,
      locked: true,
      filesystem,
      timeFactor,
    },
    {
      seed: 'practice-7',
      model: { productType: 'iPhone9,3' },
      ios: '15.8.8',
      deviceName: 'Practice iPhone 7',
      mode: 'recovery',
      filesystem,
      timeFactor,
    },
  ];
}
