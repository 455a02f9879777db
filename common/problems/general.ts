/** Problems of Lifeline itself: the engine, its transports and requests that do not fit the contract. */
import { IF_IT_KEEPS_HAPPENING, entry } from './problem-entry';

const TRY_AGAIN_OR_SUPPORT = ['Try again.', IF_IT_KEEPS_HAPPENING];

export const GENERAL_PROBLEMS = {
  internal: entry<{ message: string }>({
    title: 'Something went wrong inside Lifeline',
    detail: ({ message }) =>
      message ? `Lifeline ran into an error it did not expect: ${message.slice(0, 500)}` : 'Lifeline ran into an error it did not expect.',
    nextSteps: TRY_AGAIN_OR_SUPPORT,
  }),
  'bad-request': entry<{ command: string; issue: string }>({
    title: ({ command }) => `Invalid arguments for ${command.slice(0, 100)}`,
    detail: ({ issue }) => issue.slice(0, 500),
    nextSteps: [],
  }),
  'unknown-command': entry<{ command: string }>({
    title: 'Unknown command',
    detail: ({ command }) => `Lifeline has no command called “${command.slice(0, 100)}”.`,
    nextSteps: [],
  }),
  'unknown-event': entry<{ event: string }>({
    title: 'Unknown event',
    detail: ({ event }) => `Lifeline sends no event called “${event.slice(0, 100)}”.`,
    nextSteps: [],
  }),
  'untrusted-sender': entry({
    title: 'Refused',
    detail: 'This request did not come from Lifeline’s own window.',
    nextSteps: [],
  }),
  'answer-too-large': entry({
    title: 'The answer was too large to pass on',
    detail: 'The engine’s answer was not JSON or over the size limit.',
    nextSteps: ['Try again.'],
  }),
  'engine-stopped': entry<{ reason: string }>({
    title: 'Lifeline’s engine stopped while answering',
    detail: ({ reason }) => `${reason} It is being restarted.`,
    nextSteps: ['Try again in a moment.'],
  }),
  'engine-unavailable': entry<{ reason: string }>({
    title: 'Lifeline’s engine could not be started',
    detail: ({ reason }) => reason,
    // Export diagnostics needs the engine: only the note is asked for here.
    nextSteps: ['Quit Lifeline and open it again.', 'If it keeps happening, note what you did just before and contact support.'],
  }),
  'engine-closed': entry({
    title: 'Lifeline is closing',
    detail: 'The engine has been shut down.',
    nextSteps: [],
  }),
  'engine-answer-invalid': entry<{ issue: string }>({
    title: 'Lifeline’s engine gave an answer it should not have',
    detail: ({ issue }) => issue.slice(0, 300),
    nextSteps: ['Try again.'],
  }),
  'job-interrupted': entry<{ jobTitle: string; kind: string; reason: string }>({
    title: ({ jobTitle }) => `${jobTitle} — interrupted`,
    detail: ({ reason }) => `Lifeline’s engine stopped while this was running and has been restarted. ${reason}`.slice(0, 1000),
    nextSteps: ({ kind }) => [...afterInterruption(kind), IF_IT_KEEPS_HAPPENING],
  }),
  'job-failed': entry({
    title: 'That did not work',
    detail: 'The job ended without saying why.',
    nextSteps: TRY_AGAIN_OR_SUPPORT,
  }),
  usage: entry<{ option: string; allowed: readonly string[] }>({
    title: ({ option }) => `Unknown ${option}`,
    detail: ({ allowed }) => `Use one of: ${allowed.join(', ')}.`,
    nextSteps: [],
  }),
  'usb-unavailable': entry<{ purpose: 'see-phones' | 'restore' }>({
    title: 'USB is not available here',
    detail: ({ purpose }) =>
      purpose === 'restore'
        ? 'This Lifeline was started without USB or firmware access, so it cannot restore a phone.'
        : 'This Lifeline was started without access to USB, so phones in DFU or recovery mode cannot be seen.',
    nextSteps: ['Start Lifeline normally, or point it at a USB/IP server with --usbip HOST:PORT.'],
  }),
  /** This computer's USB status (main/usb) says what is wrong and how to fix it; the problem passes it on. */
  'usb-blocked': entry<{ hostDetail: string; hostFix: string }>({
    title: 'USB is not available here',
    detail: ({ hostDetail }) => hostDetail,
    nextSteps: ({ hostFix }) => [hostFix],
  }),
  'usbip-address': entry<{ address: string; variable: string }>({
    title: 'That USB/IP address is not usable',
    detail: ({ address, variable }) => `"${address.slice(0, 100)}" is not HOST:PORT (from --usbip or ${variable}).`,
    nextSteps: ['Give the server as HOST:PORT, for example 127.0.0.1:3240.'],
  }),
  'not-practice-mode': entry({
    title: 'Only available in practice mode',
    detail: 'These controls move virtual phones; a real phone needs your hands.',
    nextSteps: ['Start Lifeline with --demo to practise.'],
  }),
  'no-such-practice-phone': entry<{ phoneId: string }>({
    title: 'No such practice phone',
    detail: ({ phoneId }) => `No practice phone has the id ${phoneId.slice(0, 64)}.`,
    nextSteps: ['Choose one of the practice phones on screen.'],
  }),
  'no-buttons': entry({
    title: 'These practice phones have no buttons',
    detail: 'Buttons are not available here.',
    nextSteps: [],
  }),
  'phone-not-found': entry<{ phoneId: string }>({
    title: 'That iPhone is not connected',
    detail: ({ phoneId }) => `No phone with id ${phoneId}.`,
    nextSteps: ['Plug the iPhone in again.'],
  }),
};

/** What to do after a job of this kind was cut off, in the words of what was safe and what to start again. */
function afterInterruption(kind: string): string[] {
  if (kind === 'backup') {
    return [
      'Your previous backup is unchanged: an unfinished backup never replaces it.',
      'Check that the phone is still connected, then start the backup again.',
    ];
  }
  if (kind === 'backup.restore') {
    return [
      'The phone may hold only part of the backup now and say “Restore incomplete”.',
      'Your backup on this computer is unchanged: connect the phone and run the restore again.',
    ];
  }
  if (kind.startsWith('firmware.'))
    return ['What was already downloaded is kept: start again and the download carries on where it stopped.'];
  if (kind === 'restore') {
    return [
      'Look at the phone. If it shows a cable pointing at a computer, it is waiting in recovery mode: start the restore again.',
      'If the screen stays black, use the coach to put the phone into recovery or DFU mode, then start the restore again.',
    ];
  }
  if (kind === 'coach') return ['Let go of the phone’s buttons, then start the coach again.'];
  if (kind.startsWith('recovery.')) return ['Check what the phone shows, then try again.'];
  return ['Start it again.'];
}
