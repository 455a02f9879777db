import type { Command } from 'commander';
import { ProblemError, type DiagnosticsPreview } from '../../common/api';
import type { CliContext } from './cli-context';
import { printProblem, printResult } from './cli-output';
import { EXIT } from './exit-codes';
import { personPath } from './person-path';

type ExportOptions = { out?: string; yes: boolean };

/** The list a person reviews before saving: each file with its size, then what is never included. */
export function describePreview(preview: DiagnosticsPreview): string {
  return [
    'The diagnostics file will hold (identifiers, passwords and your home folder are removed):',
    ...preview.files.map((file) => `  ${file.name}  ${kilobytes(file.bytes)}${file.shortened ? '  (newest part only)' : ''}`),
    'Never included:',
    ...preview.leftOut.map((line) => `  • ${line}`),
  ].join('\n');
}

function kilobytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** `lifeline diagnostics export [--out FILE] [--yes]`: the same preview and zip as the app's "Export diagnostics". */
export function registerDiagnosticsCommand(program: Command, context: CliContext): void {
  const diagnostics = program
    .command('diagnostics')
    .description('what support needs to help: logs, versions and host facts, identifiers removed');
  diagnostics
    .command('export')
    .description('show what the diagnostics file holds, then save it as a zip (asks first unless --yes)')
    .option('--out <file>', 'where to save the zip (default: the suggested name in the current folder)')
    .option('--yes', 'save without asking (the list is still printed)', false)
    .action((options: ExportOptions) =>
      context.withEngine(async (api, output) => {
        const preview = await api.invoke('diagnostics.preview', {});
        const path = personPath(options.out ?? preview.suggestedName);
        if (!output.json) output.err(`${describePreview(preview)}\n`);
        if (!options.yes) {
          if (!output.ask) {
            printProblem(output, new ProblemError('diagnostics-confirmation-needed'));
            return EXIT.usage;
          }
          const answer = await output.ask(`Save this to ${path}? Type “yes” to go on: `);
          if (answer.trim().toLowerCase() !== 'yes') {
            printResult(output, { cancelled: true }, () => 'Nothing was saved.');
            return EXIT.cancelled;
          }
        }
        const saved = await api.invoke('diagnostics.export', { path });
        printResult(
          output,
          { ...saved, preview: preview.files.map(({ name, bytes, shortened }) => ({ name, bytes, shortened })) },
          () => `Saved ${saved.files} files (${kilobytes(saved.bytes)}) to ${saved.path}`,
        );
        return EXIT.ok;
      }),
    );
}
