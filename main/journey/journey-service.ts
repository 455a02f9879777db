/**
 * One journey actor per phone: started from the registry's phone, fed its changes, saved on every transition and
 * revived from its saved file when the phone is seen again (after a crash, a quit, a reboot or an unplug).
 */
import { createActor, fromPromise, type Actor, type SnapshotFrom } from 'xstate';
import { ProblemError, type Problem, type Progress } from '../../common/api';
import type { JourneyActRequest, JourneyActionId, JourneyBackup, JourneySnapshot, JourneyState } from '../../common/contract/journey';
import type { Phone } from '../../common/phone';
import {
  ERASE_PHRASE,
  journeyMachine,
  type BackupInput,
  type DataInput,
  type JourneyCoachOutcome,
  type JourneyEvent,
  type JourneyPhone,
  type PhoneInput,
  type RestoreInput,
} from './journey-machine';
import { JOURNEY_FILE_VERSION, type JourneyStore, type PersistedJourney, type SavedJourney } from './journey-store';
import { journeySnapshotView, type JourneyLive } from './journey-view';
import { resumePoint } from './journey-resume';

/** What a step's work gets: its signal, and where to say which job runs it and how far it is. */
export type StepRun = { signal: AbortSignal; onJob(job: string): void; onProgress(progress: Progress): void };

/** The domain services the journey composes, as the engine wires them (tests wire fakes). */
export type JourneyPorts = {
  assess(input: PhoneInput, run: StepRun): Promise<{ backups: JourneyBackup[] }>;
  backUp(input: PhoneInput, run: StepRun): Promise<JourneyBackup>;
  checkPassword(input: BackupInput & { password: string }, run: StepRun): Promise<boolean>;
  prepareFirmware(input: PhoneInput, run: StepRun): Promise<{ version: string; build: string }>;
  enterRecovery(input: PhoneInput, run: StepRun): Promise<void>;
  coach(input: PhoneInput, run: StepRun): Promise<JourneyCoachOutcome & { attempt: string }>;
  restore(input: RestoreInput, run: StepRun): Promise<{ version: string; build: string }>;
  restoreData(input: DataInput & { password: string | undefined }, run: StepRun): Promise<{ files: number }>;
};

export type JourneyPhoneSource = { list(): Phone[]; onChange(listener: () => void): () => void };

export type JourneyServiceOptions = {
  store: JourneyStore;
  phones: JourneyPhoneSource;
  ports: JourneyPorts;
  /** The phone's opaque public id (`ph-…`): the journey file's name. */
  publicIdOf(phoneId: string): string;
  changed(snapshot: JourneySnapshot): void;
  /** A saved journey that could not be read was set aside. */
  setAside?(problem: Problem): void;
  now?(): Date;
  /** At most this often a progress update alone re-sends the snapshot (transitions always do). */
  progressIntervalMs?: number;
};

type JourneyActor = Actor<typeof journeyMachine>;
type Entry = {
  publicId: string;
  phoneId: string;
  actor: JourneyActor | null;
  /** The last saved snapshot (all a dormant journey has). */
  saved: PersistedJourney;
  live: JourneyLive;
  lastProgressEmit: number;
  lastState: JourneyState | null;
};

const IDENTIFIED_PHONE_ID = /^[0-9A-F]{16}$/;

export class JourneyService {
  private readonly entries = new Map<string, Entry>();
  /** Encrypted backups' passwords, per phone, in memory only: never saved, never logged. */
  private readonly passwords = new Map<string, string>();
  private readonly detach: () => void;
  private readonly now: () => Date;

  constructor(private readonly options: JourneyServiceOptions) {
    this.now = options.now ?? (() => new Date());
    const { journeys, setAside } = options.store.loadAll();
    for (const problem of setAside) options.setAside?.(problem);
    for (const journey of journeys) {
      this.entries.set(journey.publicId, {
        publicId: journey.publicId,
        phoneId: journey.phoneId,
        actor: null,
        saved: journey.snapshot,
        live: idle(),
        lastProgressEmit: 0,
        lastState: null,
      });
    }
    this.detach = options.phones.onChange(() => this.phonesChanged());
    this.phonesChanged();
  }

  list(): JourneySnapshot[] {
    return [...this.entries.values()].map((entry) => this.view(entry));
  }

  /** The phone's journey: resumed when one is saved, else a new one. */
  start(phoneId: string): JourneySnapshot {
    const existing = this.entryOfPhone(phoneId);
    if (existing) {
      if (!existing.actor) this.revive(existing, this.phoneOf(phoneId));
      return this.view(existing);
    }
    const phone = this.phoneOf(phoneId);
    if (!phone) throw new ProblemError('journey-no-phone');
    if (phone.identifying || !IDENTIFIED_PHONE_ID.test(phone.id)) throw new ProblemError('journey-not-identified');
    const publicId = this.options.publicIdOf(phoneId);
    const entry: Entry = {
      publicId,
      phoneId,
      actor: null,
      saved: null as unknown as PersistedJourney,
      live: idle(),
      lastProgressEmit: 0,
      lastState: null,
    };
    this.entries.set(publicId, entry);
    this.run(entry, createActor(this.machine(entry), { input: { phoneId, phone: journeyPhone(phone) } }));
    return this.view(entry);
  }

  act(request: JourneyActRequest): JourneySnapshot {
    const entry = this.entryOfPhone(request.phoneId);
    if (!entry) throw new ProblemError('journey-no-phone');
    if (!entry.actor) this.revive(entry, this.phoneOf(request.phoneId));
    const actor = entry.actor;
    const state = actor?.getSnapshot().value as JourneyState | undefined;
    const event = eventOf(request);
    if (!actor || !event || !actor.getSnapshot().can(event)) {
      if (request.action === 'confirmErase' && state === 'confirmErase')
        throw new ProblemError('journey-confirmation-mismatch', { phrase: ERASE_PHRASE });
      throw new ProblemError('journey-action-not-now', { action: request.action, state: state ?? entry.saved.value });
    }
    if (request.action === 'checkPassword') this.passwords.set(entry.phoneId, request.password ?? '');
    actor.send(event);
    return this.view(entry);
  }

  /** Forgets a journey that is over (done or cancelled); a running one is not forgotten. */
  forget(phoneId: string): boolean {
    const entry = this.entryOfPhone(phoneId);
    if (!entry) return false;
    const state = (entry.actor?.getSnapshot().value ?? entry.saved.value) as JourneyState;
    if (state !== 'done' && state !== 'cancelled') return false;
    entry.actor?.stop();
    this.entries.delete(entry.publicId);
    this.passwords.delete(entry.phoneId);
    this.options.store.remove(entry.publicId);
    return true;
  }

  /** Stops every actor (their step work is aborted); the saved files stay for the next start. */
  close(): void {
    this.detach();
    for (const entry of this.entries.values()) {
      const actor = entry.actor;
      entry.actor = null;
      actor?.stop();
    }
  }

  private entryOfPhone(phoneId: string): Entry | undefined {
    return [...this.entries.values()].find((entry) => entry.phoneId === phoneId);
  }

  private phoneOf(phoneId: string): Phone | undefined {
    return this.options.phones.list().find((phone) => phone.id === phoneId);
  }

  private phonesChanged(): void {
    for (const entry of this.entries.values()) {
      const phone = this.phoneOf(entry.phoneId);
      if (!entry.actor) {
        // A saved journey comes back to life when its phone (same ECID, any mode) is seen and known.
        if (phone && !phone.identifying && entry.saved.status === 'active') this.revive(entry, phone);
        continue;
      }
      // A finished journey (done, cancelled) takes no more events; its screen keeps the phone as it last was.
      if (entry.actor.getSnapshot().status !== 'active') continue;
      const known = entry.actor.getSnapshot().context.phone;
      const next = phone ? keepName(journeyPhone(phone), known) : { ...known, connected: false };
      if (!samePhone(next, known)) entry.actor.send({ type: 'phone', phone: next });
    }
  }

  private revive(entry: Entry, phone: Phone | undefined): void {
    const current = phone ? keepName(journeyPhone(phone), entry.saved.context.phone) : { ...entry.saved.context.phone, connected: false };
    const snapshot = resumePoint(entry.saved, current);
    const actor = createActor(this.machine(entry), { snapshot: snapshot as never, input: { phoneId: entry.phoneId, phone: current } });
    this.run(entry, actor);
    actor.send({ type: 'phone', phone: current });
  }

  private run(entry: Entry, actor: JourneyActor): void {
    entry.actor = actor;
    actor.subscribe({
      next: (snapshot) => this.transitioned(entry, actor, snapshot),
      error: () => undefined,
    });
    actor.start();
    this.transitioned(entry, actor, actor.getSnapshot());
  }

  private transitioned(entry: Entry, actor: JourneyActor, snapshot: SnapshotFrom<typeof journeyMachine>): void {
    if (entry.actor !== actor) return;
    const state = snapshot.value as JourneyState;
    if (state !== entry.lastState) entry.live = idle();
    entry.lastState = state;
    const persisted = actor.getPersistedSnapshot() as unknown as PersistedJourney;
    entry.saved = persisted;
    const saved: SavedJourney = {
      version: JOURNEY_FILE_VERSION,
      publicId: entry.publicId,
      phoneId: entry.phoneId,
      savedAt: this.now().toISOString(),
      snapshot: persisted,
    };
    this.options.store.save(saved);
    this.options.changed(this.view(entry));
  }

  private view(entry: Entry): JourneySnapshot {
    const snapshot = entry.actor?.getSnapshot();
    const state = (snapshot?.value ?? entry.saved.value) as JourneyState;
    const context = snapshot?.context ?? entry.saved.context;
    return journeySnapshotView({
      state,
      context,
      publicId: entry.publicId,
      live: entry.live,
      can: (action) => {
        if (!snapshot || snapshot.status !== 'active') return false;
        const event = eventOf({ action, typed: ERASE_PHRASE, password: 'any', backupId: context.backups[0]?.id ?? '' });
        return event !== null && snapshot.can(event);
      },
      now: this.now(),
    });
  }

  /** The chart with this phone's ports: each step's work reports its job and progress into the entry. */
  private machine(entry: Entry) {
    const { ports } = this.options;
    const runOf = (signal: AbortSignal): StepRun => ({
      signal,
      onJob: (job) => {
        entry.live = { job, progress: null };
        this.emitLive(entry, true);
      },
      onProgress: (progress) => {
        entry.live = { job: entry.live.job ?? progress.job, progress };
        this.emitLive(entry, false);
      },
    });
    return journeyMachine.provide({
      actors: {
        assess: fromPromise(({ input, signal }: { input: PhoneInput; signal: AbortSignal }) => ports.assess(input, runOf(signal))),
        backUp: fromPromise(({ input, signal }: { input: PhoneInput; signal: AbortSignal }) => ports.backUp(input, runOf(signal))),
        checkPassword: fromPromise(({ input, signal }: { input: BackupInput; signal: AbortSignal }) => {
          const password = this.passwords.get(input.phoneId);
          if (password === undefined) return Promise.reject(new ProblemError('journey-password-needed'));
          return ports.checkPassword({ ...input, password }, runOf(signal));
        }),
        prepareFirmware: fromPromise(({ input, signal }: { input: PhoneInput; signal: AbortSignal }) =>
          ports.prepareFirmware(input, runOf(signal)),
        ),
        enterRecovery: fromPromise(({ input, signal }: { input: PhoneInput; signal: AbortSignal }) =>
          ports.enterRecovery(input, runOf(signal)),
        ),
        coach: fromPromise(({ input, signal }: { input: PhoneInput; signal: AbortSignal }) => ports.coach(input, runOf(signal))),
        restore: fromPromise(({ input, signal }: { input: RestoreInput; signal: AbortSignal }) => ports.restore(input, runOf(signal))),
        restoreData: fromPromise(({ input, signal }: { input: DataInput; signal: AbortSignal }) => {
          const password = this.passwords.get(input.phoneId);
          if (input.encrypted && password === undefined) return Promise.reject(new ProblemError('journey-password-needed'));
          return ports.restoreData({ ...input, password }, runOf(signal));
        }),
      },
    });
  }

  private emitLive(entry: Entry, always: boolean): void {
    const now = Date.now();
    if (!always && now - entry.lastProgressEmit < (this.options.progressIntervalMs ?? 100)) return;
    entry.lastProgressEmit = now;
    this.options.changed(this.view(entry));
  }
}

function idle(): JourneyLive {
  return { job: null, progress: null };
}

/** The person's action as the chart's event (null when it lacks what it needs). */
export function eventOf(request: Pick<JourneyActRequest, 'action' | 'backupId' | 'typed' | 'password'>): JourneyEvent | null {
  const action: JourneyActionId = request.action;
  switch (action) {
    case 'useBackup':
      return request.backupId !== undefined ? { type: 'useBackup', backupId: request.backupId } : null;
    case 'confirmErase':
      return { type: 'confirmErase', typed: request.typed ?? '' };
    case 'checkPassword':
      return request.password !== undefined ? { type: 'checkPassword' } : null;
    default:
      return { type: action };
  }
}

/** The registry's phone in the journey's words. */
export function journeyPhone(phone: Phone): JourneyPhone {
  return {
    name: phone.deviceName ?? phone.model.name,
    modelName: phone.model.name,
    mode: phone.mode,
    connected: phone.connected,
    identifying: phone.identifying,
    trusted: phone.trusted,
    passcodeSet: phone.passcodeSet,
    iosVersion: phone.iosVersion,
    canBackUp: phone.triage.canBackUp,
    triageHeadline: phone.triage.headline,
    triageReason: phone.triage.reason,
  };
}

/**
 * A journey keeps the name its phone had when it was first known by one: in recovery mode a phone tells no name, and
 * after the erase it is plain "iPhone" until the backup brings the person's name back.
 */
function keepName(next: JourneyPhone, known: JourneyPhone): JourneyPhone {
  return known.name !== known.modelName ? { ...next, name: known.name } : next;
}

function samePhone(a: JourneyPhone, b: JourneyPhone): boolean {
  return (Object.keys(a) as (keyof JourneyPhone)[]).every((key) => a[key] === b[key]);
}
