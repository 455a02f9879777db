import { useEffect, useState } from 'react';
import type { BackupSummary } from '../../common/api';
import { useLifelineApi } from '../store/use-lifeline';

export function formatSize(bytes: number | null): string {
  if (bytes === null) return 'size unknown';
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(0.1, bytes / 1e6).toFixed(1)} MB`;
}

export function formatDate(iso: string | null): string {
  if (!iso) return 'date unknown';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The backups of one phone (or all) on this computer; `refresh` changes to reload. */
export function useBackups(phoneId: string | null, refresh: unknown = null): { backups: BackupSummary[] | null; error: string | null } {
  const api = useLifelineApi();
  const [state, setState] = useState<{ backups: BackupSummary[] | null; error: string | null }>({ backups: null, error: null });
  useEffect(() => {
    let live = true;
    api.invoke('backup.list', phoneId ? { phoneId } : {}).then(
      (listing) => live && setState({ backups: listing.backups, error: null }),
      () => live && setState({ backups: [], error: 'Lifeline could not look for backups.' }),
    );
    return () => {
      live = false;
    };
  }, [api, phoneId, refresh]);
  return state;
}

export function BackupList({ backups, headingLevel = 3 }: { backups: BackupSummary[]; headingLevel?: 2 | 3 | 4 }) {
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
            {backup.complete ? 'complete' : 'incomplete'} · {backup.encrypted === null ? 'encryption unknown' : backup.encrypted ? 'encrypted' : 'not encrypted'}
          </p>
          <p className="backup-path">{backup.path}</p>
        </li>
      ))}
    </ul>
  );
}
