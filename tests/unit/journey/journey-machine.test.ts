import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor, type SnapshotFrom } from 'xstate';
import { JOURNEY_ACTIONS, JOURNEY_STATES, type JourneyActionId, type JourneyState } from '../../../common/contract/journey';
import type { JourneyBackup } from '../../../common/contract/journey';
import { journeyMachine, type JourneyContext, type JourneyEvent, type PhoneInput } from '../../../main/journey/journey-machine';
import {
  COACH_MISS,
  ENCRYPTED_BACKUP,
  LOCKED_TRUSTED_5S,
  LOCKED_UNTRUSTED_12,
  PLAIN_BACKUP,
  contextWith,
  failing,
  fakeMachine,
  happySteps,
  pending,
  type FakeSteps,
} from './journey-fixtures';

function pendingSteps(): FakeSteps {
  return {
    assess: pending,
    backUp: pending,
    checkPassword: pending,
    prepareFirmware: pending,
    enterRecovery: pending,
    coach: pending,
    restore: pending,
    restoreData: pending,
  };
}

function eventFor(action: JourneyActionId): JourneyEvent {
  if (action === 'useBackup') return { type: 'useBackup', backupId: PLAIN_BACKUP.id };
  if (action === 'confirmErase') return { type: 'confirmErase', typed: 'erase' };
  return { type: action };
}

/** Where every action of a person leads from every state (absent: refused). Steps never finish here. */
const TRANSITIONS: Record<JourneyState, Partial<Record<JourneyActionId, JourneyState>>> = {
  waitingForPhone: { cancel: 'cancelled' },
  assessing: { cancel: 'cancelled' },
  choosing: { backUp: 'backingUp', useBackup: 'preparingFirmware', continueWithoutBackup: 'noBackupWarning', cancel: 'cancelled' },
  noBackupWarning: { acceptNoBackup: 'preparingFirmware', goBack: 'choosing', cancel: 'cancelled' },
  backingUp: { cancel: 'cancelled' },
  backupFailed: { retry: 'backingUp', chooseAnotherPath: 'choosing', cancel: 'cancelled' },
  backupPassword: { checkPassword: 'checkingPassword', goBack: 'choosing', cancel: 'cancelled' },
  checkingPassword: {},
  preparingFirmware: { cancel: 'cancelled' },
  firmwareFailed: { retry: 'preparingFirmware', cancel: 'cancelled' },
  // A trusted phone in normal mode: the software shortcut first.
  confirmErase: { confirmErase: 'enteringRecovery', goBack: 'choosing', cancel: 'cancelled' },
  choosingRecoveryPath: {},
  enteringRecovery: { cancel: 'cancelled' },
  coachReady: { startCoach: 'coaching', cancel: 'cancelled' },
  coaching: { cancel: 'coachReady' },
  coachMissed: { retry: 'coaching', cancel: 'cancelled' },
  restoring: {},
  restoreFailed: { retry: 'enteringRecovery', cancel: 'cancelled' },
  restoringData: {},
  dataFailed: { retry: 'restoringData', skipBackupRestore: 'newPasscode' },
  newPasscode: { passcodeSet: 'done' },
  done: {},
  cancelled: { startOver: 'assessing' },
};

function actorIn(state: JourneyState, context: JourneyContext, steps: FakeSteps = pendingSteps()) {
  const machine = fakeMachine(steps);
  const actor = createActor(machine, {
    snapshot: machine.resolveState({ value: state, context }) as never,
    input: { phoneId: context.phoneId, phone: context.phone },
  });
  actor.start();
  return actor;
}

function visited(actor: ReturnType<typeof createActor<typeof journeyMachine>>): JourneyState[] {
  const states: JourneyState[] = [];
  actor.subscribe((snapshot) => {
    const state = snapshot.value as JourneyState;
    if (states.at(-1) !== state) states.push(state);
  });
  return states;
}

function startWith(steps: FakeSteps, phone = LOCKED_TRUSTED_5S) {
  const actor = createActor(fakeMachine(steps), { input: { phoneId: '000000000000ABCD', phone } });
  const states = visited(actor);
  actor.start();
  return { actor, states };
}

const at = (state: JourneyState) => (snapshot: SnapshotFrom<typeof journeyMachine>) => snapshot.value === state;

describe('journey chart: every action from every state', () => {
  const cases = JOURNEY_STATES.flatMap((state) => JOURNEY_ACTIONS.map((action) => [state, action] as const));
  it.each(cases)('%s + %s', (state, action) => {
    // Waiting for the phone stays put only while it is away.
    const phone = state === 'waitingForPhone' ? { ...LOCKED_TRUSTED_5S, connected: false } : LOCKED_TRUSTED_5S;
    const actor = actorIn(state, contextWith({ phone, chosenBackup: PLAIN_BACKUP }));
    // choosingRecoveryPath decides at once (here: a trusted phone in normal mode → the software shortcut).
    const expected = TRANSITIONS[state][action] ?? (state === 'choosingRecoveryPath' ? 'enteringRecovery' : state);
    if (state === 'cancelled' && action === 'startOver') actor.send({ type: 'phone', phone: LOCKED_TRUSTED_5S });
    expect(actor.getSnapshot().can(eventFor(action))).toBe(TRANSITIONS[state][action] !== undefined);
    actor.send(eventFor(action));
    expect(actor.getSnapshot().value).toBe(expected);
    actor.stop();
  });

  it('lists every state of the contract and no other', () => {
    expect(Object.keys(journeyMachine.config.states ?? {}).sort()).toEqual([...JOURNEY_STATES].sort());
  });
});

describe('journey chart: guards', () => {
  it('refuses a backup the triage says is impossible', () => {
    const actor = actorIn('choosing', contextWith({ phone: LOCKED_UNTRUSTED_12 }));
    actor.send({ type: 'backUp' });
    expect(actor.getSnapshot().value).toBe('choosing');
  });

  it('refuses a backup id that is not among the phone’s backups', () => {
    const actor = actorIn('choosing', contextWith());
    actor.send({ type: 'useBackup', backupId: 'bk-ffffffffffff' });
    expect(actor.getSnapshot().value).toBe('choosing');
  });

  it('asks for the password of an encrypted backup before anything else', () => {
    const actor = actorIn('choosing', contextWith());
    actor.send({ type: 'useBackup', backupId: ENCRYPTED_BACKUP.id });
    expect(actor.getSnapshot().value).toBe('backupPassword');
    expect(actor.getSnapshot().context.chosenBackup).toEqual(ENCRYPTED_BACKUP);
  });

  it('erases only after the phrase is typed', () => {
    const actor = actorIn('confirmErase', contextWith());
    actor.send({ type: 'confirmErase', typed: 'yes' });
    expect(actor.getSnapshot().value).toBe('confirmErase');
    actor.send({ type: 'confirmErase', typed: ' Erase ' });
    expect(actor.getSnapshot().value).toBe('enteringRecovery');
  });

  it('goes straight to the restore when the phone is already in recovery or DFU mode', () => {
    const actor = actorIn('confirmErase', contextWith({ phone: { ...LOCKED_UNTRUSTED_12, mode: 'dfu' } }));
    actor.send({ type: 'confirmErase', typed: 'erase' });
    expect(actor.getSnapshot().value).toBe('restoring');
  });

  it('sends an untrusted phone to the coach', () => {
    const actor = actorIn('confirmErase', contextWith({ phone: LOCKED_UNTRUSTED_12 }));
    actor.send({ type: 'confirmErase', typed: 'erase' });
    expect(actor.getSnapshot().value).toBe('coachReady');
  });

  it('leaves the coach when the person got the phone into recovery mode by themselves', () => {
    const actor = actorIn('coachReady', contextWith({ phone: LOCKED_UNTRUSTED_12 }));
    actor.send({ type: 'phone', phone: { ...LOCKED_UNTRUSTED_12, mode: 'recovery' } });
    expect(actor.getSnapshot().value).toBe('restoring');
  });

  it('offers skipping the data only when the password was asked after the restore', () => {
    const actor = actorIn('backupPassword', contextWith({ chosenBackup: ENCRYPTED_BACKUP, afterPassword: 'data' }));
    expect(actor.getSnapshot().can({ type: 'goBack' })).toBe(false);
    expect(actor.getSnapshot().can({ type: 'cancel' })).toBe(false);
    actor.send({ type: 'skipBackupRestore' });
    expect(actor.getSnapshot().value).toBe('newPasscode');
  });

  it('keeps the phone up to date in every state', () => {
    const actor = actorIn('restoring', contextWith());
    actor.send({ type: 'phone', phone: { ...LOCKED_TRUSTED_5S, mode: 'restore', connected: false } });
    expect(actor.getSnapshot().context.phone).toMatchObject({ mode: 'restore', connected: false });
    expect(actor.getSnapshot().value).toBe('restoring');
  });
});

describe('journey chart: paths with the steps’ outcomes', () => {
  it('takes a trusted phone from plug-in to done with a fresh backup and the software shortcut', async () => {
    const { actor, states } = startWith(happySteps());
    await waitFor(actor, at('choosing'));
    actor.send({ type: 'backUp' });
    await waitFor(actor, at('confirmErase'));
    expect(actor.getSnapshot().context).toMatchObject({ backedUpNow: true, firmware: { version: '12.5.7' } });
    actor.send({ type: 'confirmErase', typed: 'erase' });
    await waitFor(actor, at('newPasscode'));
    actor.send({ type: 'passcodeSet' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(states).toEqual([
      'assessing',
      'choosing',
      'backingUp',
      'preparingFirmware',
      'confirmErase',
      'enteringRecovery',
      'restoring',
      'restoringData',
      'newPasscode',
      'done',
    ]);
  });

  it('takes a phone that cannot be backed up the honest way: a warning, then the coach, and no data step', async () => {
    const steps = happySteps();
    steps.assess = async () => ({ backups: [] });
    let tries = 0;
    steps.coach = async () => (++tries === 1 ? COACH_MISS : { ...COACH_MISS, success: true, attempt: 'attempt-3' });
    const { actor, states } = startWith(steps, LOCKED_UNTRUSTED_12);
    await waitFor(actor, at('choosing'));
    actor.send({ type: 'backUp' });
    actor.send({ type: 'continueWithoutBackup' });
    actor.send({ type: 'acceptNoBackup' });
    await waitFor(actor, at('confirmErase'));
    actor.send({ type: 'confirmErase', typed: 'erase' });
    actor.send({ type: 'startCoach' });
    await waitFor(actor, at('coachMissed'));
    expect(actor.getSnapshot().context).toMatchObject({ coachMisses: 1, coachOutcome: { headline: COACH_MISS.headline } });
    actor.send({ type: 'retry' });
    await waitFor(actor, at('newPasscode'));
    expect(states).toEqual([
      'assessing',
      'choosing',
      'noBackupWarning',
      'preparingFirmware',
      'confirmErase',
      'coachReady',
      'coaching',
      'coachMissed',
      'coaching',
      'restoring',
      'newPasscode',
    ]);
    expect(actor.getSnapshot().context.chosenBackup).toBeNull();
  });

  it('says a wrong password, then goes on with the right one', async () => {
    const steps = happySteps();
    let correct = false;
    steps.checkPassword = async () => correct;
    const { actor } = startWith(steps);
    await waitFor(actor, at('choosing'));
    actor.send({ type: 'useBackup', backupId: ENCRYPTED_BACKUP.id });
    actor.send({ type: 'checkPassword' });
    await waitFor(actor, (s) => s.value === 'backupPassword' && s.context.problem !== null);
    expect(actor.getSnapshot().context.problem?.code).toBe('journey-wrong-password');
    correct = true;
    actor.send({ type: 'checkPassword' });
    await waitFor(actor, at('confirmErase'));
    expect(actor.getSnapshot().context.problem).toBeNull();
  });

  it('turns a failed backup into a fork: try again, or another way', async () => {
    const steps = happySteps();
    steps.backUp = failing('backup-unavailable');
    const { actor } = startWith(steps);
    await waitFor(actor, at('choosing'));
    actor.send({ type: 'backUp' });
    await waitFor(actor, at('backupFailed'));
    expect(actor.getSnapshot().context.problem?.code).toBe('backup-unavailable');
    steps.backUp = happySteps().backUp;
    actor.send({ type: 'retry' });
    await waitFor(actor, at('confirmErase'));
    expect(actor.getSnapshot().context.problem).toBeNull();
  });

  it('retries the firmware after a failure', async () => {
    const steps = happySteps();
    steps.prepareFirmware = failing('firmware-unverified');
    const { actor } = startWith(steps);
    await waitFor(actor, at('choosing'));
    actor.send({ type: 'useBackup', backupId: PLAIN_BACKUP.id });
    await waitFor(actor, at('firmwareFailed'));
    expect(actor.getSnapshot().context.problem?.code).toBe('firmware-unverified');
    steps.prepareFirmware = happySteps().prepareFirmware;
    actor.send({ type: 'retry' });
    await waitFor(actor, at('confirmErase'));
  });

  it('falls back to the coach when the software shortcut fails', async () => {
    const actor = actorIn('confirmErase', contextWith(), { ...pendingSteps(), enterRecovery: failing('backup-unavailable') });
    actor.send({ type: 'confirmErase', typed: 'erase' });
    await waitFor(actor, at('coachReady'));
    expect(actor.getSnapshot().context.notice).toMatch(/buttons/);
  });

  it('runs the coach again when the phone left recovery mode before the restore started', async () => {
    const steps = { ...pendingSteps(), restore: failing('journey-left-recovery') };
    const actor = actorIn('coachMissed', contextWith({ phone: LOCKED_UNTRUSTED_12 }), steps);
    actor.send({ type: 'phone', phone: { ...LOCKED_UNTRUSTED_12, mode: 'recovery' } });
    actor.send({ type: 'phone', phone: LOCKED_UNTRUSTED_12 });
    await waitFor(actor, at('coachReady'));
    expect(actor.getSnapshot().context.notice).toMatch(/15 minutes/);
  });

  it('turns a failed restore into a fork and retries through the recovery choice', async () => {
    const steps: FakeSteps = { ...pendingSteps(), restore: failing('backup-unavailable') };
    const actor = actorIn('confirmErase', contextWith({ phone: { ...LOCKED_TRUSTED_5S, mode: 'recovery' } }), steps);
    actor.send({ type: 'confirmErase', typed: 'erase' });
    await waitFor(actor, at('restoreFailed'));
    steps.restore = happySteps().restore;
    actor.send({ type: 'retry' });
    await waitFor(actor, at('newPasscode'));
  });

  it('asks for the password again when it is needed to put the data back, and goes on', async () => {
    const steps: FakeSteps = { ...happySteps(), restoreData: failing('journey-password-needed') };
    const actor = actorIn(
      'restoreFailed',
      contextWith({ chosenBackup: ENCRYPTED_BACKUP, phone: { ...LOCKED_TRUSTED_5S, mode: 'recovery' } }),
      steps,
    );
    actor.send({ type: 'retry' });
    await waitFor(actor, at('backupPassword'));
    expect(actor.getSnapshot().context).toMatchObject({ afterPassword: 'data', problem: { code: 'journey-password-needed' } });
    steps.restoreData = happySteps().restoreData;
    actor.send({ type: 'checkPassword' });
    await waitFor(actor, at('newPasscode'));
  });

  it('offers setting the phone up without the data when putting it back fails', async () => {
    const steps = { ...happySteps(), restoreData: failing('backup-unavailable') };
    const actor = actorIn(
      'restoreFailed',
      contextWith({ chosenBackup: PLAIN_BACKUP, phone: { ...LOCKED_TRUSTED_5S, mode: 'recovery' } }),
      steps,
    );
    actor.send({ type: 'retry' });
    await waitFor(actor, at('dataFailed'));
    actor.send({ type: 'skipBackupRestore' });
    expect(actor.getSnapshot().value).toBe('newPasscode');
  });

  it('waits for the phone, then looks for its backups; a failed search still lets the person choose', async () => {
    const steps = { ...happySteps(), assess: failing('backup-unavailable') };
    const { actor } = startWith(steps, { ...LOCKED_TRUSTED_5S, connected: false });
    expect(actor.getSnapshot().value).toBe('waitingForPhone');
    actor.send({ type: 'phone', phone: LOCKED_TRUSTED_5S });
    await waitFor(actor, at('choosing'));
    expect(actor.getSnapshot().context.problem?.code).toBe('backup-unavailable');
  });

  it('stops the running step when the person cancels', () => {
    let aborted = false;
    const machine = fakeMachine(pendingSteps()).provide({
      actors: {
        backUp: fromPromise<JourneyBackup, PhoneInput>(
          ({ signal }) =>
            new Promise((_, reject) =>
              signal.addEventListener('abort', () => {
                aborted = true;
                reject(new Error('aborted'));
              }),
            ),
        ),
      },
    });
    const actor = createActor(machine, {
      snapshot: machine.resolveState({ value: 'choosing', context: contextWith() }) as never,
      input: { phoneId: 'x', phone: LOCKED_TRUSTED_5S },
    });
    actor.start();
    actor.send({ type: 'backUp' });
    expect(aborted).toBe(false);
    actor.send({ type: 'cancel' });
    expect(actor.getSnapshot().value).toBe('cancelled');
    expect(aborted).toBe(true);
    actor.stop();
  });
});
