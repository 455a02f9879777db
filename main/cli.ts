/**
 * `lifeline` — the command line over the same engine and contract as the app (in-process transport).
 * Convention: `--json` makes every command print machine-readable JSON on stdout; exit codes in cli/exit-codes.ts.
 * Each subcommand lives in main/cli/<name>-command.ts and is listed in COMMANDS.
 */
import { Command, CommanderError } from 'commander';
import type { CliContext, RegisterCommand } from './cli/cli-context';
import { printProblem, type Output } from './cli/cli-output';
import { registerBackupCommand } from './cli/backup-command';
import { registerCoachCommands } from './cli/coach-command';
import { registerDevicesCommand } from './cli/devices-command';
import { registerDiagnosticsCommand } from './cli/diagnostics-command';
import { registerFirmwareCommand } from './cli/firmware-command';
import { EXIT } from './cli/exit-codes';
import { registerInfoCommand } from './cli/info-command';
import { registerDfuInfoCommand } from './cli/dfu-info-command';
import { registerRestoreCommand } from './cli/restore-command';
import { registerPasscodeGuideCommand } from './cli/passcode-guide-command';
import { registerRescueCommand } from './cli/rescue-command';
import { readHiddenLine } from './cli/hidden-input';
import { createAppEngine } from './rescue/create-engine';
import { createInProcessClient } from './transport/in-process';
import { logFolder } from './log/data-folder';
import { startFileLog } from './log/log';
import { APP_VERSION } from './version';

const COMMANDS: readonly RegisterCommand[] = [
  registerInfoCommand,
  registerDevicesCommand,
  registerBackupCommand,
  registerDfuInfoCommand,
  registerCoachCommands,
  registerFirmwareCommand,
  registerRestoreCommand,
  registerPasscodeGuideCommand,
  registerRescueCommand,
  registerDiagnosticsCommand,
];

type Io = Pick<Output, 'out' | 'err' | 'ask' | 'askSecret'>;

/** The `lifeline` program: its global options and every command, each running its action through `context`. */
export function buildCliProgram(context: CliContext, io: Pick<Io, 'out' | 'err'>): Command {
  const program = new Command()
    .name('lifeline')
    .description('Rescue an iPhone you are locked out of: see it, back it up, restore it.')
    .version(APP_VERSION, '-v, --version')
    .option('--json', 'print machine-readable JSON on stdout', false)
    .option('--demo', 'use virtual iPhones instead of real hardware (practice mode)', false)
    .option('--usbip <host:port>', 'reach USB through a USB/IP server instead of this computer’s ports (or LIFELINE_USBIP)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  for (const register of COMMANDS) register(program, context);
  return program;
}

export async function runCli(argv: string[], io: Io = defaultIo(), signal: AbortSignal = new AbortController().signal): Promise<number> {
  let exitCode: number = EXIT.ok;
  const context: CliContext = {
    signal,
    async withEngine(action) {
      const globals = program.opts<{ json: boolean; demo: boolean; usbip?: string }>();
      const output: Output = { json: globals.json, ...io };
      let engine;
      try {
        engine = await createAppEngine({ demo: globals.demo, ...(globals.usbip !== undefined ? { usbip: globals.usbip } : {}) });
      } catch (error) {
        printProblem(output, error);
        exitCode = EXIT.usage;
        return;
      }
      try {
        exitCode = await action(createInProcessClient(engine), output);
      } catch (error) {
        printProblem(output, error);
        exitCode = signal.aborted ? EXIT.cancelled : EXIT.failed;
      } finally {
        await engine.close();
      }
    },
  };
  const program = buildCliProgram(context, io);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return exitCode;
}

function defaultIo(): Io {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    ...(process.stdin.isTTY
      ? {
          ask: askOnTerminal,
          askSecret: (question: string) => readHiddenLine(process.stdin, (text) => process.stderr.write(text), question),
        }
      : {}),
  };
}

async function askOnTerminal(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}

if (process.env.LIFELINE_CLI_MAIN === '1') {
  const controller = new AbortController();
  // First Ctrl+C asks the running command to stop cleanly; a second one leaves at once.
  process.on('SIGINT', () => (controller.signal.aborted ? process.exit(EXIT.cancelled) : controller.abort()));
  // The CLI logs like the app (cli.N.log in the data folder); a log that cannot be opened stops nothing.
  const stopLog = await startFileLog({ folder: logFolder(), process: 'cli' }).catch(() => null);
  runCli(process.argv.slice(2), defaultIo(), controller.signal).then(
    async (code) => {
      await stopLog?.();
      process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
