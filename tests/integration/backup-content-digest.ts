import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifestDb } from '../../main/backup/manifest-db';
import { hashFile } from '../../main/sim/virtual-fs';

/**
 * What an unencrypted backup holds, as the same digest VirtualFilesystem.digest() gives for a phone: SHA-256 over
 * (domain, path, size, content SHA-1) of every file Manifest.db lists, sorted by domain then path. Equal digests =
 * the phone's files are the backup's files, byte for byte.
 */
export async function backupContentDigest(backupPath: string): Promise<string> {
  const entries = readManifestDb(await readFile(join(backupPath, 'Manifest.db'))).filter((e) => e.flags === 1);
  entries.sort((a, b) => (a.domain === b.domain ? compare(a.relativePath, b.relativePath) : compare(a.domain, b.domain)));
  const hash = createHash('sha256');
  for (const entry of entries) {
    const path = join(backupPath, entry.fileID.slice(0, 2), entry.fileID);
    const { size } = await stat(path);
    hash.update(`${entry.domain}\0${entry.relativePath}\0${size}\0${await hashFile(path)}\n`);
  }
  return hash.digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
