import { lstat, open, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DiagnosticsFile, DiagnosticsPreview } from '../../common/contract/diagnostics';
import { journeyFolder, logFolder } from '../log/data-folder';
import { LOG_PROCESSES, logFilesOf } from '../log/log';
import { redactText, redactValue } from '../log/redact';
import type { HostFacts } from './host-facts';

/** One file of the zip, exactly as it will be saved (already redacted). */
export type DiagnosticsEntry = { name: string; text: string; shortened: boolean };

/** The newest part of each log file kept, all logs together, one saved journey, and how many journeys. */
export const MAX_LOG_BYTES_PER_FILE = 1024 * 1024;
export const MAX_LOG_BYTES_TOTAL = 12 * 1024 * 1024;
const MAX_JOURNEY_BYTES = 256 * 1024;
const MAX_JOURNEYS = 50;
const PREVIEW_CHARS = 4000;
const JOURNEY_FILE = /^ph-[0-9a-f]{12}\.json$/;

export const LEFT_OUT = [
  'Backups of your phones and anything inside them',
  'Passwords and passcodes',
  'Your phones’ full identifiers (UDID, ECID, serial number, IMEI): only their last characters, if any',
  'Your user name and home folder in file paths',
];

export type DiagnosticsSources = { dataFolder: string; facts: HostFacts; homeDir?: string };

/**
 * Gathers the zip's files: host facts and versions, this computer's Lifeline logs (newest part of each, bounded), and
 * the saved journeys. Reads only regular files in Lifeline's own folders (no links followed); every text is redacted
 * again on the way out, so a log written by an older Lifeline cannot leak what this one would hide.
 */
export async function collectDiagnostics(sources: DiagnosticsSources): Promise<DiagnosticsEntry[]> {
  const options = { homeDir: sources.homeDir ?? homedir() };
  const entries: DiagnosticsEntry[] = [
    { name: 'host-facts.json', text: `${JSON.stringify(redactValue(sources.facts, options), null, 2)}\n`, shortened: false },
  ];

  const logs = logFolder(sources.dataFolder);
  let budget = MAX_LOG_BYTES_TOTAL;
  // Newest files first, so the budget goes to what happened last.
  const logFiles = LOG_PROCESSES.flatMap((process) =>
    logFilesOf(logs, process)
      .reverse()
      .map((name, age) => ({ name, age })),
  ).sort((a, b) => a.age - b.age);
  for (const { name } of logFiles) {
    if (budget <= 0) break;
    const read = await readTail(join(logs, name), Math.min(MAX_LOG_BYTES_PER_FILE, budget));
    if (!read) continue;
    budget -= read.bytes;
    entries.push({ name: `logs/${name}`, text: redactText(read.text, options), shortened: read.shortened });
  }

  const journeys = journeyFolder(sources.dataFolder);
  const names = (await readdir(journeys).catch(() => [] as string[]))
    .filter((name) => JOURNEY_FILE.test(name))
    .sort()
    .slice(0, MAX_JOURNEYS);
  for (const name of names) {
    const read = await readTail(join(journeys, name), MAX_JOURNEY_BYTES);
    if (!read || read.shortened) continue;
    entries.push({ name: `journeys/${name}`, text: redactJourney(read.text, options), shortened: false });
  }
  return entries;
}

export function previewOf(entries: readonly DiagnosticsEntry[], now: Date = new Date()): DiagnosticsPreview {
  return {
    files: entries.map((entry): DiagnosticsFile => ({
      name: entry.name,
      bytes: Buffer.byteLength(entry.text),
      preview: entry.text.length > PREVIEW_CHARS ? `${entry.text.slice(0, PREVIEW_CHARS)}\n…` : entry.text,
      shortened: entry.shortened,
    })),
    leftOut: [...LEFT_OUT],
    suggestedName: `lifeline-diagnostics-${now.toISOString().slice(0, 10)}.zip`,
  };
}

function redactJourney(text: string, options: { homeDir: string }): string {
  try {
    return `${JSON.stringify(redactValue(JSON.parse(text), options), null, 2)}\n`;
  } catch {
    return redactText(text, options);
  }
}

/** The last `maxBytes` of a regular file (whole lines only when shortened); null for anything else. */
async function readTail(path: string, maxBytes: number): Promise<{ text: string; bytes: number; shortened: boolean } | null> {
  try {
    const info = await lstat(path);
    if (!info.isFile()) return null;
    const handle = await open(path, 'r');
    try {
      const length = Math.min(info.size, maxBytes);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, info.size - length);
      let text = buffer.subarray(0, bytesRead).toString('utf8');
      const shortened = info.size > maxBytes;
      if (shortened) text = text.slice(text.indexOf('\n') + 1);
      return { text, bytes: bytesRead, shortened };
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}
