import { ProblemError, type BackupResult } from '../../../common/api';
import type { BackupService } from '../../backup/backup-service';
import type { CommandHandlers, EngineContext } from '../engine-ports';

/** backup.start (a 'backup' job; JobSummary.result is a BackupResult) and backup.list. */
export function backupHandlers(context: EngineContext): Pick<CommandHandlers, 'backup.start' | 'backup.list'> {
  const service = (): BackupService => {
    if (context.options.backup) return context.options.backup;
    throw new ProblemError({
      code: 'backup-unavailable',
      title: 'Backups are not available here',
      detail: 'This Lifeline engine was started without access to phones.',
      nextSteps: ['Start Lifeline normally.'],
    });
  };
  return {
    'backup.start': async ({ phoneId, udid, directory }) => {
      const backup = service();
      const phone = phoneId !== undefined ? context.phones().find((p) => p.id === phoneId) : undefined;
      if (phoneId !== undefined && phone && !phone.triage.canBackUp) {
        throw new ProblemError({ code: phone.triage.code ?? 'backup-not-possible', title: phone.triage.headline, detail: phone.triage.reason, nextSteps: phone.triage.nextSteps });
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
