import type { AppEngineOptions } from '../rescue/create-engine';

/** The app's options the engine process needs, read from a command line (`--demo`, `--usbip HOST:PORT` or `--usbip=HOST:PORT`). */
export function engineOptionsFromArguments(argv: readonly string[]): AppEngineOptions {
  const usbip = usbipArgument(argv);
  return { demo: argv.includes('--demo'), ...(usbip !== undefined ? { usbip } : {}) };
}

/** The same options as arguments for the engine process, so it composes the engine exactly as the app asked. */
export function engineArguments(options: AppEngineOptions): string[] {
  return [...(options.demo ? ['--demo'] : []), ...(options.usbip !== undefined ? [`--usbip=${options.usbip}`] : [])];
}

function usbipArgument(argv: readonly string[]): string | undefined {
  const index = argv.findIndex((arg) => arg === '--usbip' || arg.startsWith('--usbip='));
  if (index < 0) return undefined;
  const arg = argv[index]!;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
}
