import {
  ProblemError,
  problemOf,
  type BackupContents,
  type BackupDetails,
  type BackupRestoreOptions,
  type BackupRestoreResult,
  type BackupResult,
  type BackupSummary,
  type LifelineApi,
} from '../../common/api';
import type { RegisterCommand } from './cli-context';
import { printProblem, printResult, type Output } from './cli-output';
import { settledSnapshot } from './devices-command';
import { registerCheckPasswordCommand } from './backup-password-command';
import { readPasswordFile } from './password-file';
import { describeWithPassword, formatBackupContents } from './backup-contents-output';
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
  const flags = [
    backup.complete ? 'complete' : 'INCOMPLETE',
    backup.encrypted === null ? 'encryption unknown' : backup.encrypted ? 'encrypted' : 'not encrypted',
  ];
  return [
    `${name} — ${model}, ${ios}, ${date}, ${formatBytes(backup.sizeBytes)} (${flags.join(', ')})`,
    `  ${backup.id}  ${shownUdid(backup.udid, showEcid)}  ${backup.path}`,
  ].join('\n');
}

/** `backups --dir X show ID` and `backups show ID --dir X` alike: commander gives options `backups` also has to `backups`. */
function withParentOptions<T extends { dir?: string; showEcid: boolean }>(own: T, parent: { dir?: string; showEcid?: boolean }): T {
  return {
    ...own,
    ...(own.dir === undefined && parent.dir !== undefined ? { dir: parent.dir } : {}),
    showEcid: own.showEcid || parent.showEcid === true,
  };
}

/** `lifeline backups show ID`: the basic facts, one per line, then what it holds when it was counted. */
export function formatBackupDetails(backup: BackupDetails, showEcid = false, contents?: BackupContents): string {
  const lines = [
    `Backup ${backup.id}`,
    `  Phone:      ${backup.deviceName ?? 'Unknown phone'} (${backup.modelName ?? backup.productType ?? 'unknown model'})`,
    `  Date:       ${backup.date ? backup.date.replace('T', ' ').slice(0, 16) : 'unknown'}`,
    `  iOS:        ${backup.iosVersion ?? 'unknown'}${backup.buildVersion ? ` (${backup.buildVersion})` : ''}`,
    `  Size:       ${formatBytes(backup.sizeBytes)}`,
    `  Encrypted:  ${backup.encrypted === null ? 'unknown' : backup.encrypted ? 'yes' : 'no'}`,
    `  Complete:   ${backup.complete ? 'yes' : 'no — it cannot be restored'}`,
    `  UDID:       ${shownUdid(backup.udid, showEcid)}`,
    `  Folder:     ${backup.path}`,
  ];
  if (contents) lines.push(...formatBackupContents(contents));
  return lines.join('\n');
}

/** Starts the job and waits for its outcome, printing progress to stderr; Ctrl+C cancels the job. */
type RestoreCliOptions = {
  phone?: string;
  udid?: string;
  dir?: string;
  yes: boolean;
  passwordFile?: string;
  system: boolean;
  reboot: boolean;
  copy: boolean;
  remove: boolean;
  showEcid: boolean;
};

/** The phone id the engine knows for `--phone VALUE`, or an exit code after printing why not. */
async function phoneIdFor(api: LifelineApi, output: Output, wanted: string): Promise<{ phoneId: string } | { exit: number }> {
  const { phones } = await settledSnapshot(api);
  const matches = phonesMatching(phones, wanted);
  const phone = matches.length === 1 ? matches[0] : undefined;
  if (phone) return { phoneId: phone.id };
  printProblem(output, new ProblemError(matches.length > 1 ? 'backup-ambiguous-phone' : 'backup-no-phone', { wanted }));
  return { exit: EXIT.noDevice };
}

async function runRestore(
  api: LifelineApi,
  output: Output,
  backupId: string | undefined,
  options: RestoreCliOptions,
  signal: AbortSignal,
): Promise<number> {
  let phoneId: string | undefined;
  if (options.phone !== undefined) {
    const found = await phoneIdFor(api, output, options.phone);
    if ('exit' in found) return found.exit;
    phoneId = found.phoneId;
  }
  const password = options.passwordFile !== undefined ? await readPasswordFile(options.passwordFile) : undefined;
  const backup =
    backupId !== undefined
      ? (await api.invoke('backup.show', { backupId, ...(options.dir !== undefined ? { directory: options.dir } : {}) })).backup
      : undefined;
  if (!options.yes) {
    if (!output.ask) {
      printProblem(output, new ProblemError('restore-confirmation-needed'));
      return EXIT.usage;
    }
    const what = backup
      ? `the backup of ${backup.deviceName ?? 'a phone'} from ${backup.date?.slice(0, 10) ?? 'an unknown date'} (${backup.id})`
      : 'the newest backup of this phone';
    const answer = await output.ask(`This puts ${what} onto the phone and replaces what the phone holds now. Type “yes” to go on: `);
    if (answer.trim().toLowerCase() !== 'yes') {
      printResult(output, { cancelled: true }, () => 'Nothing was changed.');
      return EXIT.cancelled;
    }
  }
  const restoreOptions: BackupRestoreOptions = {
    systemFiles: options.system,
    reboot: options.reboot,
    copyFirst: options.copy,
    removeItemsNotRestored: options.remove,
  };
  const ending = await followJob(api, output, signal, () =>
    api.invoke('backup.restore', {
      ...(backupId !== undefined ? { backupId } : {}),
      ...(phoneId !== undefined ? { phoneId } : {}),
      ...(options.udid !== undefined ? { udid: options.udid } : {}),
      ...(options.dir !== undefined ? { directory: options.dir } : {}),
      ...(password !== undefined ? { password } : {}),
      options: restoreOptions,
    }),
  );
  if (ending.state === 'succeeded') {
    const result = ending.summary.result as BackupRestoreResult;
    const { udid, ...shown } = result;
    printResult(output, { job: ending.summary.job, state: 'succeeded', result: { ...shown, ...(options.showEcid ? { udid } : {}) } }, () =>
      [
        `Restore complete: ${result.files} files, ${formatBytes(result.bytes)} in ${result.seconds.toFixed(1)} s`,
        result.rebooting ? 'The phone restarts now; leave it connected until it shows its Lock Screen.' : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    return EXIT.ok;
  }
  if (ending.state === 'cancelled') {
    const problem = ending.summary.problem;
    if (problem) printProblem(output, { problem });
    else printResult(output, { job: ending.summary.job, state: 'cancelled' }, () => 'Restore cancelled before the phone was changed.');
    return EXIT.cancelled;
  }
  printProblem(output, { problem: ending.problem });
  return EXIT.failed;
}

async function runBackup(api: LifelineApi, output: Output, options: BackupOptions, signal: AbortSignal): Promise<number> {
  let phoneId = options.phone;
  if (phoneId !== undefined) {
    const { phones } = await settledSnapshot(api);
    const matches = phonesMatching(phones, phoneId);
    const phone = matches.length === 1 ? matches[0] : undefined;
    if (!phone) {
      printProblem(output, new ProblemError(matches.length > 1 ? 'backup-ambiguous-phone' : 'backup-no-phone', { wanted: phoneId }));
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
      printResult(
        output,
        { job: ending.summary.job, state: 'succeeded', result: backupForJson(result, options.showEcid) },
        () => `Backup complete: ${result.files} files, ${formatBytes(result.bytes)} in ${result.seconds.toFixed(1)} s\n  ${result.path}`,
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

  const backups = program
    .command('backups')
    .description('list the iPhone backups on this computer (and show or restore one)')
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

  backups
    .command('show <id>')
    .description('show one backup: date, iOS, size, encryption, phone (id: the bk-… id `lifeline backups` prints, or the folder name)')
    .option('--dir <folder>', 'look in this folder instead of the standard ones', (value: string) => personPath(value))
    .option('--show-ecid', SHOW_ECID_HELP, false)
    .option(
      '--password-file <file>',
      'an encrypted backup’s password on the first line of this file, to count what it holds (else asked for, not shown)',
      (value: string) => personPath(value),
    )
    .action((id: string, own: { dir?: string; showEcid: boolean; passwordFile?: string }) =>
      withEngine(async (api, output) => {
        const options = withParentOptions(own, backups.opts());
        const { backup, contents } = await describeWithPassword(api, output, id, options);
        printResult(output, { ...backupForJson(backup, options.showEcid), contents }, () =>
          formatBackupDetails(backup, options.showEcid, contents),
        );
        return EXIT.ok;
      }),
    );

  backups
    .command('restore [id]')
    .description('put a backup back onto a connected phone, replacing its data (default: the newest complete backup of that phone)')
    .option('--phone <id>', 'the phone to restore to, by the id `lifeline devices` shows')
    .option('--udid <udid>', 'the phone to restore to, by UDID')
    .option('--dir <folder>', 'look for the backup in this folder instead of the standard ones', (value: string) => personPath(value))
    .option('--yes', 'do not ask before replacing the phone’s data', false)
    .option('--password-file <file>', 'the password of an encrypted backup, on the first line of this file', (value: string) =>
      personPath(value),
    )
    .option('--no-system', 'leave the phone’s system files and settings as they are')
    .option('--no-reboot', 'do not restart the phone at the end')
    .option('--copy', 'let the phone take the whole backup before it changes anything', false)
    .option('--remove', 'remove files from the phone that the backup does not hold', false)
    .option('--show-ecid', SHOW_ECID_HELP, false)
    .action((id: string | undefined, options: RestoreCliOptions) =>
      withEngine((api, output) => runRestore(api, output, id, withParentOptions(options, backups.opts()), signal)),
    );

  registerCheckPasswordCommand(backups, { withEngine });
};
