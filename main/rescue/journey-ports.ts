/**
 * The journey's steps wired to the engine's own commands (docs/journey.md#steps): each step starts the same job a
 * screen or the CLI would (backup.start, firmware.prepare, recovery.enter, coach.start, restore.start, backup.restore)
 * and follows it to its outcome, so the journey, the screens and the jobs list always agree.
 */
import {
  ProblemError,
  type BackupSummary,
  type CommandName,
  type CommandRequest,
  type CommandResponse,
  type CoachAttempt,
  type EventName,
  type EventPayload,
  type JobSummary,
  type Unsubscribe,
} from '../../common/api';
import type { JourneyBackup } from '../../common/contract/journey';
import type { Phone } from '../../common/phone';
import type { JourneyPorts, StepRun } from '../journey/journey-service';
import { backupLabel } from '../journey/journey-view';
import type { JobRunner } from './jobs';

export type JourneyPortDeps = {
  call<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<CommandResponse<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe;
  jobs: Pick<JobRunner, 'get' | 'cancel'>;
  phones: { list(): Phone[]; onChange(listener: () => void): Unsubscribe };
  /** How long a step waits for its phone to come back (between modes, after a restart). */
  phoneWaitMs?: number;
  now?(): Date;
};

const DEFAULT_PHONE_WAIT_MS = 5 * 60_000;

export function journeyPorts(deps: JourneyPortDeps): JourneyPorts {
  const now = deps.now ?? (() => new Date());
  const toJourneyBackup = (backup: BackupSummary): JourneyBackup => ({
    id: backup.id,
    date: backup.date,
    sizeBytes: backup.sizeBytes,
    encrypted: backup.encrypted,
    label: backupLabel(backup.date, now()),
  });
  const backupsOf = async (phoneId: string): Promise<BackupSummary[]> => {
    const { backups } = await deps.call('backup.list', { phoneId });
    return backups.filter((backup) => backup.complete).sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
  };
  const waitForPhone = (phoneId: string, ready: (phone: Phone) => boolean, run: StepRun) =>
    phoneWhen(deps.phones, phoneId, ready, deps.phoneWaitMs ?? DEFAULT_PHONE_WAIT_MS, run.signal);

  return {
    assess: async ({ phoneId }) => ({ backups: (await backupsOf(phoneId)).map(toJourneyBackup) }),

    backUp: async ({ phoneId }, run) => {
      const { job } = await deps.call('backup.start', { phoneId });
      const result = (await followJob(deps, job, run)) as { path: string; encrypted: boolean; udid: string };
      const made = (await backupsOf(phoneId)).find((backup) => backup.path === result.path);
      return made
        ? toJourneyBackup(made)
        : { id: result.udid, date: now().toISOString(), sizeBytes: null, encrypted: result.encrypted, label: 'the backup from today' };
    },

    checkPassword: async ({ backupId, password }) => (await deps.call('backup.checkPassword', { backupId, password })).correct,

    prepareFirmware: async ({ phoneId }, run) => {
      const { job } = await deps.call('firmware.prepare', { phoneId });
      const prepared = (await followJob(deps, job, run)) as { version: string; build: string; catalogVerified: boolean; path: string };
      if (!prepared.catalogVerified) throw new ProblemError('firmware-unverified', { file: prepared.path });
      return { version: prepared.version, build: prepared.build };
    },

    enterRecovery: async ({ phoneId }, run) => {
      const { job } = await deps.call('recovery.enter', { phoneId });
      await followJob(deps, job, run);
    },

    coach: async ({ phoneId }, run) => {
      let last: CoachAttempt | null = null;
      const offCoach = deps.on('coach.changed', (attempt) => {
        if (attempt.phoneId === phoneId && (last === null || attempt.attempt === last.attempt)) last = attempt;
      });
      try {
        const attempt = await deps.call('coach.start', { phoneId, goal: 'recovery' });
        last = attempt;
        await followJob(deps, attempt.job, run);
        const outcome = (last as CoachAttempt | null)?.outcome ?? null;
        return outcome
          ? {
              attempt: attempt.attempt,
              success: outcome.success,
              headline: outcome.headline,
              detail: outcome.detail,
              nextSteps: outcome.nextSteps,
            }
          : {
              attempt: attempt.attempt,
              success: false,
              headline: 'The phone did not change',
              detail: 'Lifeline saw no restart this time.',
              nextSteps: ['Try again, holding the buttons a little longer.'],
            };
      } finally {
        offCoach();
      }
    },

    restore: async ({ phoneId, firmwareVersion }, run) => {
      // A phone still in restore mode runs the ramdisk of a restore that stopped with Lifeline: once that ramdisk
      // gives up on its computer the phone restarts (docs/journey.md#resuming), and the restore starts again then.
      const phone = await waitForPhone(phoneId, (p) => p.connected && !p.identifying && p.mode !== 'restore', run);
      if (phone.mode === 'normal') {
        // A phone already running the new iOS, fresh and without a passcode, finished its restore before a crash.
        if (firmwareVersion !== null && phone.iosVersion === firmwareVersion && phone.passcodeSet === false) {
          return { version: firmwareVersion, build: phone.buildVersion ?? '' };
        }
        throw new ProblemError('journey-left-recovery');
      }
      const { job } = await deps.call('restore.start', { choice: 'erase', confirmed: true, phoneId });
      const result = (await followJob(deps, job, run)) as { firmware: { version: string; build: string } };
      return result.firmware;
    },

    restoreData: async ({ phoneId, backupId, password }, run) => {
      // After the restore the phone starts the new iOS and shows up again (same ECID) in normal mode.
      await waitForPhone(phoneId, (p) => p.connected && !p.identifying && p.mode === 'normal', run);
      const { job } = await deps.call('backup.restore', { phoneId, backupId, ...(password !== undefined ? { password } : {}) });
      const result = (await followJob(deps, job, run)) as { files: number };
      return { files: result.files };
    },
  };
}

/** A job to its outcome: its progress to the step, cancelled when the step is left, its Problem when it fails. */
export function followJob(deps: Pick<JourneyPortDeps, 'on' | 'jobs'>, job: string, run: StepRun): Promise<unknown> {
  run.onJob(job);
  return new Promise((resolve, reject) => {
    const offProgress = deps.on('progress', (progress) => {
      if (progress.job === job) run.onProgress(progress);
    });
    const offJobs = deps.on('jobs.changed', (summary) => {
      if (summary.job === job) settle(summary);
    });
    const onAbort = () => deps.jobs.cancel(job);
    run.signal.addEventListener('abort', onAbort, { once: true });
    function settle(summary: JobSummary): void {
      if (summary.state === 'running') return;
      offProgress();
      offJobs();
      run.signal.removeEventListener('abort', onAbort);
      if (summary.state === 'succeeded') resolve(summary.result);
      else if (summary.state === 'cancelled' && summary.problem === null) reject(new DOMException('cancelled', 'AbortError'));
      else if (summary.problem) reject(ProblemError.forward(summary.problem));
      else reject(new ProblemError('internal', { message: `job ${summary.state}` }));
    }
    const current = deps.jobs.get(job);
    if (current) settle(current);
    if (run.signal.aborted) onAbort();
  });
}

/** The phone once `ready` holds (now or after a change), within `waitMs`; else the journey's "not connected" Problem. */
export function phoneWhen(
  phones: JourneyPortDeps['phones'],
  phoneId: string,
  ready: (phone: Phone) => boolean,
  waitMs: number,
  signal: AbortSignal,
): Promise<Phone> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const phone = phones.list().find((p) => p.id === phoneId);
      if (!phone || !ready(phone)) return false;
      done();
      resolve(phone);
      return true;
    };
    const off = phones.onChange(() => void check());
    const timer = setTimeout(() => {
      done();
      reject(new ProblemError('journey-phone-missing', { waitedSeconds: Math.round(waitMs / 1000) }));
    }, waitMs);
    const onAbort = () => {
      done();
      reject(new DOMException('cancelled', 'AbortError'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    function done(): void {
      off();
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) onAbort();
    else check();
  });
}
