import { ProblemError, type BackupRestoreResult, type BackupResult } from '../../../common/api';
import { findBackups } from '../../backup/backup-finder';
import { checkPasswordOfBackup } from '../../backup/backup-password-check';
import { BackupRestoreService } from '../../backup/backup-restore-service';
import type { BackupService } from '../../backup/backup-service';
import type { CommandHandlers, EngineContext } from '../engine-ports';

/**
 * backup.start (a 'backup' job; JobSummary.result is a BackupResult), backup.list, backup.show and backup.restore
 * (a 'backup.restore' job; JobSummary.result is a BackupRestoreResult).
 */
export function backupHandlers(
  context: EngineContext,
): Pick<CommandHandlers, 'backup.start' | 'backup.list' | 'backup.show' | 'backup.restore' | 'backup.checkPassword'> {
  const service = (): BackupService => {
    if (context.options.backup) return context.options.backup;
    throw new ProblemError('backup-unavailable');
  };
  let restorer: BackupRestoreService | undefined;
  const restoreService = (): BackupRestoreService => (restorer ??= new BackupRestoreService(service()));
  return {
    'backup.show': async ({ backupId, directory }) => ({ backup: await restoreService().show(backupId, directory) }),
    'backup.checkPassword': async ({ backupId, directory, password }) =>
      checkPasswordOfBackup(await findBackups(service().roots(directory), { skipSize: true }), backupId, password),
    'backup.restore': async ({ backupId, phoneId, udid, directory, password, options }) => {
      const restore = restoreService();
      const phone = phoneId !== undefined ? context.phones().find((p) => p.id === phoneId) : undefined;
      const running = context.jobs
        .running()
        .find((job) => job.kind === 'backup.restore' && phoneId !== undefined && job.phoneId === phoneId);
      if (running) return { job: running.job };
      const name = phone?.deviceName ?? phone?.model.name ?? 'the phone';
      const { job } = context.jobs.start<BackupRestoreResult>({
        kind: 'backup.restore',
        title: `Restore a backup to ${name}`,
        phoneId: phoneId ?? null,
        run: ({ signal, progress }) =>
          restore.restore(
            {
              ...(backupId !== undefined ? { backupId } : {}),
              ...(phoneId !== undefined ? { phoneId } : {}),
              ...(udid !== undefined ? { udid } : {}),
              ...(directory !== undefined ? { directory } : {}),
              ...(password !== undefined ? { password } : {}),
              ...(options !== undefined ? { options } : {}),
            },
            { signal, progress },
          ),
        summarise: (result) => result,
      });
      return { job };
    },
    'backup.start': async ({ phoneId, udid, directory }) => {
      const backup = service();
      const phone = phoneId !== undefined ? context.phones().find((p) => p.id === phoneId) : undefined;
      if (phoneId !== undefined && phone && !phone.triage.canBackUp) {
        const { code, headline, reason, nextSteps, helpUrl } = phone.triage;
        // The verdict's words are the catalog's own (main/devices/triage.ts): passed on as they are.
        throw ProblemError.forward({
          code: code ?? 'internal',
          title: headline,
          detail: reason,
          nextSteps,
          ...(helpUrl !== undefined ? { helpUrl } : {}),
        });
      }
      const running = context.jobs.running().find((job) => job.kind === 'backup' && phoneId !== undefined && job.phoneId === phoneId);
      if (running) return { job: running.job };
      const name = phone?.deviceName ?? phone?.model.name ?? udid ?? 'the phone';
      const { job } = context.jobs.start<BackupResult>({
        kind: 'backup',
        title: `Back up ${name}`,
        phoneId: phoneId ?? null,
        run: ({ signal, progress }) =>
          backup.backup(
            {
              ...(phoneId !== undefined ? { phoneId } : {}),
              ...(udid !== undefined ? { udid } : {}),
              ...(directory !== undefined ? { directory } : {}),
            },
            { signal, progress },
          ),
        summarise: (result) => result,
      });
      return { job };
    },
    'backup.list': async ({ phoneId, directory }) => {
      const backup = service();
      const roots = backup.roots(directory);
      const backups = await backup.list({
        ...(phoneId !== undefined ? { phoneId } : {}),
        ...(directory !== undefined ? { directory } : {}),
      });
      return {
        locations: roots.map((root) => ({ path: root.path, label: root.label })),
        defaultDirectory: directory ?? backup.defaultRoot().path,
        backups,
      };
    },
  };
}
