import { readFile } from 'node:fs/promises';
import { ProblemError } from '../../common/problems/problem-error';

const MAX_PASSWORD_FILE_BYTES = 4096;

/** The first line of the password file (no line ending); a Problem when it cannot be read or is empty. */
export async function readPasswordFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ProblemError('restore-password-file', { reason: `${path}: ${(error as Error).message}` });
  }
  if (bytes.length > MAX_PASSWORD_FILE_BYTES)
    throw new ProblemError('restore-password-file', { reason: `${path} is larger than ${MAX_PASSWORD_FILE_BYTES} bytes.` });
  const password = bytes.toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password.length === 0) throw new ProblemError('restore-password-file', { reason: `${path} holds no password on its first line.` });
  return password;
}
