import { useState } from 'react';
import { BackupResultSchema, problemOf, type JobSummary, type Progress } from '../../common/api';
import { BackupList, formatSize, useBackups } from '../components/backup-list';
import { StatusAnnouncer } from '../components/status-announcer';
import { ProblemSteps } from '../components/problem-steps';
import { TOOLS } from '../navigation';
import { formatEta } from '../progress-words';
import { navigate } from '../store/lifeline-store';
import { useLifeline, useLifelineApi, useLifelineStore } from '../store/use-lifeline';
import { ChoosePathButton } from '../components/choose-path-button';

function progressWords(progress: Progress | null): string {
  if (!progress) return 'Starting the backup…';
  return progress.message;
}

/** A backup in progress (or just finished): progress, cancel, the result or the problem, and this phone's backups. */
export function BackupScreen({ phoneId, job }: { phoneId: string; job: string | null }) {
  const store = useLifelineStore();
  const api = useLifelineApi();
  const phone = useLifeline((s) => s.phones.find((p) => p.id === phoneId) ?? null);
  const summary: JobSummary | null = useLifeline((s) => (job ? (s.jobs[job] ?? null) : null));
  const [currentJob, setCurrentJob] = useState(job);
  const running = summary?.state === 'running' || (currentJob !== null && summary === null);
  const { backups } = useBackups(phoneId, summary?.state ?? null);
  const [startProblem, setStartProblem] = useState<string | null>(null);
  // Empty = the standard folder Finder / iTunes use. (The desktop app will offer a folder picker here.)
  const [folder, setFolder] = useState('');
  const name = phone?.deviceName ?? phone?.model.name ?? 'your iPhone';
  const progress = summary?.progress ?? null;

  const cancel = (): void => {
    if (currentJob) void api.invoke('jobs.cancel', { job: currentJob });
  };
  const start = (): void => {
    setStartProblem(null);
    const directory = folder.trim();
    api.invoke('backup.start', { phoneId, ...(directory ? { directory } : {}) }).then(
      ({ job: started }) => {
        setCurrentJob(started);
        navigate(store, { screen: 'backup', phoneId, job: started });
      },
      (error: unknown) => setStartProblem(problemOf(error)?.title ?? 'The backup could not start.'),
    );
  };

  let status: string;
  let outcome: React.ReactNode = null;
  if (!summary || summary.state === 'running') {
    status = currentJob ? progressWords(progress) : '';
  } else if (summary.state === 'succeeded') {
    const parsed = BackupResultSchema.safeParse(summary.result);
    status = 'Backup complete.';
    outcome = (
      <section className="backup-outcome backup-outcome-ok" aria-labelledby="backup-done-title">
        <h2 id="backup-done-title">Backup complete</h2>
        {parsed.success && (
          <p>
            {parsed.data.files} files, {formatSize(parsed.data.bytes)}, in {Math.round(parsed.data.seconds)} s
            {parsed.data.encrypted ? ' (encrypted by the phone)' : ''}. Saved in <span className="backup-path">{parsed.data.path}</span>
          </p>
        )}
      </section>
    );
  } else if (summary.state === 'cancelled') {
    status = 'Backup cancelled. Your previous backup is unchanged.';
    outcome = (
      <section className="backup-outcome" aria-labelledby="backup-cancelled-title">
        <h2 id="backup-cancelled-title">Backup cancelled</h2>
        <p>Your previous backup, if there was one, is unchanged.</p>
      </section>
    );
  } else {
    const problem = summary.problem;
    status = summary.state === 'interrupted' ? 'The backup was interrupted.' : `Backup failed: ${problem?.title ?? 'unknown problem'}.`;
    outcome = (
      <section className="backup-outcome backup-outcome-failed" aria-labelledby="backup-failed-title">
        <h2 id="backup-failed-title">{problem?.title ?? 'The backup failed'}</h2>
        <ProblemSteps problem={problem} />
      </section>
    );
  }

  const percent = progress?.fraction === null || progress?.fraction === undefined ? null : Math.floor(progress.fraction * 100);
  const details = [
    progress?.filesDone !== undefined ? `${progress.filesDone} files` : null,
    progress?.bytesDone !== undefined
      ? `${formatSize(progress.bytesDone)}${progress.bytesTotal ? ` of ${formatSize(progress.bytesTotal)}` : ''}`
      : null,
    progress?.bytesPerSecond ? `${(progress.bytesPerSecond / 1e6).toFixed(1)} MB/s` : null,
    formatEta(progress?.etaSeconds),
  ].filter((part): part is string => part !== null);

  return (
    <main className="screen" aria-labelledby="backup-title">
      <h1 id="backup-title">Back up {name}</h1>
      <button type="button" onClick={() => navigate(store, TOOLS)}>
        Back to phones
      </button>

      {running && (
        <section className="backup-progress" aria-labelledby="backup-progress-title">
          <h2 id="backup-progress-title">{progress?.phase === 'passcode' ? 'Enter the passcode on the phone' : 'Backing up'}</h2>
          <p className="backup-phase">{progressWords(progress)}</p>
          <progress max={100} value={percent ?? undefined} aria-label="Backup progress">
            {percent === null ? '' : `${percent}%`}
          </progress>
          {details.length > 0 && <p className="backup-details">{details.join(' · ')}</p>}
          <p>Keep the phone plugged in. Your previous backup stays untouched until the new one is complete.</p>
          <button type="button" onClick={cancel}>
            Cancel backup
          </button>
        </section>
      )}

      {outcome}

      {!running && phone?.connected && phone.triage.canBackUp && (
        <section className="backup-start" aria-label="Start a backup">
          <details>
            <summary>Save somewhere else</summary>
            <label htmlFor="backup-folder">Folder for the backup (full path; leave empty for the standard backup folder)</label>
            <input
              id="backup-folder"
              type="text"
              value={folder}
              onChange={(event) => setFolder(event.target.value)}
              spellCheck={false}
              autoComplete="off"
            />
            <ChoosePathButton purpose="backup-folder" onChosen={setFolder} />
          </details>
          <button type="button" className="primary" onClick={start}>
            {summary ? 'Back up again' : 'Back up now'}
          </button>
        </section>
      )}
      {startProblem && <p role="alert">{startProblem}</p>}

      <section aria-labelledby="backup-existing-title">
        <h2 id="backup-existing-title">Backups of this phone on this computer</h2>
        {backups === null ? <p>Looking…</p> : backups.length === 0 ? <p>None found yet.</p> : <BackupList backups={backups} />}
      </section>

      <StatusAnnouncer message={status} />
    </main>
  );
}
