import { ProblemError, type BackupResult } from '../../../common/api';
import type { BackupService } from '../../backup/backup-service';
import type { CommandHandlers, EngineContext } from '../engine-ports';

/** backup.start (a 'backup' job; JobSummary.result is a BackupResult) and backup.list. */
export function backupHandlers(context: EngineContext): Pick<CommandHandlers, 'backup.start' | 'backup.list'> {
  const service = (): BackupService => {
    if (context.options.backup) return context.options.backup;
    throw new ProblemError('backup-unavailable');
  };
  return {
    'backup.start': async ({ phoneId, udid, directory }) => {
      const backup = service();
      const phone = phoneId !== undefined ? context.phones().find((p) => p.id === phoneId) : undefined;
      if (phoneId !== undefined && phone && !phone.triage.canBackUp) {
        const { code, headline, reason, nextSteps, helpUrl } = phone.triage;
        // The verdict's words are the catalog's own (main/devices/triage.ts): passed on as they are.
        throw ProblemError.forward({ code: code ?? 'internal', title: headline, detail: reason, nextSteps, ...(helpUrl !== undefined ? { helpUrl } : {}) });
      }
      const running = context.jobs.running().find((job) => job.kind === 'backup' && phoneId !== undefined && job.phoneId === phoneId);
      if (running) return { job: running.job };
      const name = phone?.deviceName ?? phone?.model.name ?? udid ?? 'the phone';
      const { job } = context.jobs.start<BackupResult>({
        kind: 'backup',
        title: `Back up ${name}`,
        phoneId: phoneId ?? null,
        run: ({ signal, progress }) =>
          backup.backup({ ...(phoneId !== undefined ? { phoneId } : {}), ...(udid !== undefined ? { udid } : {}), ...(directory !== undefined ? { directory } : {}) }, { signal, progress }),
        summarise: (result) => result,
      });
      return { job };
    },
    'backup.list': async ({ phoneId, directory }) => {
      const backup = service();
      const roots = backup.roots(directory);
      const backups = await backup.list({ ...(phoneId !== undefined ? { phoneId } : {}), ...(directory !== undefined ? { directory } : {}) });
      return {
        locations: roots.map((root) => ({ path: root.path, label: root.label })),
        defaultDirectory: directory ?? backup.defaultRoot().path,
        backups,
      };
    },
  };
}
