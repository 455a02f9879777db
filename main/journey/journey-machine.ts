/**
 * The rescue journey of one phone as a statechart (docs/journey.md): pure data and small actions. The work of each
 * step is an invoked actor whose implementation is injected (`journeyMachine.provide({ actors })`): the engine wires
 * the domain services, tests wire fakes. The placeholders below only say which port was left unwired.
 */
import { and, assign, fromPromise, setup } from 'xstate';
import { renderProblem } from '../../common/problems/catalog';
import type { Problem } from '../../common/api';
import type { JourneyBackup } from '../../common/contract/journey';
import type { PhoneMode } from '../../common/phone';
import { problemOfFailure } from './journey-problem';

/** What the journey knows about its phone (fed by the registry on every change). */
export type JourneyPhone = {
  name: string;
  modelName: string;
  mode: PhoneMode;
  connected: boolean;
  identifying: boolean;
  trusted: boolean | null;
  passcodeSet: boolean | null;
  iosVersion: string | null;
  canBackUp: boolean;
  /** The triage verdict in words: why a backup is or is not possible. */
  triageHeadline: string;
  triageReason: string;
};

export type JourneyCoachOutcome = { success: boolean; headline: string; detail: string; nextSteps: string[] };

export type JourneyContext = {
  phoneId: string;
  phone: JourneyPhone;
  backups: JourneyBackup[];
  chosenBackup: JourneyBackup | null;
  /** A backup made by this journey (the safety line says "saved today"). */
  backedUpNow: boolean;
  /** Where a correct password leads: on to the firmware (choosing), or on to putting the data back (after a resume). */
  afterPassword: 'firmware' | 'data';
  firmware: { version: string; build: string } | null;
  coachAttempt: string | null;
  coachOutcome: JourneyCoachOutcome | null;
  coachMisses: number;
  problem: Problem | null;
  notice: string | null;
};

export type JourneyInput = { phoneId: string; phone: JourneyPhone };

/** The events people send are the contract's action ids; `phone` comes from the registry. */
export type JourneyEvent =
  | { type: 'phone'; phone: JourneyPhone }
  | { type: 'backUp' }
  | { type: 'useBackup'; backupId: string }
  | { type: 'continueWithoutBackup' }
  | { type: 'acceptNoBackup' }
  | { type: 'checkPassword' }
  | { type: 'confirmErase'; typed: string }
  | { type: 'startCoach' }
  | { type: 'skipBackupRestore' }
  | { type: 'passcodeSet' }
  | { type: 'retry' }
  | { type: 'chooseAnotherPath' }
  | { type: 'goBack' }
  | { type: 'cancel' }
  | { type: 'startOver' };

/** The word the erase is confirmed with (typed, never a pre-focused OK). */
export const ERASE_PHRASE = 'erase';

/** Codes that steer the chart rather than end a step: the phone dropped out of recovery; a password is needed again. */
export const LEFT_RECOVERY_CODE = 'journey-left-recovery';
export const PASSWORD_NEEDED_CODES: readonly string[] = ['journey-password-needed', 'restore-password-needed', 'backup-password-needed'];

export type PhoneInput = { phoneId: string };
export type BackupInput = { phoneId: string; backupId: string };
export type DataInput = BackupInput & { encrypted: boolean };
/** The firmware made ready: a phone already running it, fresh and without a passcode, was restored before a crash. */
export type RestoreInput = PhoneInput & { firmwareVersion: string | null };

function unwired(name: string) {
  return () => Promise.reject(new Error(`The journey's ${name} port is not wired`));
}

const RECOVERY_MODES: readonly PhoneMode[] = ['recovery', 'dfu', 'restore'];

export const journeyMachine = setup({
  types: {
    context: {} as JourneyContext,
    events: {} as JourneyEvent,
    input: {} as JourneyInput,
  },
  actors: {
    assess: fromPromise<{ backups: JourneyBackup[] }, PhoneInput>(unwired('assess')),
    backUp: fromPromise<JourneyBackup, PhoneInput>(unwired('backUp')),
    checkPassword: fromPromise<boolean, BackupInput>(unwired('checkPassword')),
    prepareFirmware: fromPromise<{ version: string; build: string }, PhoneInput>(unwired('prepareFirmware')),
    enterRecovery: fromPromise<void, PhoneInput>(unwired('enterRecovery')),
    coach: fromPromise<JourneyCoachOutcome & { attempt: string }, PhoneInput>(unwired('coach')),
    restore: fromPromise<{ version: string; build: string }, RestoreInput>(unwired('restore')),
    restoreData: fromPromise<{ files: number }, DataInput>(unwired('restoreData')),
  },
  guards: {
    phoneReady: ({ context }) => context.phone.connected && !context.phone.identifying,
    canBackUp: ({ context }) => context.phone.canBackUp,
    knownBackup: ({ context, event }) => event.type === 'useBackup' && context.backups.some((b) => b.id === event.backupId),
    knownEncryptedBackup: ({ context, event }) =>
      event.type === 'useBackup' && context.backups.some((b) => b.id === event.backupId && b.encrypted === true),
    typedPhrase: ({ event }) => event.type === 'confirmErase' && event.typed.trim().toLowerCase() === ERASE_PHRASE,
    inRecoveryModes: ({ context }) => context.phone.connected && RECOVERY_MODES.includes(context.phone.mode),
    softwareEntryPossible: ({ context }) => context.phone.connected && context.phone.mode === 'normal' && context.phone.trusted === true,
    passwordForFirmware: ({ context }) => context.afterPassword === 'firmware',
    passwordForData: ({ context }) => context.afterPassword === 'data',
    hasBackup: ({ context }) => context.chosenBackup !== null,
    encryptedNewBackup: ({ event }) => 'output' in event && (event.output as JourneyBackup).encrypted === true,
    passwordCorrect: ({ event }) => 'output' in event && event.output === true,
    coachSucceeded: ({ event }) => 'output' in event && (event.output as JourneyCoachOutcome).success,
    leftRecovery: ({ event }) => 'error' in event && problemOfFailure(event.error).code === LEFT_RECOVERY_CODE,
    passwordNeeded: ({ event }) => 'error' in event && PASSWORD_NEEDED_CODES.includes(problemOfFailure(event.error).code),
  },
  actions: {
    setPhone: assign({ phone: ({ context, event }) => (event.type === 'phone' ? event.phone : context.phone) }),
    setProblemFromError: assign({ problem: ({ event }) => ('error' in event ? problemOfFailure(event.error) : null) }),
    clearProblem: assign({ problem: null }),
    clearNotice: assign({ notice: null }),
    chooseBackup: assign({
      chosenBackup: ({ context, event }) =>
        event.type === 'useBackup' ? (context.backups.find((b) => b.id === event.backupId) ?? null) : context.chosenBackup,
      backedUpNow: false,
      afterPassword: 'firmware' as const,
    }),
    chooseNoBackup: assign({ chosenBackup: null, backedUpNow: false }),
    keepNewBackup: assign({
      chosenBackup: ({ event }) => ('output' in event ? (event.output as JourneyBackup) : null),
      backedUpNow: true,
      afterPassword: 'firmware' as const,
    }),
    passwordWanted: assign({ afterPassword: 'data' as const }),
    wrongPassword: assign({ problem: () => renderProblem('journey-wrong-password') }),
    keepBackups: assign({ backups: ({ event }) => ('output' in event ? (event.output as { backups: JourneyBackup[] }).backups : []) }),
    keepFirmware: assign({ firmware: ({ event }) => ('output' in event ? (event.output as { version: string; build: string }) : null) }),
    keepCoachOutcome: assign({
      coachAttempt: ({ event }) => ('output' in event ? (event.output as { attempt: string }).attempt : null),
      coachOutcome: ({ event }) => {
        if (!('output' in event)) return null;
        const { success, headline, detail, nextSteps } = event.output as JourneyCoachOutcome;
        return { success, headline, detail, nextSteps };
      },
    }),
    countMiss: assign({ coachMisses: ({ context }) => context.coachMisses + 1 }),
    noticeSoftwareEntryFailed: assign({
      notice: 'Lifeline could not put the phone into recovery mode by itself. The buttons will do it: follow the coach.',
    }),
    noticeLeftRecovery: assign({
      notice:
        'The phone started normally again before the restore was done (recovery mode ends by itself after about 15 minutes). Let’s put it back into recovery mode.',
    }),
    resetForStartOver: assign({ problem: null, notice: null, coachOutcome: null, coachAttempt: null, coachMisses: 0 }),
  },
}).createMachine({
  id: 'journey',
  initial: 'waitingForPhone',
  context: ({ input }) => ({
    phoneId: input.phoneId,
    phone: input.phone,
    backups: [],
    chosenBackup: null,
    backedUpNow: false,
    afterPassword: 'firmware',
    firmware: null,
    coachAttempt: null,
    coachOutcome: null,
    coachMisses: 0,
    problem: null,
    notice: null,
  }),
  on: { phone: { actions: 'setPhone' } },
  states: {
    waitingForPhone: {
      always: { guard: 'phoneReady', target: 'assessing' },
      on: { cancel: 'cancelled' },
    },
    assessing: {
      invoke: {
        src: 'assess',
        input: ({ context }) => ({ phoneId: context.phoneId }),
        onDone: { target: 'choosing', actions: 'keepBackups' },
        onError: { target: 'choosing', actions: 'setProblemFromError' },
      },
      on: { cancel: 'cancelled' },
    },
    choosing: {
      exit: 'clearProblem',
      on: {
        backUp: { guard: 'canBackUp', target: 'backingUp' },
        useBackup: [
          { guard: 'knownEncryptedBackup', target: 'backupPassword', actions: 'chooseBackup' },
          { guard: 'knownBackup', target: 'preparingFirmware', actions: 'chooseBackup' },
        ],
        continueWithoutBackup: 'noBackupWarning',
        cancel: 'cancelled',
      },
    },
    noBackupWarning: {
      on: {
        acceptNoBackup: { target: 'preparingFirmware', actions: 'chooseNoBackup' },
        goBack: 'choosing',
        cancel: 'cancelled',
      },
    },
    backingUp: {
      invoke: {
        src: 'backUp',
        input: ({ context }) => ({ phoneId: context.phoneId }),
        onDone: [
          { guard: 'encryptedNewBackup', target: 'backupPassword', actions: 'keepNewBackup' },
          { target: 'preparingFirmware', actions: 'keepNewBackup' },
        ],
        onError: { target: 'backupFailed', actions: 'setProblemFromError' },
      },
      on: { cancel: 'cancelled' },
    },
    backupFailed: {
      exit: 'clearProblem',
      on: { retry: 'backingUp', chooseAnotherPath: 'choosing', cancel: 'cancelled' },
    },
    backupPassword: {
      exit: 'clearNotice',
      on: {
        checkPassword: { target: 'checkingPassword', actions: 'clearProblem' },
        goBack: { guard: 'passwordForFirmware', target: 'choosing', actions: 'clearProblem' },
        skipBackupRestore: { guard: 'passwordForData', target: 'newPasscode', actions: 'clearProblem' },
        cancel: { guard: 'passwordForFirmware', target: 'cancelled' },
      },
    },
    checkingPassword: {
      invoke: {
        src: 'checkPassword',
        input: ({ context }) => ({ phoneId: context.phoneId, backupId: context.chosenBackup?.id ?? '' }),
        onDone: [
          { guard: and(['passwordCorrect', 'passwordForFirmware']), target: 'preparingFirmware' },
          { guard: 'passwordCorrect', target: 'restoringData' },
          { target: 'backupPassword', actions: 'wrongPassword' },
        ],
        onError: { target: 'backupPassword', actions: 'setProblemFromError' },
      },
    },
    preparingFirmware: {
      invoke: {
        src: 'prepareFirmware',
        input: ({ context }) => ({ phoneId: context.phoneId }),
        onDone: { target: 'confirmErase', actions: 'keepFirmware' },
        onError: { target: 'firmwareFailed', actions: 'setProblemFromError' },
      },
      on: { cancel: 'cancelled' },
    },
    firmwareFailed: {
      exit: 'clearProblem',
      on: { retry: 'preparingFirmware', cancel: 'cancelled' },
    },
    confirmErase: {
      on: {
        confirmErase: { guard: 'typedPhrase', target: 'choosingRecoveryPath' },
        goBack: 'choosing',
        cancel: 'cancelled',
      },
    },
    choosingRecoveryPath: {
      always: [
        { guard: 'inRecoveryModes', target: 'restoring' },
        { guard: 'softwareEntryPossible', target: 'enteringRecovery' },
        { target: 'coachReady' },
      ],
    },
    enteringRecovery: {
      exit: 'clearNotice',
      invoke: {
        src: 'enterRecovery',
        input: ({ context }) => ({ phoneId: context.phoneId }),
        onDone: 'restoring',
        onError: { target: 'coachReady', actions: 'noticeSoftwareEntryFailed' },
      },
      on: { cancel: 'cancelled' },
    },
    coachReady: {
      exit: 'clearNotice',
      always: { guard: 'inRecoveryModes', target: 'restoring' },
      on: { startCoach: 'coaching', cancel: 'cancelled' },
    },
    coaching: {
      invoke: {
        src: 'coach',
        input: ({ context }) => ({ phoneId: context.phoneId }),
        onDone: [
          { guard: 'coachSucceeded', target: 'restoring', actions: 'keepCoachOutcome' },
          { target: 'coachMissed', actions: ['keepCoachOutcome', 'countMiss'] },
        ],
        onError: { target: 'coachMissed', actions: ['setProblemFromError', 'countMiss'] },
      },
      on: { cancel: 'coachReady' },
    },
    coachMissed: {
      exit: 'clearProblem',
      always: { guard: 'inRecoveryModes', target: 'restoring' },
      on: { retry: 'coaching', cancel: 'cancelled' },
    },
    restoring: {
      exit: 'clearNotice',
      invoke: {
        src: 'restore',
        input: ({ context }) => ({ phoneId: context.phoneId, firmwareVersion: context.firmware?.version ?? null }),
        onDone: [
          { guard: 'hasBackup', target: 'restoringData', actions: 'keepFirmware' },
          { target: 'newPasscode', actions: 'keepFirmware' },
        ],
        onError: [
          { guard: 'leftRecovery', target: 'choosingRecoveryPath', actions: 'noticeLeftRecovery' },
          { target: 'restoreFailed', actions: 'setProblemFromError' },
        ],
      },
    },
    restoreFailed: {
      exit: 'clearProblem',
      on: { retry: 'choosingRecoveryPath', cancel: 'cancelled' },
    },
    restoringData: {
      exit: 'clearNotice',
      invoke: {
        src: 'restoreData',
        input: ({ context }) => ({
          phoneId: context.phoneId,
          backupId: context.chosenBackup?.id ?? '',
          encrypted: context.chosenBackup?.encrypted === true,
        }),
        onDone: 'newPasscode',
        onError: [
          { guard: 'passwordNeeded', target: 'backupPassword', actions: ['passwordWanted', 'setProblemFromError'] },
          { target: 'dataFailed', actions: 'setProblemFromError' },
        ],
      },
    },
    dataFailed: {
      exit: 'clearProblem',
      on: { retry: 'restoringData', skipBackupRestore: 'newPasscode' },
    },
    newPasscode: {
      on: { passcodeSet: 'done' },
    },
    done: { type: 'final' },
    cancelled: {
      on: { startOver: { target: 'waitingForPhone', actions: 'resetForStartOver' } },
    },
  },
});

export type JourneyMachine = typeof journeyMachine;
