import { USER_DATA_ERASED_EVENT, type SimService, type SimServicePhone } from '../sim-service';
import { VirtualFilesystem } from '../virtual-fs';
import { AfcFilesystem, createAfcService } from './afc';
import { PhoneBackupEncryption } from './backup-encryption';
import { createInstallationProxyService } from './installation-proxy';
import { createMobileBackup2Service } from './mobilebackup2';
import { createNotificationProxyService } from './notification-proxy';

type PhoneStorage = { filesystem: VirtualFilesystem; afc: AfcFilesystem; encryption: PhoneBackupEncryption };

const storage = new WeakMap<SimServicePhone, PhoneStorage>();

function storageOf(phone: SimServicePhone): PhoneStorage {
  let found = storage.get(phone);
  if (!found) {
    const { seed, fileCount, totalBytes, personal } = phone.scenario.filesystem;
    const fresh: PhoneStorage = {
      filesystem: new VirtualFilesystem({ seed, fileCount, totalBytes, ...(personal ? { personal } : {}) }),
      afc: new AfcFilesystem(() => phone.faults.diskFull),
      encryption: new PhoneBackupEncryption(phone.scenario),
    };
    phone.events.on(USER_DATA_ERASED_EVENT, () => fresh.filesystem.eraseAll());
    storage.set(phone, fresh);
    found = fresh;
  }
  return found;
}

/** The phone's backup-visible files (what a backup copies and a restore replaces). */
export function virtualFilesystemOf(phone: SimServicePhone): VirtualFilesystem {
  return storageOf(phone).filesystem;
}

/** The phone's media partition as AFC sees it. */
export function afcFilesystemOf(phone: SimServicePhone): AfcFilesystem {
  return storageOf(phone).afc;
}

/** The phone's backup encryption setting and keys. */
export function backupEncryptionOf(phone: SimServicePhone): PhoneBackupEncryption {
  return storageOf(phone).encryption;
}

/** Every lockdown-startable service of a normal-mode phone, by service name. */
export function createSimServices(phone: SimServicePhone): Map<string, SimService> {
  const { filesystem, afc, encryption } = storageOf(phone);
  const bundleIds = (): string[] =>
    [...new Set(filesystem.files().map((f) => f.domain))]
      .filter((d) => d.startsWith('AppDomain-'))
      .map((d) => d.slice('AppDomain-'.length));
  const services = [
    createNotificationProxyService(phone),
    createAfcService(phone, afc),
    createMobileBackup2Service(phone, { filesystem, encryption }),
    createInstallationProxyService(bundleIds),
  ];
  return new Map(services.map((s) => [s.name, s]));
}
