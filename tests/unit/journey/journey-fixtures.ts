import { fromPromise } from 'xstate';
import type { JourneyBackup } from '../../../common/contract/journey';
import { ProblemError } from '../../../common/api';
import { journeyMachine, type JourneyCoachOutcome, type JourneyContext, type JourneyPhone } from '../../../main/journey/journey-machine';

export const LOCKED_TRUSTED_5S: JourneyPhone = {
  name: "Anna's iPhone",
  modelName: 'iPhone 5s (GSM)',
  mode: 'normal',
  connected: true,
  identifying: false,
  trusted: true,
  passcodeSet: true,
  iosVersion: '12.5.7',
  canBackUp: true,
  triageHeadline: 'A backup is possible',
  triageReason: 'Trusted by this computer and unlocked since it last started.',
};

export const LOCKED_UNTRUSTED_12: JourneyPhone = {
  ...LOCKED_TRUSTED_5S,
  name: 'iPhone',
  modelName: 'iPhone 12',
  trusted: false,
  iosVersion: '17.5',
  canBackUp: false,
  triageHeadline: 'This phone cannot be backed up',
  triageReason: 'It does not trust this computer, and iOS 17 needs the passcode for a backup.',
};

export const PLAIN_BACKUP: JourneyBackup = {
  id: 'bk-000000000001',
  date: '2025-05-03T10:00:00.000Z',
  sizeBytes: 1000,
  encrypted: false,
  label: 'the backup from 3 May 2025',
};
export const ENCRYPTED_BACKUP: JourneyBackup = {
  id: 'bk-000000000002',
  date: '2025-04-01T10:00:00.000Z',
  sizeBytes: 1000,
  encrypted: true,
  label: 'the backup from 1 April 2025',
};

export function contextWith(overrides: Partial<JourneyContext> = {}): JourneyContext {
  return {
    phoneId: '000000000000ABCD',
    phone: LOCKED_TRUSTED_5S,
    backups: [PLAIN_BACKUP, ENCRYPTED_BACKUP],
    chosenBackup: null,
    backedUpNow: false,
    afterPassword: 'firmware',
    firmware: { version: '12.5.7', build: '16H81' },
    coachAttempt: null,
    coachOutcome: null,
    coachMisses: 0,
    problem: null,
    notice: null,
    ...overrides,
  };
}

/** What each fake step does when it runs; a test replaces the ones it cares about. */
export type FakeSteps = {
  assess(): Promise<{ backups: JourneyBackup[] }>;
  backUp(): Promise<JourneyBackup>;
  checkPassword(): Promise<boolean>;
  prepareFirmware(): Promise<{ version: string; build: string }>;
  enterRecovery(): Promise<void>;
  coach(): Promise<JourneyCoachOutcome & { attempt: string }>;
  restore(): Promise<{ version: string; build: string }>;
  restoreData(): Promise<{ files: number }>;
};

export const COACH_HIT = { success: true, headline: 'Got it', detail: 'Recovery mode.', nextSteps: [], attempt: 'attempt-1' };
export const COACH_MISS = {
  success: false,
  headline: 'That was the Apple logo',
  detail: 'The moment was missed.',
  nextSteps: ['Hold a bit longer.'],
  attempt: 'attempt-2',
};

export function happySteps(): FakeSteps {
  return {
    assess: async () => ({ backups: [PLAIN_BACKUP, ENCRYPTED_BACKUP] }),
    backUp: async () => ({ ...PLAIN_BACKUP, id: 'bk-00000000000a', label: 'the backup from today' }),
    checkPassword: async () => true,
    prepareFirmware: async () => ({ version: '12.5.7', build: '16H81' }),
    enterRecovery: async () => undefined,
    coach: async () => COACH_HIT,
    restore: async () => ({ version: '12.5.7', build: '16H81' }),
    restoreData: async () => ({ files: 12 }),
  };
}

/** A step that never finishes (until its actor is stopped). */
export function pending<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

export function failing(
  code: 'backup-unavailable' | 'journey-left-recovery' | 'journey-password-needed' | 'firmware-unverified',
): () => Promise<never> {
  return async () => {
    if (code === 'firmware-unverified') throw new ProblemError(code, { file: 'iPhone.ipsw' });
    throw new ProblemError(code);
  };
}

/** The chart with fake steps that read `steps` at call time. */
export function fakeMachine(steps: FakeSteps) {
  return journeyMachine.provide({
    actors: {
      assess: fromPromise(() => steps.assess()),
      backUp: fromPromise(() => steps.backUp()),
      checkPassword: fromPromise(() => steps.checkPassword()),
      prepareFirmware: fromPromise(() => steps.prepareFirmware()),
      enterRecovery: fromPromise(() => steps.enterRecovery()),
      coach: fromPromise(() => steps.coach()),
      restore: fromPromise(() => steps.restore()),
      restoreData: fromPromise(() => steps.restoreData()),
    },
  });
}
