import type { JourneySnapshot } from '../../../common/contract/journey';
import { formatSize } from '../../components/backup-list';
import { describeTrust } from '../../phone-words';
import { useLifeline } from '../../store/use-lifeline';

/** The evidence behind the verdict: what Lifeline knows about the phone, in short lines. */
function useEvidence(phoneId: string): string[] {
  const phone = useLifeline((s) => s.phones.find((p) => p.id === phoneId) ?? null);
  if (!phone) return [];
  const lines: string[] = [];
  if (phone.trusted !== null)
    lines.push(phone.trusted ? 'This computer is trusted by the phone.' : 'This computer is not trusted by the phone.');
  else lines.push(`This computer: ${describeTrust(phone.trusted).toLowerCase()}.`);
  if (phone.iosVersion) lines.push(`The phone runs iOS ${phone.iosVersion}.`);
  for (const step of phone.triage.nextSteps.slice(0, 2)) lines.push(step);
  return lines;
}

/** "What can be saved": the verdict's evidence and the backups of this phone already on this computer. */
export function JourneyChoosing({ journey }: { journey: JourneySnapshot }) {
  const evidence = useEvidence(journey.phoneId);
  return (
    <div className="journey-choosing">
      {evidence.length > 0 && (
        <ul className="journey-evidence" aria-label="What Lifeline checked">
          {evidence.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      <section aria-labelledby="journey-backups-title" className="journey-backups">
        <h2 id="journey-backups-title">Backups of this phone on this computer</h2>
        {journey.backups.length === 0 ? (
          <p>None yet.</p>
        ) : (
          <ul>
            {journey.backups.map((backup) => (
              <li key={backup.id}>
                <span className="journey-backup-label">{backup.label}</span>
                <span className="journey-backup-facts">
                  {formatSize(backup.sizeBytes)} ·{' '}
                  {backup.encrypted === null ? 'encryption unknown' : backup.encrypted ? 'encrypted' : 'not encrypted'}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
