import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pinoRoll from 'pino-roll';
import { redactText, redactValue } from './redact';

export type LogFields = Record<string, unknown>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The one logging surface: an event name (`journey.transition`, `job.failed` …) and its fields, redacted on the way in. */
export type Logger = Record<LogLevel, (event: string, fields?: LogFields) => void>;

/** Which process writes: each has its own files, so two processes never rotate the same file. */
export const LOG_PROCESSES = ['app', 'engine', 'cli', 'web'] as const;
export type LogProcess = (typeof LOG_PROCESSES)[number];

export type FileLogOptions = {
  folder: string;
  process: LogProcess;
  /** Rotate after this many bytes (default 2 MiB) … */
  maxFileBytes?: number;
  /** … keeping this many older files besides the current one (default 4): at most (maxFiles + 1) × maxFileBytes each. */
  maxFiles?: number;
  level?: LogLevel;
};

export const DEFAULT_MAX_LOG_FILE_BYTES = 2 * 1024 * 1024;
export const DEFAULT_MAX_LOG_FILES = 4;
export const LOG_FILE_EXTENSION = '.log';

let sink: PinoLogger | null = null;
const home = homedir();

function write(level: LogLevel, event: string, fields: LogFields | undefined): void {
  if (!sink) return;
  try {
    const redacted = fields === undefined ? {} : (redactValue(fields, { homeDir: home }) as LogFields);
    sink[level]({ ...redacted, event: redactText(event.slice(0, 200), { homeDir: home }) });
  } catch {
    // Logging never takes the caller down.
  }
}

/** Everything in main/ logs through this; it writes nowhere until a process starts its log. */
export const log: Logger = {
  debug: (event, fields) => write('debug', event, fields),
  info: (event, fields) => write('info', event, fields),
  warn: (event, fields) => write('warn', event, fields),
  error: (event, fields) => write('error', event, fields),
};

/** Sends the log to any stream (tests capture it; the same pino lines a file gets). Returns the undo. */
export function logTo(stream: DestinationStream, process: LogProcess, level: LogLevel = 'debug'): () => void {
  const logger = pino({ level, base: { process }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  sink = logger;
  return () => {
    if (sink === logger) sink = null;
  };
}

/**
 * Starts this process's log file in `folder` (`<process>.<n>.log`, size-rotated and bounded, owner-only). Returns a
 * function that flushes and closes it.
 */
export async function startFileLog(options: FileLogOptions): Promise<() => Promise<void>> {
  mkdirSync(options.folder, { recursive: true, mode: 0o700 });
  const stream = await pinoRoll({
    file: join(options.folder, options.process),
    extension: LOG_FILE_EXTENSION,
    size: `${Math.max(1, Math.ceil((options.maxFileBytes ?? DEFAULT_MAX_LOG_FILE_BYTES) / 1024))}k`,
    limit: { count: options.maxFiles ?? DEFAULT_MAX_LOG_FILES, removeOtherLogFiles: true },
    mode: 0o600,
    sync: true,
  });
  const undo = logTo(stream, options.process, options.level ?? 'info');
  return async () => {
    undo();
    await new Promise<void>((resolve) => {
      stream.once('close', () => resolve());
      stream.end();
    });
    // pino-roll removes old files in the background; on close the bound is made sure of here.
    pruneLogFiles(options.folder, options.process, (options.maxFiles ?? DEFAULT_MAX_LOG_FILES) + 1);
  };
}

/** A process's log files in `folder`, oldest first. */
export function logFilesOf(folder: string, process: LogProcess): string[] {
  const pattern = new RegExp(`^${process}\\.(\\d{1,9})\\${LOG_FILE_EXTENSION}$`);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, number: Number(pattern.exec(name)?.[1] ?? Number.NaN) }))
    .filter((file) => Number.isFinite(file.number))
    .sort((a, b) => a.number - b.number)
    .map((file) => file.name);
}

/** Keeps the newest `keep` log files of a process and deletes the rest. */
export function pruneLogFiles(folder: string, process: LogProcess, keep: number): void {
  const files = logFilesOf(folder, process);
  for (const name of files.slice(0, Math.max(0, files.length - keep))) rmSync(join(folder, name), { force: true });
}
