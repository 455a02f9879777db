/** Problems of the rescue journey itself (docs/journey.md): saved journeys, actions that do not fit, a phone that left recovery. */
import { entry } from './problem-entry';

export const JOURNEY_PROBLEMS = {
  'journey-no-phone': entry({
    title: 'Lifeline does not see that phone',
    detail: 'There is no phone with that id, and no saved journey for it.',
    nextSteps: ['Plug the phone in and wait until Lifeline names it.', '`lifeline devices` lists the phones it sees.'],
  }),
  'journey-which-phone': entry({
    title: 'Which phone?',
    detail: 'Several phones are connected, and the rescue takes one at a time in the terminal.',
    nextSteps: ['Name one with --phone: `lifeline devices` lists them.'],
  }),
  'journey-needs-person': entry({
    title: 'The rescue needs an answer',
    detail: 'The next step asks a question only a person can answer, and there is no terminal to ask in.',
    nextSteps: ['Run `lifeline rescue` in a terminal: it continues where it stopped.', 'Or let it choose the suggested answer with --yes.'],
  }),
  'journey-not-identified': entry({
    title: 'Still getting to know this phone',
    detail: 'The journey starts once Lifeline knows exactly which phone this is.',
    nextSteps: ['Wait a few seconds; unlock the phone and tap Trust if it asks.'],
  }),
  'journey-action-not-now': entry<{ action: string; state: string }>({
    title: 'That step is not available now',
    detail: ({ action, state }) => `“${action.slice(0, 40)}” does not fit where the journey is (${state.slice(0, 40)}).`,
    nextSteps: ['Use one of the actions the screen shows.'],
  }),
  'journey-confirmation-mismatch': entry<{ phrase: string }>({
    title: 'The erase was not confirmed',
    detail: ({ phrase }) => `To erase the phone, type the word “${phrase}” exactly.`,
    nextSteps: ({ phrase }) => [`Type ${phrase} and confirm again, or go back.`],
  }),
  'journey-wrong-password': entry({
    title: 'That password does not open the backup',
    detail: 'An encrypted backup opens only with the password that was set when it was made.',
    nextSteps: ['Try again: it is case-sensitive.', 'Or choose another backup, or continue without one.'],
  }),
  'journey-password-needed': entry({
    title: 'The backup’s password is needed again',
    detail: 'Lifeline never saves backup passwords, so after a restart it has to ask once more.',
    nextSteps: ['Type the backup’s password to put your data back.'],
  }),
  'journey-left-recovery': entry({
    title: 'The phone left recovery mode',
    detail: 'A phone leaves recovery mode by itself after about 15 minutes; the restore had not started yet.',
    nextSteps: ['Put the phone back into recovery mode: Lifeline shows you how.'],
  }),
  'journey-phone-missing': entry<{ waitedSeconds: number }>({
    title: 'The phone is not connected',
    detail: ({ waitedSeconds }) => `Lifeline waited ${waitedSeconds} seconds for the phone to come back.`,
    nextSteps: ['Plug the phone in again (a cable straight into the computer works best), then try again.'],
  }),
  'journey-save-set-aside': entry<{ file: string; reason: string }>({
    title: 'A saved journey could not be read',
    detail: ({ file, reason }) =>
      `${file.slice(0, 80)}: ${reason.slice(0, 200)}. It was set aside (renamed .corrupt) and the journey starts again from the beginning.`,
    nextSteps: ['Nothing on the phone or in your backups was touched. Follow the steps again.'],
  }),
} as const;
