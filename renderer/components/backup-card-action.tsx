import { useState } from 'react';
import { problemOf } from '../../common/api';
import type { Phone } from '../../common/phone';
import { navigate } from '../store/lifeline-store';
import { useLifelineApi, useLifelineStore } from '../store/use-lifeline';
import { BackupList, useBackups } from './backup-list';

/**
 * "Back up now" when triage says a backup can work; otherwise the backups of this phone already on this
 * computer (the person's best hope when the phone itself can no longer be read).
 */
export function BackupCardAction({ phone }: { phone: Phone }) {
  const api = useLifelineApi();
  const store = useLifelineStore();
  const [problem, setProblem] = useState<string | null>(null);
  const canBackUp = phone.connected && phone.triage.canBackUp;
  if (canBackUp) {
    const start = (): void => {
      setProblem(null);
      api.invoke('backup.start', { phoneId: phone.id }).then(
        ({ job }) => navigate(store, { screen: 'backup', phoneId: phone.id, job }),
        (error: unknown) => setProblem(problemOf(error)?.title ?? 'The backup could not start.'),
      );
    };
    return (
      <>
        <button type="button" className="primary" onClick={start}>
          Back up now
        </button>
        {problem && (
          <p className="backup-card-problem" role="alert">
            {problem}
          </p>
        )}
      </>
    );
  }
  return <ExistingBackups phone={phone} />;
}

function ExistingBackups({ phone }: { phone: Phone }) {
  const { backups } = useBackups(phone.id);
  const headingId = `phone-${phone.id}-backups`;
  if (backups === null) return null;
  return (
    <section className="backup-existing" aria-labelledby={headingId}>
      <h4 id={headingId}>Backups of this phone on this computer</h4>
      {backups.length === 0 ? <p>None found in the usual backup folders.</p> : <BackupList backups={backups} headingLevel={4} contents />}
    </section>
  );
}
