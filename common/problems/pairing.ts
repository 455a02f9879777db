/** Problems of making the phone trust this computer (lockdown Pair, docs/protocols/lockdown.md#host-pairing). */
import { APPLE_HELP, entry } from './problem-entry';

export const PAIRING_PROBLEMS = {
  'pair-denied': entry({
    title: 'The phone said “Don’t Trust”',
    detail: 'The phone was asked to trust this computer and the answer was “Don’t Trust”, so Lifeline cannot talk to it.',
    nextSteps: [
      'Unplug the phone and plug it back in; when it asks “Trust This Computer?”, tap Trust and enter its passcode.',
      'Then try again.',
    ],
    helpUrl: APPLE_HELP.trustComputer,
  }),
  'pair-phone-locked': entry({
    title: 'Unlock the phone so it can trust this computer',
    detail: 'A locked phone cannot show “Trust This Computer?”.',
    nextSteps: ['Unlock the phone, then try again and tap Trust when it asks.'],
    helpUrl: APPLE_HELP.trustComputer,
  }),
  'pair-no-answer': entry<{ waitedSeconds: number }>({
    title: 'The phone did not answer “Trust This Computer?”',
    detail: ({ waitedSeconds }) =>
      `Lifeline waited ${Math.max(1, Math.round(waitedSeconds / 60))} min for Trust to be tapped on the phone.`,
    nextSteps: [
      'Look at the phone: tap Trust and enter its passcode, then try again.',
      'If no question appears, unplug the phone and plug it back in.',
    ],
    helpUrl: APPLE_HELP.trustComputer,
  }),
  'pair-refused': entry({
    title: 'The phone refused to pair with this computer',
    detail: 'The phone answered the request to trust this computer with an error Lifeline cannot fix by itself.',
    nextSteps: ['Unplug the phone, restart it, plug it back in and try again.'],
    helpUrl: APPLE_HELP.trustComputer,
  }),
  'pair-not-saved': entry({
    title: 'The pairing could not be saved on this computer',
    detail:
      'The phone agreed to trust this computer, but the service that keeps pairings (usbmuxd / Apple Mobile Device Service) did not save it.',
    nextSteps: ['Make sure Apple Mobile Device Service (Windows) or usbmuxd (Linux) is running, then try again.'],
  }),
  'restore-phone-not-activated': entry<{ waitedSeconds: number }>({
    title: 'The phone is still in its setup',
    detail: ({ waitedSeconds }) =>
      `A backup can only be put back once the phone is activated and asks for a computer. Lifeline waited ${Math.max(1, Math.round(waitedSeconds / 60))} min.`,
    nextSteps: [
      'On the phone: follow the setup until “Transfer Your Apps & Data” (or “Apps & Data”) and choose “From Mac or PC”.',
      'If Find My was on, Activation Lock asks for the Apple ID and password that were on the phone.',
      'Then try again.',
    ],
    helpUrl: APPLE_HELP.activationLock,
  }),
};
