import type { BackupContents, ContentCount } from '../../common/api';
import { useCommand } from '../hooks/use-command';

const LABELS: readonly [keyof Omit<BackupContents, 'manifest'>, string, string][] = [
  ['photos', 'photo', 'photos'],
  ['videos', 'video', 'videos'],
  ['messages', 'message', 'messages'],
  ['contacts', 'contact', 'contacts'],
  ['notes', 'note', 'notes'],
  ['apps', 'app', 'apps'],
];

function counted(count: ContentCount, one: string, many: string): string {
  if (count.count === null) return `${many}: ?`;
  return `${count.count.toLocaleString('en-US')} ${count.count === 1 ? one : many}`;
}

/** "48 photos · 6 videos · 1,200 messages · …", or why nothing could be counted. */
export function contentsWords(contents: BackupContents): string {
  if (contents.manifest === 'password-needed') return 'Encrypted: its password is needed to count what is inside.';
  if (contents.manifest === 'unreadable') return 'What it holds cannot be read: its list of files is missing or damaged.';
  return LABELS.map(([key, one, many]) => counted(contents[key], one, many)).join(' · ');
}

/** What one backup holds, at a glance (backup.describe), with the notes behind the numbers on hover and for screen readers. */
export function BackupContentsLine({ backupId }: { backupId: string }) {
  const described = useCommand('backup.describe', { backupId }, { fallbackTitle: 'Lifeline could not count what this backup holds.' });
  if (described.problem) return <p className="backup-contents">{described.problem.title}</p>;
  if (!described.data)
    return (
      <p className="backup-contents" aria-busy="true">
        Counting what it holds…
      </p>
    );
  const { contents } = described.data;
  const notes = LABELS.map(([key]) => contents[key].note).filter((note): note is string => note !== null);
  const unique = [...new Set(notes)];
  return (
    <p className="backup-contents" title={unique.join('\n') || undefined}>
      {contentsWords(contents)}
      {unique.length > 0 && contents.manifest === 'read' && <span className="visually-hidden"> ({unique.join(' ')})</span>}
    </p>
  );
}
