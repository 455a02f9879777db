import type { Command } from 'commander';
import { renderProblem } from '../../common/problems/catalog';
import { ProblemError } from '../../common/problems/problem-error';
import { readPasswordFile } from './password-file';
import type { CliContext } from './cli-context';
import { printProblem, printResult, type Output } from './cli-output';
import { EXIT } from './exit-codes';
import { PromptCancelledError } from './hidden-input';
import { personPath } from './person-path';

type CheckPasswordOptions = { dir?: string; passwordFile?: string };

async function passwordFrom(output: Output, options: CheckPasswordOptions): Promise<string | undefined> {
  if (options.passwordFile !== undefined) return readPasswordFile(options.passwordFile);
  if (!output.askSecret) return undefined;
  return output.askSecret('Backup password (not shown): ');
}

async function runCheckPassword(
  output: Output,
  invoke: (password: string) => Promise<{ backupId: string; correct: boolean }>,
  options: CheckPasswordOptions,
): Promise<number> {
  let password: string | undefined;
  try {
    password = await passwordFrom(output, options);
  } catch (error) {
    if (error instanceof PromptCancelledError) return EXIT.cancelled;
    throw error;
  }
  if (password === undefined || password.length === 0) {
    printProblem(output, new ProblemError('backup-password-needed'));
    return EXIT.usage;
  }
  if (!output.json) output.err('Checking the password (a real backup takes a few seconds)…');
  const { backupId, correct } = await invoke(password);
  if (correct) {
    printResult(output, { backupId, correct }, () => `That is the password of backup ${backupId}.`);
    return EXIT.ok;
  }
  const wrong = renderProblem('backup-wrong-password');
  if (output.json) output.out(JSON.stringify({ backupId, correct, nextSteps: wrong.nextSteps }));
  else {
    output.err(`${wrong.title} of ${backupId}.`);
    for (const step of wrong.nextSteps) output.err(`  • ${step}`);
  }
  return EXIT.failed;
}

/** `lifeline backups check-password ID`: the offline password check of an encrypted backup. */
export function registerCheckPasswordCommand(backups: Command, { withEngine }: Pick<CliContext, 'withEngine'>): void {
  backups
    .command('check-password <id>')
    .description(
      'check a password against an encrypted backup on this computer, without the phone (id: the bk-… id `lifeline backups` prints, or the folder name)',
    )
    .option('--dir <folder>', 'look in this folder instead of the standard ones', (value: string) => personPath(value))
    .option('--password-file <file>', 'read the password from the first line of this file instead of asking for it', (value: string) =>
      personPath(value),
    )
    .action((id: string, options: CheckPasswordOptions) => {
      // Commander gives `backups --dir` to the parent even when it follows the subcommand's name.
      const dir = options.dir ?? backups.opts<{ dir?: string }>().dir;
      return withEngine((api, output) =>
        runCheckPassword(
          output,
          (password) => api.invoke('backup.checkPassword', { backupId: id, password, ...(dir !== undefined ? { directory: dir } : {}) }),
          options,
        ),
      );
    });
}
