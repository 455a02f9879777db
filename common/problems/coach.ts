/** Problems of the coach and of the software shortcuts into and out of recovery mode. */
import { APPLE_HELP, entry } from './problem-entry';

const USE_BUTTONS = 'Use the buttons instead: the coach shows you how, step by step.';

export const COACH_PROBLEMS = {
  'coach-unavailable': entry({
    title: 'The coach is not available here',
    detail: 'This Lifeline was started without USB access.',
    nextSteps: ['Restart Lifeline.'],
  }),
  'unknown-model': entry<{ productType: string }>({
    title: 'Lifeline does not know that model',
    detail: ({ productType }) => `No device called “${productType.slice(0, 32)}” in Lifeline's table.`,
    nextSteps: ['Use the ProductType, e.g. iPhone10,1 — `lifeline devices` shows it for a connected phone.'],
  }),
  'model-unknown': entry<{ modelName: string }>({
    title: 'Lifeline does not know this model’s buttons yet',
    detail: ({ modelName }) => `${modelName}: without the exact model the coach could show the wrong buttons.`,
    nextSteps: ['Wait for the phone to be identified, or pick your model with `lifeline dfu-plan --device`.'],
  }),
  identifying: entry({
    title: 'Still getting to know this phone',
    detail: 'Lifeline is still reading which phone this is.',
    nextSteps: ['Wait a few seconds and start again.'],
  }),
  'already-dfu': entry({
    title: 'The phone is already in DFU mode',
    detail: 'Nothing to do: a black screen is normal in DFU mode.',
    nextSteps: ['Go ahead with the restore, or force-restart the phone to leave DFU mode.'],
    helpUrl: APPLE_HELP.forceRestart,
  }),
  'needs-recovery': entry<{ trusted: boolean }>({
    title: 'Put the phone into recovery mode first',
    detail: 'The assisted way needs the phone in recovery mode, so Lifeline can restart it at the right moment.',
    nextSteps: ({ trusted }) =>
      trusted
        ? ['Click "Put into recovery mode" — Lifeline can do it for you.']
        : ['Use the coach for recovery mode first, or choose the manual DFU steps.'],
    helpUrl: APPLE_HELP.recoveryMode,
  }),
  'attempt-running': entry({
    title: 'A try is already running for this phone',
    detail: 'Finish or stop it first.',
    nextSteps: ['Wait for the running try to end, or stop it.'],
  }),
  /** `connected`: the phones Lifeline does see, as people name them ("iPhone 8 […3F2A1C]"). */
  'phone-not-connected': entry<{ connected: readonly string[] }>({
    title: 'That phone is not connected',
    detail: ({ connected }) => (connected.length > 0 ? `Connected: ${connected.join(', ')}.` : 'No phone is connected.'),
    nextSteps: ['Plug the phone in with a data cable and choose it from the list.'],
  }),
  'not-running': entry({
    title: 'Recovery mode by software needs a phone that is switched on',
    detail: 'Lifeline can only ask a phone that has started normally to go into recovery mode.',
    nextSteps: [USE_BUTTONS],
    helpUrl: APPLE_HELP.recoveryMode,
  }),
  'unlock-needed': entry({
    title: 'Unlock the phone first',
    detail: 'The phone is locked and refuses to take orders from this computer until it is unlocked once.',
    nextSteps: ['Unlock the phone and try again, or use the buttons instead.'],
  }),
  'not-trusted': entry({
    title: 'This computer is not trusted by the phone',
    detail: 'Recovery mode by software needs a phone that trusts this computer (you tapped Trust and entered the passcode once).',
    nextSteps: [USE_BUTTONS],
    helpUrl: APPLE_HELP.trustComputer,
  }),
  /** The phone restarted (`goal` is the mode it was sent to) and did not come back within the wait. */
  'not-back': entry<{ goal: 'recovery' | 'normal' }>({
    title: ({ goal }) => (goal === 'recovery' ? 'The phone did not come back' : 'The phone has not come back yet'),
    detail: ({ goal }) =>
      goal === 'recovery'
        ? 'The phone restarted but no Apple device appeared on USB afterwards.'
        : 'It restarted, but no Apple device appeared on USB in time. It may still be starting: look at its screen.',
    nextSteps: ({ goal }) =>
      goal === 'recovery'
        ? ['Use the buttons instead: the coach shows you how.', 'Check the cable and plug straight into the computer.']
        : ['If the screen shows the Apple logo, wait a little longer.', 'Otherwise check the cable and plug straight into the computer.'],
  }),
  'unexpected-mode': entry<{ goal: 'recovery' | 'normal'; mode: string }>({
    title: ({ goal }) => (goal === 'recovery' ? 'The phone did not go into recovery mode' : 'The phone has not come back yet'),
    detail: ({ mode }) => `It came back in ${mode} mode.`,
    nextSteps: ({ goal }) =>
      goal === 'recovery'
        ? ['Use the buttons instead: the coach shows you how.', 'Check the cable and plug straight into the computer.']
        : ['If the screen shows the Apple logo, wait a little longer.', 'Otherwise check the cable and plug straight into the computer.'],
  }),
  /** `mode`: where Lifeline sees the phone instead; null when it cannot see the phone at all. */
  'not-in-recovery': entry<{ mode: string | null }>({
    title: 'The phone is not in recovery mode',
    detail: ({ mode }) =>
      mode === null
        ? 'Lifeline cannot see that phone.'
        : mode === 'disconnected'
          ? 'Lifeline sees it as disconnected.'
          : `Lifeline sees it in ${mode} mode.`,
    nextSteps: ({ mode }) => (mode === 'dfu' ? ['To leave DFU mode, force-restart the phone with its buttons (the coach shows how).'] : []),
  }),
  'iboot-refused': entry({
    title: 'The phone did not take the command',
    detail: 'The phone in recovery mode did not accept Lifeline’s command over USB.',
    nextSteps: ['Unplug the phone, plug it back in and try again.', 'Or force-restart it with its buttons (see "Getting out").'],
    helpUrl: APPLE_HELP.forceRestart,
  }),
  'still-recovery': entry({
    title: 'The phone came back in recovery mode',
    detail: 'It restarted, but iOS on it does not start any more, so it went straight back to recovery mode.',
    nextSteps: [
      'A backup is not possible in this state.',
      'Try an Update restore next: it reinstalls iOS and keeps your data when it works.',
    ],
    helpUrl: APPLE_HELP.recoveryMode,
  }),
  /** The command line's phone choice (`--phone`), shared by its commands. */
  'ambiguous-phone': entry<{ connected: readonly string[] }>({
    title: 'More than one phone matches',
    detail: ({ connected }) => `Connected: ${connected.join(', ')}.`,
    nextSteps: ['Give the ID shown by `lifeline devices` (or the id `lifeline devices --json` prints).'],
  }),
  'no-such-phone': entry<{ connected: readonly string[] }>({
    title: 'That phone is not connected',
    detail: ({ connected }) => (connected.length > 0 ? `Connected: ${connected.join(', ')}.` : 'No phone is connected.'),
    nextSteps: ['Give the ID shown by `lifeline devices` (or the id `lifeline devices --json` prints).'],
  }),
  'no-phone': entry({
    title: 'No phone is connected',
    detail: 'Plug the phone in with a data cable.',
    nextSteps: ['Plug the phone in with a data cable, then try again.'],
  }),
  'which-phone': entry<{ connected: readonly string[] }>({
    title: 'Which phone?',
    detail: ({ connected }) => `More than one phone is connected: ${connected.join(', ')}.`,
    nextSteps: ['Choose one with --phone ID.'],
  }),
};
