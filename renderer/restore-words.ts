import type { RestoreChoice, RestoreResult, RestoreRunStage } from '../common/api';

/** What each choice costs, in plain words (shown before anything is confirmed). */
export const RESTORE_CHOICES: Readonly<Record<RestoreChoice, { title: string; costs: readonly string[] }>> = {
  erase: {
    title: 'Erase and restore',
    costs: [
      'Deletes everything on the phone: photos, messages, apps, settings — and the passcode.',
      'This is the way back in when the passcode is forgotten.',
      'After the erase, Activation Lock asks for the Apple ID and password that were on the phone. Have them ready.',
    ],
  },
  update: {
    title: 'Update',
    costs: [
      'Installs iOS and keeps the data on the phone.',
      'It does not remove a forgotten passcode: the phone asks for the same passcode afterwards. Only an erase helps then.',
    ],
  },
};

/** The stages as the Restore screen lists them. */
export const RESTORE_STAGE_NAMES: Readonly<Record<RestoreRunStage, string>> = {
  firmware: 'Get iOS and check it',
  recovery: 'Restart into recovery mode',
  'boot-chain': 'Start the restore system',
  ramdisk: 'Restore system running',
  preparing: 'Prepare the phone’s storage',
  installing: 'Install iOS',
  verifying: 'Verify iOS',
  flashing: 'Update the phone’s firmware',
  baseband: 'Update the modem',
  finishing: 'Finish',
  reboot: 'Restart with the new iOS',
};

/** Until the phone is sent its first boot image, stopping changes nothing on it. */
export function restoreCancellable(stage: RestoreRunStage | null): boolean {
  return stage === null || stage === 'firmware' || stage === 'recovery';
}

/** What happens next on the phone after a restore that succeeded. */
export function nextOnThePhone(result: RestoreResult): string[] {
  const steps: string[] = [];
  if (result.phoneMode !== 'normal')
    steps.push('Lifeline did not see the phone start again. Plug it in if it is not: it starts with the new iOS.');
  if (result.choice === 'erase') {
    steps.push('The phone starts with the setup assistant (“Hello”), like a new phone.');
    steps.push('Activation Lock asks for the Apple ID and password that were on the phone before.');
    steps.push('After setting it up you can put a backup back onto it.');
  } else {
    steps.push('The phone starts with its data as before, and asks for its passcode as before.');
  }
  return steps;
}
