/** Problems of exporting diagnostics. */
import { entry } from './problem-entry';

export const DIAGNOSTICS_PROBLEMS = {
  'diagnostics-write-failed': entry<{ path: string; reason: string }>({
    title: 'The diagnostics file could not be saved',
    detail: ({ path, reason }) => `Lifeline could not write ${path.slice(0, 300)}: ${reason.slice(0, 200)}`,
    nextSteps: ['Choose another folder you can write to (your Desktop or Documents), and make sure the disk has some free space.'],
  }),
  'diagnostics-confirmation-needed': entry({
    title: 'Nothing was saved: there is no one to ask',
    detail: 'Lifeline shows what the diagnostics file holds and asks before saving it, but this is not a terminal it can ask in.',
    nextSteps: [
      'Run it in a terminal and answer, or add --yes once you have seen the list (`lifeline diagnostics export --out FILE --yes`).',
    ],
  }),
} as const;
