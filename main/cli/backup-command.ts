import { problemOf, type BackupResult, type BackupSummary, type LifelineApi } from '../../common/api';
import type { RegisterCommand } from './cli-context';
import { printProblem, printResult, type Output } from './cli-output';
import { settledSnapshot } from './devices-command';
import { EXIT } from './exit-codes';
import { followJob } from './follow-job';
import { personPath } from './person-path';
import { SHOW_ECID_HELP, backupForJson, phonesMatching, shownUdid } from './phone-ids';

type BackupOptions = { udid?: string; phone?: string; dir?: string; showEcid: boolean };

function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '?';
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export function formatBackup(backup: BackupSummary, showEcid = false): string {
  const name = backup.deviceName ?? 'Unknown phone';
  const model = backup.modelName ?? backup.productType ?? 'unknown model';
  const ios = backup.iosVersion ? `iOS ${backup.iosVersion}` : 'iOS ?';
  const date = backup.date ? backup.date.replace('T', ' ').slice(0, 16) : 'date unknown';
  const flags = [backup.complete ? 'complete' : 'INCOMPLETE', backup.encrypted === null ? 'encryption unknown' : backup.encrypted ? 'encrypted' : 'not encrypted'];
  return [`${name} — ${model}, ${ios}, ${date}, ${formatBytes(backup.sizeBytes)} (${flags.join(', ')})`, `  ${shownUdid(backup.udid, showEcid)}  ${backup.path}`].join('\n');
}

/** Starts the job and waits for its outcome, printing progress to stderr; Ctrl+C cancels the job. */
async function runBackup(api: LifelineApi, output: Output, options: BackupOptions, signal: AbortSignal): Promise<number> {
  let phoneId = options.phone;
  if (phoneId !== undefined) {
    const { phones } = await settledSnapshot(api);
    const matches = phonesMatching(phones, phoneId);
    const phone = matches.length === 1 ? matches[0] : undefined;
    if (!phone) {
      const problem = matches.length > 1
        ? { code: 'backup-ambiguous-phone', title: 'More than one phone matches', detail: `Several phones match ${phoneId.slice(0, 64)}.`, nextSteps: ['Give the id `lifeline devices --json` shows.'] }
        : { code: 'backup-no-phone', title: 'That phone is not connected', detail: `No phone with id ${phoneId.slice(0, 64)}.`, nextSteps: ['Run `lifeline devices` to see the connected phones.'] };
      printProblem(output, { problem });
      return EXIT.noDevice;
    }
    phoneId = phone.id;
  }
  try {
    const ending = await followJob(api, output, signal, () =>
      api.invoke('backup.start', {
        ...(phoneId !== undefined ? { phoneId } : {}),
        ...(options.udid !== undefined ? { udid: options.udid } : {}),
        ...(options.dir !== undefined ? { directory: options.dir } : {}),
      }),
    );
    if (ending.state === 'succeeded') {
      const result = ending.summary.result as BackupResult;
      printResult(output, { job: ending.summary.job, state: 'succeeded', result: backupForJson(result, options.showEcid) }, () =>
        `Backup complete: ${result.files} files, ${formatBytes(result.bytes)} in ${result.seconds.toFixed(1)} s\n  ${result.path}`,
      );
      return EXIT.ok;
    }
    if (ending.state === 'cancelled') {
      printResult(output, { job: ending.summary.job, state: 'cancelled' }, () => 'Backup cancelled. Your previous backup is unchanged.');
      return EXIT.cancelled;
    }
    printProblem(output, { problem: ending.problem });
    return EXIT.failed;
  } catch (error) {
    const problem = problemOf(error);
    if (problem?.code === 'backup-no-phone') {
      printProblem(output, error);
      return EXIT.noDevice;
    }
    throw error;
  }
}

export const registerBackupCommand: RegisterCommand = (program, { withEngine, signal }) => {
  program
    .command('backup')
    .description('back up a connected, trusted iPhone (keeps the previous backup until the new one is complete)')
    .option('--udid <udid>', 'the phone to back up, by UDID (default: the only connected phone)')
    .option('--phone <id>', 'the phone to back up, by the id `lifeline devices` shows (masked, full or --json id)')
    .option('--dir <folder>', 'backup folder (default: the standard one for this computer)', (value: string) => personPath(value))
    .option('--show-ecid', SHOW_ECID_HELP, false)
    .action((options: BackupOptions) => withEngine((api, output) => runBackup(api, output, options, signal)));

  program
    .command('backups')
    .description('list the iPhone backups on this computer')
    .option('--dir <folder>', 'look in this folder instead of the standard ones', (value: string) => personPath(value))
    .option('--show-ecid', SHOW_ECID_HELP, false)
    .action((options: { dir?: string; showEcid: boolean }) =>
      withEngine(async (api, output) => {
        const listing = await api.invoke('backup.list', options.dir !== undefined ? { directory: options.dir } : {});
        printResult(output, { ...listing, backups: listing.backups.map((backup) => backupForJson(backup, options.showEcid)) }, () => {
          const where = listing.locations.map((l) => `${l.label}: ${l.path}`).join('\n');
          if (listing.backups.length === 0) return `No backups found.\nLooked in:\n${where}`;
          return `${listing.backups.map((backup) => formatBackup(backup, options.showEcid)).join('\n')}\nLooked in:\n${where}`;
        });
        return EXIT.ok;
      }),
    );
};
