import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { contentTypeFor } from './content-security-policy';

export type StaticFile = { body: Buffer; contentType: string };

/**
 * Resolves a URL path inside the built renderer folder, never outside it. Unknown paths fall back
 * to index.html (single-page app); traversal attempts get nothing.
 */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const resolvedRoot = path.resolve(root);
  const target = path.resolve(resolvedRoot, relative);
  if (target !== resolvedRoot && !target.startsWith(resolvedRoot + path.sep)) return null;
  try {
    return { body: await readFile(target), contentType: contentTypeFor(path.extname(target)) };
  } catch {
    if (path.extname(relative) !== '') return null;
    try {
      return { body: await readFile(path.join(resolvedRoot, 'index.html')), contentType: contentTypeFor('.html') };
    } catch {
      return null;
    }
  }
}
