import type { BackupSummary } from '../../common/api';
import { useCommand, type RefreshKey } from '../hooks/use-command';
import { BackupContentsLine } from './backup-contents';

export function formatSize(bytes: number | null): string {
  if (bytes === null) return 'size unknown';
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(0.1, bytes / 1e6).toFixed(1)} MB`;
}

export function formatDate(iso: string | null): string {
  if (!iso) return 'date unknown';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The backups of one phone (or all) on this computer, asked again when `refresh` changes (e.g. a backup job's state). */
export function useBackups(phoneId: string | null, refresh: RefreshKey = null): { backups: BackupSummary[] | null; error: string | null } {
  const listing = useCommand('backup.list', phoneId ? { phoneId } : {}, {
    refreshOn: [refresh],
    fallbackTitle: 'Lifeline could not look for backups.',
  });
  if (listing.problem) return { backups: [], error: listing.problem.title };
  return { backups: listing.data?.backups ?? null, error: null };
}

/** `contents`: also count what each backup holds (photos, messages…), as the phone card does. */
export function BackupList({
  backups,
  headingLevel = 3,
  contents = false,
}: {
  backups: BackupSummary[];
  headingLevel?: 2 | 3 | 4;
  contents?: boolean;
}) {
  const Heading = `h${headingLevel}` as 'h2' | 'h3' | 'h4';
  return (
    <ul className="backup-list">
      {backups.map((backup) => (
        <li key={backup.path}>
          <Heading className="backup-name">
            {backup.deviceName ?? 'Unknown phone'} — {formatDate(backup.date)}
          </Heading>
          <p>
            {backup.modelName ?? backup.productType ?? 'Unknown model'}, iOS {backup.iosVersion ?? '?'} · {formatSize(backup.sizeBytes)} ·{' '}
            {backup.complete ? 'complete' : 'incomplete'} ·{' '}
            {backup.encrypted === null ? 'encryption unknown' : backup.encrypted ? 'encrypted' : 'not encrypted'}
          </p>
          {contents && <BackupContentsLine backupId={backup.id} />}
          <p className="backup-path">{backup.path}</p>
        </li>
      ))}
    </ul>
  );
}
