import { createHash } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { hashFile } from '../../main/sim/virtual-fs';

/** SHA-256 over every entry under `root` (relative path, type, size, content SHA-1): equal digests = byte-identical trees. */
export async function treeDigest(root: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const stats = await lstat(path);
      const name = relative(root, path);
      if (stats.isDirectory()) {
        lines.push(`d ${name}`);
        await walk(path);
      } else if (stats.isFile()) lines.push(`f ${name} ${stats.size} ${await hashFile(path)}`);
      else lines.push(`o ${name}`);
    }
  };
  await walk(root);
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
