/** Problems of restoring a phone: finding it, the person's confirmation, the boot chain, the restore itself, and the command line's choices. */
import { APPLE_HELP, entry } from './problem-entry';

const DFU_AGAIN = 'Put the phone back into DFU mode and start again.';

export const RESTORE_PROBLEMS = {
  'restore-no-phone': entry<{ wanted?: string } | void>({
    title: (params) =>
      params?.wanted !== undefined ? 'That phone is not connected in a mode Lifeline can restore from' : 'No phone to restore',
    detail: (params) =>
      params?.wanted !== undefined
        ? `No phone in DFU or recovery mode (or trusted and running iOS) matches ${params.wanted.slice(0, 64)}.`
        : 'Lifeline restores a phone that is in DFU or recovery mode, or one that runs iOS and trusts this computer.',
    nextSteps: [
      'Put the phone into recovery or DFU mode, then try again: `lifeline recovery enter` does it for a phone that starts and trusts this computer; `lifeline dfu-plan --device <model>` (or “Get into recovery / DFU mode” on the phone’s card in the app) shows the timed button steps.',
      'Run `lifeline dfu-info --json` or `lifeline devices --json` to see the phones Lifeline can restore.',
    ],
    helpUrl: APPLE_HELP.recoveryMode,
  }),
  'restore-not-confirmed': entry<{ choice: 'erase' | 'update' }>({
    title: ({ choice }) =>
      choice === 'erase' ? 'Nothing was erased: the erase was not confirmed' : 'Nothing was changed: the update was not confirmed',
    detail: ({ choice }) =>
      choice === 'erase'
        ? 'An erase deletes everything on the phone, so Lifeline starts one only after you confirm it.'
        : 'Lifeline starts an update only after you confirm it.',
    nextSteps: ['Run the command in a terminal and type what it asks for, or add --yes when you are sure.'],
  }),
  'restore-choice': entry({
    title: 'Choose --erase or --update',
    detail: 'An erase deletes everything on the phone, its passcode too. An update keeps the data, and keeps the passcode.',
    nextSteps: ['Run again with --erase or with --update (or with --until ramdisk to stop at the restore system).'],
  }),
  'restore-no-update': entry<{ version: string }>({
    title: 'This firmware cannot update the phone, only erase it',
    detail: ({ version }) =>
      `iOS ${version.slice(0, 32)} has no update for this phone’s board, so keeping the data is not possible with it. Nothing was changed.`,
    nextSteps: ['Let Lifeline choose the firmware (leave out --ipsw), or choose an erase if you accept losing the data.'],
  }),
  'restore-disconnected': entry<{ stage: string }>({
    title: 'The phone disconnected during the restore',
    detail: ({ stage }) => `The connection to the phone ended while it was being restored (stage: ${stage}).`,
    nextSteps: [
      'Use an Apple USB cable, plugged straight into the computer (no hub).',
      'Keep the phone plugged in until Lifeline says the restore is finished.',
    ],
    helpUrl: APPLE_HELP.restoreErrors,
  }),
  'restore-phone-crashed': entry<{ stage: string }>({
    title: 'The phone’s restore system stopped unexpectedly',
    detail: ({ stage }) => `The restore system on the phone crashed (stage: ${stage}).`,
    nextSteps: ['Restores that stop like this often go through on another try.'],
    helpUrl: APPLE_HELP.restoreErrors,
  }),
  'restore-data': entry<{ stage: string }>({
    title: 'Lifeline could not give the phone what it asked for',
    detail: ({ stage }) => `The phone asked for part of the firmware that Lifeline could not provide (stage: ${stage}).`,
    nextSteps: ['Let Lifeline download the firmware afresh (leave out --ipsw).'],
  }),
  'restore-which-phone': entry<{ wanted?: string } | void>({
    title: (params) => (params?.wanted !== undefined ? 'More than one phone matches' : 'More than one phone is in DFU or recovery mode'),
    detail: (params) =>
      params?.wanted !== undefined
        ? `Several phones match ${params.wanted.slice(0, 64)}.`
        : 'Say which one with its ECID (lifeline dfu-info --show-ecid lists them).',
    nextSteps: ['Run again with --phone and the phoneId `lifeline dfu-info --json` prints, or with --ecid.'],
  }),
  'restore-until': entry<{ until: string }>({
    title: 'Only --until ramdisk is available',
    detail: ({ until }) => `"${until.slice(0, 32)}" is not a stage Lifeline can stop at yet.`,
    nextSteps: ['Run with --until ramdisk, or without --until and with --erase or --update for the complete restore.'],
  }),
  'restore-firmware-choice': entry({
    title: 'Choose --ipsw or --latest, not both',
    detail: 'Both were given.',
    nextSteps: ['Leave one out.'],
  }),
  'restore-phone-choice': entry({
    title: 'Choose --phone or --ecid, not both',
    detail: 'Both were given.',
    nextSteps: ['Leave one out.'],
  }),
  // The boot chain's failures (main/restore/boot-chain-error.ts), one entry per BootChainErrorCode; `stage` is where it stopped.
  'restore-wrong-firmware': entry<{ stage: string }>({
    title: 'This firmware is for a different iPhone',
    detail: ({ stage }) => `The firmware does not fit this phone (stage: ${stage}).`,
    nextSteps: ['Use the firmware Lifeline suggests for this phone (leave out --ipsw).'],
  }),
  'restore-not-signed': entry<{ stage: string }>({
    title: 'Apple does not sign this firmware for this phone',
    detail: ({ stage }) => `Apple’s signing server would not sign this iOS version for this phone (stage: ${stage}).`,
    nextSteps: [
      'Use the newest iOS version for this phone: Apple only signs current versions.',
      'If this is the newest version, try again later.',
    ],
    helpUrl: APPLE_HELP.restoreErrors,
  }),
  'restore-signing-server': entry<{ stage: string }>({
    title: 'Apple’s signing server could not be used',
    detail: ({ stage }) => `Lifeline could not get an answer from Apple’s signing server (stage: ${stage}).`,
    nextSteps: ['Check the internet connection, then try again.'],
    helpUrl: APPLE_HELP.restoreErrors,
  }),
  'restore-nonce-changed': entry<{ stage: string }>({
    title: 'The phone changed its boot nonce and no new signature could be had',
    detail: ({ stage }) => `The signature Lifeline had no longer fits the phone (stage: ${stage}).`,
    nextSteps: [DFU_AGAIN],
  }),
  'restore-image-rejected': entry<{ stage: string }>({
    title: 'The phone refused a boot image',
    detail: ({ stage }) => `The phone did not accept what Lifeline sent it (stage: ${stage}).`,
    nextSteps: [DFU_AGAIN, 'If it happens again, let Lifeline download the firmware afresh.'],
  }),
  'restore-did-not-reenumerate': entry<{ stage: string }>({
    title: 'The phone did not restart into the next boot stage',
    detail: ({ stage }) => `The phone did not come back on USB when it should have (stage: ${stage}).`,
    nextSteps: ['Unplug the phone, put it back into DFU mode and start again.', 'Use a different cable or USB port if it keeps happening.'],
  }),
  'restore-restore-mode-missing': entry<{ stage: string }>({
    title: 'The phone did not show up in restore mode',
    detail: ({ stage }) => `The restore system did not start on the phone, or this computer cannot see it (stage: ${stage}).`,
    nextSteps: ['Keep the phone plugged in. If the screen stays black, put it into DFU mode and start again.'],
  }),
  'restore-usb': entry<{ stage: string }>({
    title: 'The phone stopped answering over USB',
    detail: ({ stage }) => `A USB transfer to the phone failed (stage: ${stage}).`,
    nextSteps: ['Check the cable and try again.'],
  }),
};
