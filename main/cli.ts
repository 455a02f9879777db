/**
 * `lifeline` — the command line over the same engine and contract as the app (in-process transport).
 * Convention: `--json` makes every command print machine-readable JSON on stdout; exit codes in cli/exit-codes.ts.
 */
import { Command, CommanderError } from 'commander';
import type { LifelineApi } from '../common/api';
import { printProblem, printResult, type Output } from './cli/cli-output';
import { devicesCommand } from './cli/devices-command';
import { EXIT } from './cli/exit-codes';
import { createAppEngine } from './rescue/create-engine';
import { createInProcessClient } from './transport/in-process';
import { APP_VERSION } from './version';

type Io = Pick<Output, 'out' | 'err'>;

export async function runCli(argv: string[], io: Io = defaultIo(), signal?: AbortSignal): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command()
    .name('lifeline')
    .description('Rescue an iPhone you are locked out of: see it, back it up, restore it.')
    .version(APP_VERSION, '-v, --version')
    .option('--json', 'print machine-readable JSON on stdout', false)
    .option('--demo', 'use virtual iPhones instead of real hardware (practice mode)', false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const withEngine = async (run: (api: LifelineApi, output: Output) => Promise<number>): Promise<void> => {
    const globals = program.opts<{ json: boolean; demo: boolean }>();
    const output: Output = { json: globals.json, ...io };
    const engine = await createAppEngine({ demo: globals.demo });
    try {
      exitCode = await run(createInProcessClient(engine), output);
    } catch (error) {
      printProblem(output, error);
      exitCode = EXIT.failed;
    } finally {
      await engine.close();
    }
  };

  program
    .command('info')
    .description('show the Lifeline version and platform')
    .action(() =>
      withEngine(async (api, output) => {
        const info = await api.invoke('app.info', {});
        printResult(output, info, () => `${info.name} ${info.version} on ${info.platform}${info.demo ? ' (practice mode)' : ''}`);
        return EXIT.ok;
      }),
    );

  program
    .command('devices')
    .description('list connected phones in every mode, with what can be saved')
    .option('--watch', 'keep running and print every change', false)
    .action((options: { watch: boolean }) => withEngine((api, output) => devicesCommand(api, output, { watch: options.watch, ...(signal ? { signal } : {}) })));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return exitCode;
}

function defaultIo(): Io {
  return { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) };
}

if (process.env.LIFELINE_CLI_MAIN === '1') {
  process.once('SIGINT', () => process.exit(EXIT.cancelled));
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
