import { JOURNEY_STEPS, type JourneySnapshot, type JourneyStep } from '../../common/contract/journey';
import type { LifelineApi } from '../../common/api';

/** A journey snapshot as the engine sends it; `step` sets the stepper fields together. */
export function journey(fields: Partial<JourneySnapshot> & { phoneId: string; step?: JourneyStep }): JourneySnapshot {
  const step = fields.step ?? 'save';
  return {
    publicId: `ph-${fields.phoneId}`,
    name: 'Anna’s iPhone',
    modelName: 'iPhone 7 (GSM)',
    mode: 'normal',
    connected: true,
    state: 'choosing',
    title: 'A backup is possible now',
    message: 'This computer is trusted and the phone was unlocked since it started.',
    safety: { status: 'not-saved', line: 'Your photos: not saved yet.' },
    job: null,
    progress: null,
    problem: null,
    notice: null,
    next: { id: 'backUp', label: 'Back up now' },
    secondary: [
      { id: 'continueWithoutBackup', label: 'Continue without a backup' },
      { id: 'cancel', label: 'Stop' },
    ],
    backups: [],
    chosenBackup: null,
    firmware: null,
    confirmation: null,
    coachAttempt: null,
    passcodeGuidance: null,
    updatedAt: '2026-05-03T10:00:00.000Z',
    ...fields,
    step,
    stepIndex: JOURNEY_STEPS.indexOf(step),
    stepTotal: JOURNEY_STEPS.length,
  };
}

export type Call = [string, unknown];

/** A fake engine that answers journey.act with `answer(request)` and records every call. */
export function journeyApi(answer: (request: { phoneId: string; action: string }) => JourneySnapshot): { api: LifelineApi; calls: Call[] } {
  const calls: Call[] = [];
  const api: LifelineApi = {
    invoke: (async (command: string, request: unknown) => {
      calls.push([command, request]);
      if (command === 'journey.act') return answer(request as { phoneId: string; action: string });
      throw new Error(`not used: ${command}`);
    }) as LifelineApi['invoke'],
    on: () => () => undefined,
  };
  return { api, calls };
}
