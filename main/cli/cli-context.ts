import type { Command } from 'commander';
import type { LifelineApi } from '../../common/api';
import type { Output } from './cli-output';

/** What every `lifeline` subcommand gets: an engine on demand (in-process transport) and a cancel signal. */
export type CliContext = {
  /** Runs `action` with a fresh engine (practice mode if --demo), prints a Problem on failure, sets the exit code. */
  withEngine(action: (api: LifelineApi, output: Output) => Promise<number>): Promise<void>;
  /** Aborted on Ctrl+C (or by a test). */
  signal: AbortSignal;
};

/** Each command module exports one of these; main/cli.ts lists them. */
export type RegisterCommand = (program: Command, context: CliContext) => void;
