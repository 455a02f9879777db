import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { ProblemError } from '../../common/api';
import type { DiagnosticsExport } from '../../common/contract/diagnostics';
import type { DiagnosticsEntry } from './diagnostics-bundle';

/**
 * Writes the entries as a zip at `path`: into a temp file beside it first, renamed into place only once complete, so a
 * failure never leaves half a zip under the chosen name (docs/ARCHITECTURE.md rule 7). Owner-only: it describes this computer.
 */
export async function writeDiagnosticsZip(
  path: string,
  entries: readonly DiagnosticsEntry[],
  now: Date = new Date(),
): Promise<DiagnosticsExport> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  const zip = new ZipFile();
  for (const entry of entries)
    zip.addBuffer(Buffer.from(entry.text, 'utf8'), `lifeline-diagnostics/${entry.name}`, { mtime: now, mode: 0o100600 });
  zip.end();
  try {
    await pipeline(zip.outputStream, createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true }));
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new ProblemError(
      'diagnostics-write-failed',
      { path, reason: error instanceof Error ? error.message : String(error) },
      { cause: error },
    );
  }
  return { path, bytes: (await stat(path)).size, files: entries.length };
}
