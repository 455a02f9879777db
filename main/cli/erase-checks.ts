import type { ActivationLock, LifelineApi } from '../../common/api';
import { printProblem, type Output } from './cli-output';
import { EXIT } from './exit-codes';
import { PromptCancelledError } from './hidden-input';
import { readPasswordFile } from './password-file';

/**
 * What `lifeline restore --erase` makes sure of before it asks for the confirmation: the backup that is to come back
 * afterwards opens (its password proven offline, never echoed or logged), and what Activation Lock will ask for.
 */

export type EraseBackupOptions = { backupId: string; directory?: string; passwordFile?: string; phoneId: string };

/** The backup's id once it is proven to open, or the exit code after saying why not (nothing erased). */
export async function proveBackupBeforeErase(
  api: LifelineApi,
  output: Output,
  options: EraseBackupOptions,
): Promise<{ backupId: string } | { exit: number }> {
  const where = options.directory !== undefined ? { directory: options.directory } : {};
  const { backup } = await api.invoke('backup.show', { backupId: options.backupId, ...where });
  let password: string | undefined;
  if (backup.encrypted === true) {
    try {
      password =
        options.passwordFile !== undefined
          ? await readPasswordFile(options.passwordFile)
          : await output.askSecret?.(`The backup ${backup.id} is encrypted. Its password (not shown; Enter if you do not know it): `);
    } catch (error) {
      if (error instanceof PromptCancelledError) return { exit: EXIT.cancelled };
      throw error;
    }
    if (!output.json) output.err('Checking the backup password before anything is erased (a real backup takes a few seconds)…');
  }
  const readiness = await api.invoke('backup.eraseReadiness', {
    backupId: backup.id,
    phoneId: options.phoneId,
    ...where,
    ...(password !== undefined && password.length > 0 ? { password } : {}),
  });
  if (readiness.ready) {
    if (!output.json && readiness.encrypted)
      output.err(`That is the password of backup ${readiness.backupId}: it can be put back after the erase.`);
    return { backupId: readiness.backupId };
  }
  if (readiness.problem) printProblem(output, { problem: readiness.problem });
  if (!output.json) output.err('Nothing was erased.');
  return { exit: EXIT.failed };
}

/** Activation Lock in words, for the erase warning (the facts behind it and Apple's pages). */
export function activationLockLines(lock: ActivationLock): string[] {
  return [
    lock.message,
    ...lock.evidence.map((fact) => `  (${fact.replace(/\.$/, '')})`),
    ...lock.links.map((link) => `  ${link.label}: ${link.url}`),
  ];
}
