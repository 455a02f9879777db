import { ProblemHelpLink } from '../../components/problem-help-link';
import { useJob } from '../../store/use-job';
import type { Shortcut, ShortcutKind } from './use-recovery-shortcut';

export function shortcutDoneWords(kind: ShortcutKind): string {
  return kind === 'exit' ? 'Done: the phone is starting normally.' : 'Done: the phone is in recovery mode.';
}

/** The recovery shortcut's job as it runs and ends. Subscribes to that one job, so its progress re-renders only this. */
export function CoachShortcutResult({ shortcut }: { shortcut: Shortcut }) {
  const job = useJob(shortcut.job);
  if (!job) return null;
  const title = shortcut.kind === 'exit' ? 'Exit recovery mode' : 'Recovery mode by software';
  return (
    <section className="coach-shortcut" aria-label={title} data-state={job.state}>
      {job.state === 'running' && <p>{job.progress?.message ?? 'Working…'}</p>}
      {job.state === 'succeeded' && <p>{shortcutDoneWords(shortcut.kind)}</p>}
      {(job.state === 'failed' || job.state === 'interrupted') && job.problem && (
        <>
          <p>
            <strong>{job.problem.title}.</strong> {job.problem.detail}
          </p>
          <ul>
            {job.problem.nextSteps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ul>
          <ProblemHelpLink url={job.problem.helpUrl} />
        </>
      )}
      {job.state === 'cancelled' && <p>Stopped.</p>}
    </section>
  );
}
