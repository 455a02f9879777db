import { useState } from 'react';
import { problemOf } from '../../common/api';
import { StatusAnnouncer } from '../components/status-announcer';
import { useFirmwareStatus } from '../components/use-firmware-status';
import { useCommand } from '../hooks/use-command';
import { useProblemLine } from '../hooks/use-problem-line';
import { describeProgress, describeReady, describeSignedAsOf, readyFrom, runningFirmwareJob } from '../firmware-words';
import { TOOLS } from '../navigation';
import { navigate } from '../store/lifeline-store';
import { useLifeline, useLifelineApi, useLifelineStore } from '../store/use-lifeline';
import { ChoosePathButton } from '../components/choose-path-button';

const gb = (bytes: number | null): string => (bytes === null ? 'size unknown' : `${(bytes / 1e9).toFixed(2)} GB`);

/** The firmware for one phone: what Apple offers, the download with progress and cancel, or a local .ipsw. */
export function FirmwareScreen({ phoneId }: { phoneId: string }) {
  const api = useLifelineApi();
  const store = useLifelineStore();
  const phone = useLifeline((s) => s.phones.find((p) => p.id === phoneId) ?? null);
  const job = useLifeline((s) => runningFirmwareJob(s.jobs, phoneId));
  const lastOutcome = useLifeline(
    (s) =>
      Object.values(s.jobs)
        .filter((j) => j.phoneId === phoneId && j.kind.startsWith('firmware.') && j.state !== 'running')
        .sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''))
        .at(-1) ?? null,
  );
  const productType = phone?.model.productType ?? null;
  const boardConfig = phone?.model.boardConfig ?? null;
  const status = useFirmwareStatus(phoneId, productType !== null);
  const ready = readyFrom(status);
  const listing = useCommand('firmware.list', productType ? { productType, ...(boardConfig ? { boardConfig } : {}) } : null, {
    fallbackTitle: 'The firmware list could not be loaded.',
  });
  const list = listing.data;
  const { problem, report } = useProblemLine(listing, { successClears: false });
  const [localPath, setLocalPath] = useState('');

  const fail = (error: unknown): void => report(problemOf(error)?.title ?? 'That did not work.');
  const prepare = (): void => {
    report(null);
    api.invoke('firmware.prepare', { phoneId }).catch(fail);
  };
  const cancel = (): void => {
    if (job) api.invoke('jobs.cancel', { job: job.job }).catch(fail);
  };
  const submitLocal = (event: React.FormEvent): void => {
    event.preventDefault();
    report(null);
    if (localPath.trim() === '') return;
    api.invoke('firmware.useLocal', { path: localPath.trim(), phoneId }).catch(fail);
  };

  const outcome =
    lastOutcome?.state === 'failed' || lastOutcome?.state === 'interrupted'
      ? `${lastOutcome.problem?.title ?? 'It did not work'}. ${lastOutcome.problem?.detail ?? ''}`
      : lastOutcome?.state === 'cancelled'
        ? 'Stopped. What was downloaded is kept.'
        : '';
  const announcement = job ? describeProgress(job.progress) : ready ? describeReady(ready) : (problem ?? outcome);
  const fraction = job?.progress?.fraction ?? null;

  return (
    <main className="screen" aria-labelledby="firmware-title">
      <h1 id="firmware-title">iOS for {phone?.model.name ?? 'this iPhone'}</h1>
      <button type="button" onClick={() => navigate(store, TOOLS)}>
        Back to phones
      </button>
      <p className="lead">
        A restore needs Apple’s firmware for this exact iPhone. Lifeline gets it ready and checks it before you are asked to press any
        buttons.
      </p>

      <section className="firmware-panel" aria-labelledby="firmware-now">
        <h2 id="firmware-now">On this computer</h2>
        {job ? (
          <>
            <p>{describeProgress(job.progress)}</p>
            {fraction === null ? (
              <progress aria-label="Firmware progress" />
            ) : (
              <progress aria-label="Firmware progress" max={1} value={fraction} />
            )}
            <button type="button" onClick={cancel}>
              Stop
            </button>
          </>
        ) : ready ? (
          <>
            <p className="firmware-ready">{describeReady(ready)}</p>
            <p className="firmware-path">{ready.path}</p>
            {describeSignedAsOf(ready) && <p>{describeSignedAsOf(ready)} Apple makes the final check when the restore starts.</p>}
          </>
        ) : (
          <>
            <p>Not downloaded yet.</p>
            <button type="button" className="primary" onClick={prepare} disabled={!productType}>
              Get iOS ready
            </button>
          </>
        )}
        {outcome && !job && <p>{outcome}</p>}
      </section>

      <section className="firmware-panel" aria-labelledby="firmware-catalog">
        <h2 id="firmware-catalog">What Apple offers</h2>
        {list === null ? (
          <p>Checking Apple’s catalog…</p>
        ) : (
          <>
            {list.checkedAt && (
              <p>
                Checked {new Date(list.checkedAt).toLocaleString()}
                {list.offline ? ' (offline: from the last check)' : ''}.
              </p>
            )}
            <ul className="firmware-list">
              {list.entries.map((entry) => (
                <li key={entry.build}>
                  iOS {entry.version} ({entry.build}) —{' '}
                  {entry.signed === true ? 'signed' : entry.signed === false ? 'no longer signed' : 'signing not known'}, {gb(entry.size)}
                  {list.latest?.build === entry.build ? ' — recommended' : ''}
                </li>
              ))}
            </ul>
            {list.warnings.length > 0 && (
              <ul className="firmware-warnings">
                {list.warnings.map((warning) => (
                  <li key={warning}>{warning}</li>
                ))}
              </ul>
            )}
          </>
        )}
      </section>

      <section className="firmware-panel" aria-labelledby="firmware-local">
        <h2 id="firmware-local">Use a file you already have</h2>
        {/* The engine reads the file by path: the browser build asks for it; the desktop app also offers its native file dialog. */}
        <form onSubmit={submitLocal}>
          <label htmlFor="firmware-local-path">Full path of the .ipsw file on this computer</label>
          <input
            id="firmware-local-path"
            type="text"
            value={localPath}
            onChange={(event) => setLocalPath(event.target.value)}
            placeholder="/Users/you/Downloads/iPhone_4.0_64bit_12.5.8_Restore.ipsw"
          />
          <ChoosePathButton purpose="ipsw" onChosen={setLocalPath} />
          <button type="submit" disabled={job !== null || localPath.trim() === ''}>
            Check and use this file
          </button>
        </form>
        <p className="hint">Lifeline checks that the file is for this iPhone and, when Apple lists it, that it is intact.</p>
      </section>

      {problem && <p role="alert">{problem}</p>}
      <StatusAnnouncer message={announcement} />
    </main>
  );
}
