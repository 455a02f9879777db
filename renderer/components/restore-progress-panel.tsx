import { RESTORE_RUN_STAGES, RestoreRunStageSchema } from '../../common/api';
import { formatEta } from '../progress-words';
import { RESTORE_STAGE_NAMES, restoreCancellable } from '../restore-words';
import { useJob } from '../store/use-job';

/** A running restore: the bar, the stage list (done, now, to come), the ETA and, while it still changes nothing, Cancel. */
export function RestoreProgressPanel({ job, onCancel }: { job: string; onCancel(): void }) {
  const summary = useJob(job);
  const progress = summary?.progress ?? null;
  const parsed = RestoreRunStageSchema.safeParse(progress?.phase);
  const stage = parsed.success ? parsed.data : null;
  const at = stage === null ? -1 : RESTORE_RUN_STAGES.indexOf(stage);
  const percent = progress?.fraction === null || progress?.fraction === undefined ? null : Math.floor(progress.fraction * 100);
  const details = [
    percent !== null ? `${percent}%` : null,
    progress?.bytesPerSecond ? `${(progress.bytesPerSecond / 1e6).toFixed(1)} MB/s` : null,
    formatEta(progress?.etaSeconds),
  ].filter((part): part is string => part !== null);
  return (
    <section className="restore-progress" aria-labelledby="restore-progress-title">
      <h2 id="restore-progress-title">{stage ? RESTORE_STAGE_NAMES[stage] : 'Starting'}</h2>
      <p className="restore-message">{progress?.message ?? 'Starting the restore…'}</p>
      <progress max={100} value={percent ?? undefined} aria-label="Restore progress">
        {percent === null ? '' : `${percent}%`}
      </progress>
      {details.length > 0 && <p className="restore-details">{details.join(' · ')}</p>}
      <ol className="restore-stages" aria-label="Stages">
        {RESTORE_RUN_STAGES.map((name, index) => {
          const state = index < at ? 'done' : index === at ? 'now' : 'later';
          return (
            <li key={name} data-state={state} aria-current={state === 'now' ? 'step' : undefined}>
              <span className="restore-stage-mark" aria-hidden="true">
                {state === 'done' ? '✓' : state === 'now' ? '▸' : '·'}
              </span>
              {RESTORE_STAGE_NAMES[name]}
              {state === 'done' && <span className="visually-hidden"> (done)</span>}
            </li>
          );
        })}
      </ol>
      {restoreCancellable(stage) ? (
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      ) : (
        <p className="restore-hint">The restore can no longer be cancelled. Keep the phone plugged in.</p>
      )}
    </section>
  );
}
