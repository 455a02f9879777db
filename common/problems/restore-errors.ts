/**
 * The error numbers Finder, iTunes and Apple Devices show when a restore fails, which people search for. Lifeline's
 * restore engine reports the same numbers (restored's status, docs/protocols/restore-errors.md#error-numbers) through
 * `problemForRestoreError`. Numbers that mean the same thing to people share one kind of advice.
 */
import { APPLE_HELP, entry, type ProblemEntry } from './problem-entry';

type RestoreErrorKind =
  | 'disconnected'
  | 'usb'
  | 'apple-servers'
  | 'security-software'
  | 'hardware'
  | 'storage'
  | 'firmware-check'
  | 'touch-id'
  | 'baseband'
  | 'passcode'
  | 'too-new'
  | 'unexplained';

const CABLE = 'Use an Apple USB cable, plugged straight into the computer (no hub), in another USB port.';
const DFU_RETRY = 'Put the phone into DFU mode and start the restore again.';
const OTHER_COMPUTER = 'If it keeps happening with another cable and another computer, the phone may need repair: contact Apple Support.';

const KINDS: Record<RestoreErrorKind, { title: string; detail: string; nextSteps: readonly string[] }> = {
  disconnected: {
    title: 'The phone stopped talking to the computer during the restore',
    detail:
      'The phone disconnected or stopped answering while it was being restored. A worn cable, a loose port or a hub is the usual cause; sometimes it is the phone’s hardware.',
    nextSteps: [CABLE, 'Restart this computer.', DFU_RETRY, OTHER_COMPUTER],
  },
  usb: {
    title: 'The USB connection to the phone failed during the restore',
    detail: 'Data between this computer and the phone did not get through.',
    nextSteps: [CABLE, DFU_RETRY, 'If it keeps happening, try another computer.'],
  },
  'apple-servers': {
    title: 'Apple’s servers did not allow this restore',
    detail:
      'The restore needs Apple’s signing server to approve this iOS version for this phone. The server could not be reached, or it refused: Apple only approves current iOS versions.',
    nextSteps: [
      'Check the internet connection, and that no VPN, proxy or security software blocks gs.apple.com.',
      'Restore the newest iOS for this phone (let Lifeline choose the firmware).',
      'Try again later.',
    ],
  },
  'security-software': {
    title: 'Something on this computer blocked the restore',
    detail: 'Security software or network settings on this computer kept the restore from reaching Apple’s servers.',
    nextSteps: ['Turn off VPNs and check that security software lets Lifeline reach apple.com.', 'Then start the restore again.'],
  },
  hardware: {
    title: 'The restore stopped in a way that can mean a hardware problem',
    detail:
      'Apple lists this error among those that can come from the phone’s hardware. It is worth one more try before thinking of repair.',
    nextSteps: [CABLE, DFU_RETRY, OTHER_COMPUTER],
  },
  storage: {
    title: 'The phone’s storage failed during the restore',
    detail: 'The phone could not prepare or write its storage while iOS was being installed.',
    nextSteps: [DFU_RETRY, OTHER_COMPUTER],
  },
  'firmware-check': {
    title: 'The restore failed while the firmware was checked or installed',
    detail: 'The phone stopped the restore. A damaged firmware file or a bad connection is the usual cause.',
    nextSteps: ['Let Lifeline download the firmware afresh.', CABLE, DFU_RETRY],
  },
  'touch-id': {
    title: 'The phone failed its Touch ID or factory data check',
    detail:
      'During the restore the phone checks that its Touch ID sensor and other parts are the ones it was built with. That check failed, often after a screen or button repair.',
    nextSteps: [
      'Make sure the phone’s own software is current, then try once more.',
      'If it fails again, contact Apple Support: this needs a repair centre.',
    ],
  },
  baseband: {
    title: 'The phone’s modem could not be restored',
    detail:
      'The cellular modem firmware could not be installed. This usually happens when restoring an older iOS version than the phone last ran.',
    nextSteps: ['Restore the newest iOS for this phone (let Lifeline choose the firmware).', DFU_RETRY],
  },
  passcode: {
    title: 'The phone is locked with its passcode',
    detail: 'An update that keeps the phone’s data needs the phone unlocked first.',
    nextSteps: [
      'Unlock the phone, then try the update again.',
      'If you do not know the passcode, only a restore that erases the phone is possible.',
    ],
  },
  'too-new': {
    title: 'This computer’s software is too old for the phone',
    detail: 'The phone runs a newer iOS than the software on this computer knows how to restore.',
    nextSteps: ['Update Lifeline and this computer’s system software, then try again.', DFU_RETRY],
  },
  unexplained: {
    title: 'The restore stopped with an error Apple does not explain',
    detail: 'Apple does not say what this number means. Restores that stop like this often go through on another try.',
    nextSteps: [CABLE, DFU_RETRY, OTHER_COMPUTER],
  },
};

/** Error number → what it means to people (Apple's support article; restored's status for the numbers it sends). */
const NUMBERS = {
  1: 'hardware',
  2: 'security-software',
  3: 'hardware',
  4: 'security-software',
  6: 'storage',
  9: 'disconnected',
  10: 'too-new',
  14: 'firmware-check',
  17: 'apple-servers',
  20: 'hardware',
  21: 'hardware',
  27: 'storage',
  40: 'hardware',
  45: 'unexplained',
  53: 'touch-id',
  1013: 'apple-servers',
  1015: 'baseband',
  1100: 'unexplained',
  1110: 'unexplained',
  1667: 'hardware',
  1669: 'hardware',
  2001: 'usb',
  2002: 'usb',
  2005: 'usb',
  2009: 'usb',
  3004: 'apple-servers',
  3013: 'apple-servers',
  3014: 'apple-servers',
  3194: 'apple-servers',
  3503: 'apple-servers',
  4005: 'disconnected',
  4013: 'disconnected',
  4014: 'disconnected',
  4037: 'passcode',
} as const satisfies Record<number, RestoreErrorKind>;

export type RestoreErrorNumber = keyof typeof NUMBERS;
export type RestoreErrorCode = `restore-error-${RestoreErrorNumber}`;

export const RESTORE_ERROR_NUMBERS: readonly RestoreErrorNumber[] = Object.keys(NUMBERS).map(Number) as RestoreErrorNumber[];

export function isRestoreErrorNumber(value: number): value is RestoreErrorNumber {
  return Object.hasOwn(NUMBERS, value);
}

function restoreErrorEntry(number: RestoreErrorNumber): ProblemEntry {
  const kind = KINDS[NUMBERS[number]];
  return entry({
    title: `${kind.title} (error ${number})`,
    detail: kind.detail,
    nextSteps: kind.nextSteps,
    helpUrl: APPLE_HELP.restoreErrors,
  });
}

export const RESTORE_ERROR_PROBLEMS = {
  ...(Object.fromEntries(RESTORE_ERROR_NUMBERS.map((number) => [`restore-error-${number}`, restoreErrorEntry(number)])) as Record<
    RestoreErrorCode,
    ProblemEntry
  >),
  'restore-error-unknown': entry<{ number: number }>({
    title: ({ number }) => `The restore stopped with error ${number}`,
    detail: KINDS.unexplained.detail,
    nextSteps: KINDS.unexplained.nextSteps,
    helpUrl: APPLE_HELP.restoreErrors,
  }),
};
