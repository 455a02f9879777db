import { basename } from 'node:path';
import { ProblemError } from '../../../common/api';
import type { Phone } from '../../../common/phone';
import { maskPhoneId } from '../../../common/phone-id-mask';
import { describeBackupContents } from '../../backup/backup-contents';
import { findBackups } from '../../backup/backup-finder';
import { BackupOpenError } from '../../backup/backup-manifest';
import { chooseBackup } from '../../backup/backup-restore-service';
import type { BackupService } from '../../backup/backup-service';
import { backupEraseReadiness, type NewBackupChance } from '../../backup/erase-readiness';
import { activationLockOf } from '../../devices/activation-lock';
import { readEraseFacts, type EraseFacts } from '../../lockdown/erase-facts';
import type { CommandHandlers, EngineContext } from '../engine-ports';

type EraseSafetyCommands = 'backup.describe' | 'backup.eraseReadiness' | 'phone.activationLock';

const FACTS_TIMEOUT_MS = 10_000;

/**
 * Before and around an erase: what a backup holds (backup.describe), whether it will open afterwards
 * (backup.eraseReadiness) and what Activation Lock will ask for (phone.activationLock). Passwords are used for the one
 * reading or check and go no further.
 */
export function eraseSafetyHandlers(context: EngineContext): Pick<CommandHandlers, EraseSafetyCommands> {
  const service = (): BackupService => {
    if (context.options.backup) return context.options.backup;
    throw new ProblemError('backup-unavailable');
  };
  const phoneById = (phoneId: string): Phone => {
    const phone = context.phones().find((p) => p.id === phoneId);
    if (phone) return phone;
    throw new ProblemError('phone-not-found', { phoneId: maskPhoneId(phoneId) });
  };
  /** One lockdown conversation with a phone running iOS (needs trust for the values that matter). */
  const eraseFacts = async (phoneId: string): Promise<EraseFacts> => {
    const backups = service();
    const signal = AbortSignal.timeout(FACTS_TIMEOUT_MS * 2);
    const target = await backups.resolve({ phoneId }, signal);
    return readEraseFacts(backups.usbmux, target, { timeoutMs: FACTS_TIMEOUT_MS, signal });
  };
  return {
    'backup.describe': async ({ backupId, directory, password }) => {
      const backup = chooseBackup(await findBackups(service().roots(directory)), backupId);
      try {
        const contents = await describeBackupContents(backup.path, password !== undefined ? { password } : {});
        return { backup: { ...backup, folderName: basename(backup.path) }, contents };
      } catch (error) {
        if (error instanceof BackupOpenError && error.kind === 'wrong-password')
          throw new ProblemError('backup-wrong-password', undefined, { cause: error });
        throw error;
      }
    },
    'backup.eraseReadiness': async ({ backupId, directory, password, phoneId }) => {
      const backups = await findBackups(service().roots(directory), { skipSize: true });
      const chance = async (): Promise<NewBackupChance> => {
        const phone = phoneId !== undefined ? context.phones().find((p) => p.id === phoneId) : undefined;
        if (!phone) return { canBackUp: false, reason: 'The phone is not connected.', willEncrypt: null };
        if (!phone.triage.canBackUp) return { canBackUp: false, reason: phone.triage.reason, willEncrypt: null };
        const facts = await eraseFacts(phone.id).catch(() => undefined);
        return { canBackUp: true, reason: phone.triage.reason, willEncrypt: facts?.willEncrypt ?? null };
      };
      return backupEraseReadiness(backups, { backupId, ...(password !== undefined ? { password } : {}) }, chance);
    },
    'phone.activationLock': async ({ phoneId }) => activationLockOf(phoneById(phoneId), () => eraseFacts(phoneId)),
  };
}
