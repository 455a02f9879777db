import { useState } from 'react';
import { RestoreRunStageSchema, type Problem, type RestoreChoice } from '../../common/api';
import { ActivationLockNote } from '../components/activation-lock-note';
import { ProblemSteps } from '../components/problem-steps';
import { RestoreChoicePicker } from '../components/restore-choice';
import { RestoreConfirm } from '../components/restore-confirm';
import { RestoreOutcome } from '../components/restore-outcome';
import { RestoreProgressPanel } from '../components/restore-progress-panel';
import { StatusAnnouncer } from '../components/status-announcer';
import { useFirmwareStatus } from '../components/use-firmware-status';
import { describeReady, readyFrom } from '../firmware-words';
import { commandProblem } from '../hooks/use-command';
import { TOOLS } from '../navigation';
import { RESTORE_CHOICES, RESTORE_STAGE_NAMES } from '../restore-words';
import { navigate } from '../store/lifeline-store';
import { useJobState } from '../store/use-job';
import { useLifeline, useLifelineApi, useLifelineStore } from '../store/use-lifeline';

/**
 * Erase or update one phone: choose (with what each costs), confirm, then the stages with progress and ETA, then what
 * happens next on the phone — or the Problem with its next steps. Progress re-renders only the progress panel.
 */
export function RestoreScreen({ phoneId, job }: { phoneId: string; job: string | null }) {
  const store = useLifelineStore();
  const api = useLifelineApi();
  // The phone leaves the list while it reboots; the name it had is kept.
  const seenName = useLifeline((s) => {
    const phone = s.phones.find((p) => p.id === phoneId);
    return phone ? (phone.deviceName ?? phone.model.name) : null;
  });
  const [name] = useState(() => seenName ?? 'the phone');
  const productType = useLifeline((s) => s.phones.find((p) => p.id === phoneId)?.model.productType ?? null);
  const modelKnown = useLifeline((s) =>
    s.phones.some((p) => p.id === phoneId && p.model.productType !== null && p.model.boardConfig !== null),
  );
  const state = useJobState(job);
  const problem = useLifeline((s) => (job ? (s.jobs[job]?.problem ?? null) : null));
  const result = useLifeline((s) => (job ? s.jobs[job]?.result : undefined));
  const phase = useLifeline((s) => (job ? (s.jobs[job]?.progress?.phase ?? null) : null));
  const firmware = readyFrom(useFirmwareStatus(phoneId, job === null && modelKnown));
  const [choice, setChoice] = useState<RestoreChoice | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [starting, setStarting] = useState(false);
  const [startProblem, setStartProblem] = useState<Problem | null>(null);

  const start = (chosen: RestoreChoice): void => {
    setStarting(true);
    setStartProblem(null);
    api.invoke('restore.start', { choice: chosen, phoneId, ...(chosen === 'erase' ? { confirmed: true } : {}) }).then(
      ({ job: started }) => navigate(store, { screen: 'restore', phoneId, job: started }),
      (error: unknown) => {
        setStarting(false);
        setStartProblem(commandProblem(error, 'The restore could not start.'));
      },
    );
  };
  const again = (): void => navigate(store, { screen: 'restore', phoneId, job: null });
  const cancel = (): void => {
    if (job) void api.invoke('jobs.cancel', { job });
  };

  const stage = RestoreRunStageSchema.safeParse(phase);
  const status =
    state === null
      ? ''
      : state === 'running'
        ? stage.success
          ? RESTORE_STAGE_NAMES[stage.data]
          : 'Starting the restore.'
        : state === 'succeeded'
          ? 'Restore finished.'
          : state === 'cancelled'
            ? 'Restore cancelled.'
            : `The restore stopped: ${problem?.title ?? 'unknown problem'}.`;

  return (
    <main className="screen" aria-labelledby="restore-title">
      <h1 id="restore-title">Restore {name}</h1>
      <button type="button" onClick={() => navigate(store, TOOLS)}>
        Back to phones
      </button>

      {job === null && (
        <section className="restore-start" aria-labelledby="restore-start-title">
          <h2 id="restore-start-title">{confirming && choice ? RESTORE_CHOICES[choice].title : 'Erase or update'}</h2>
          <p className="restore-firmware">
            {firmware
              ? `${describeReady(firmware)}.`
              : 'Lifeline first downloads the newest iOS Apple signs for this phone and checks it, before anything happens to the phone.'}
          </p>
          {confirming && choice === 'erase' && <ActivationLockNote phoneId={phoneId} />}
          {confirming && choice ? (
            <RestoreConfirm
              choice={choice}
              phoneName={name}
              starting={starting}
              onConfirm={() => start(choice)}
              onBack={() => setConfirming(false)}
            />
          ) : (
            <>
              <RestoreChoicePicker choice={choice} onChoose={setChoice} />
              <button type="button" className="primary" disabled={choice === null} onClick={() => setConfirming(true)}>
                Continue
              </button>
            </>
          )}
          {startProblem && (
            <div role="alert" className="restore-outcome restore-outcome-failed">
              <p className="restore-problem-title">{startProblem.title}</p>
              <ProblemSteps problem={startProblem} />
            </div>
          )}
        </section>
      )}

      {job !== null && (state === 'running' || state === null) && <RestoreProgressPanel job={job} onCancel={cancel} />}
      {job !== null && state !== null && state !== 'running' && (
        <RestoreOutcome state={state} result={result} problem={problem} productType={productType} onAgain={again} />
      )}

      <StatusAnnouncer message={status} />
    </main>
  );
}
