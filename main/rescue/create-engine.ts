import { join } from 'node:path';
import { BackupService } from '../backup/backup-service';
import { BACKUP_DIR_ENV, currentLocationEnvironment } from '../backup/backup-locations';
import { CoachService } from '../coach/coach-service';
import { FirmwareService, firmwareSettingsFromEnv, type FirmwareSettings } from '../firmware/firmware-service';
import { startHostRegistry } from '../devices/host-sources';
import { PhoneIdentityMemory } from '../devices/phone-identity-memory';
import { phoneIdentitiesFile } from '../log/data-folder';
import type { PhoneRegistry } from '../devices/phone-registry';
import type { UsbmuxAddress } from '../usbmux/usbmux-address';
import { UsbmuxClient } from '../usbmux/usbmux-client';
import { LabelledUsbBus, openPlatformUsbBus } from '../usb/platform-usb-bus';
import { USBIP_ENV, openUsbipBus, parseUsbipAddress } from '../usbip/usbip-bus';
import type { UsbBus } from '../usb/usb-bus';
import { ProblemError, type PracticeControls } from '../../common/api';
import { APP_NAME, APP_VERSION } from '../version';
import { Engine } from './engine';

export type AppEngineOptions = {
  /** Practice mode: virtual phones on a private fake usbmuxd and a simulated USB bus, never the real ones. */
  demo?: boolean;
  /** Scales the virtual phones' delays (practice mode only; tests use small values). */
  demoTimeFactor?: number;
  /** How long a card waits for a phone that went away. */
  reconnectGraceMs?: number;
  /**
   * Practice mode with the virtual phones in a process of their own (`npm run sim:practice`): they outlive this
   * engine, as real phones do. Without it, practice mode starts its phones in this process.
   */
  practiceHost?: { url: string; token: string };
  /** "HOST:PORT" of a USB/IP server to use instead of this computer's USB ports (`--usbip`, else LIFELINE_USBIP). */
  usbip?: string;
};

/** The composition root every front end shares (Electron, web bridge, CLI). */
export async function createAppEngine(options: AppEngineOptions = {}): Promise<Engine> {
  const identity = { name: APP_NAME, version: APP_VERSION, demo: options.demo ?? false };
  const grace = options.reconnectGraceMs !== undefined ? { reconnectGraceMs: options.reconnectGraceMs } : {};
  if (options.demo) {
    // Loaded only here, so a real run never loads (and the app's main bundle never contains) the virtual phones.
    const host = await openPracticeHost(options);
    const identities = PhoneIdentityMemory.open(phoneIdentitiesFile(host.dataDir));
    const phones = await startHostRegistry({ usb: host.usb, usbmuxAddress: host.usbmuxAddress, identities, ...grace });
    // Practice backups of virtual phones never land among real ones (unless LIFELINE_BACKUP_DIR says where).
    const environment = currentLocationEnvironment();
    const practiceDir = environment.env[BACKUP_DIR_ENV] ?? join(host.dataDir, 'MobileSync', 'Backup');
    const locations = { ...environment, env: { ...environment.env, [BACKUP_DIR_ENV]: practiceDir } };
    const backup = backupServiceFor(phones, host.usbmuxAddress, locations);
    const coach = new CoachService({ phones, usbmux: new UsbmuxClient({ address: host.usbmuxAddress }) });
    // Practice firmware comes from local fake Apple servers, never the internet.
    const firmware = new FirmwareService(host.firmwareSettings);
    return new Engine({
      ...identity,
      phones,
      practice: host.practice,
      backup,
      coach,
      firmware,
      usb: host.usb,
      restore: { tssUrl: host.tssUrl, usbmuxAddress: host.usbmuxAddress },
      onClose: host.close,
    });
  }
  const usb = await openHostUsbBus(options.usbip ?? process.env[USBIP_ENV]);
  const phones = await startHostRegistry({ usb, identities: PhoneIdentityMemory.open(phoneIdentitiesFile()), ...grace });
  const coach = new CoachService({ phones, usbmux: new UsbmuxClient() });
  const firmware = new FirmwareService(firmwareSettingsFromEnv());
  return new Engine({ ...identity, phones, backup: backupServiceFor(phones, undefined, undefined), coach, firmware, usb });
}

/** What the engine uses of practice mode's phones (main/sim/practice-host.ts's PracticeConnection; the simulator is only imported lazily). */
type PracticeConnection = {
  usb: UsbBus;
  usbmuxAddress: UsbmuxAddress;
  practice: PracticeControls;
  firmwareSettings: FirmwareSettings;
  tssUrl: string;
  dataDir: string;
  close(): Promise<void>;
};

/** Practice mode's phones: joined in their own process when one is named, else started here. */
async function openPracticeHost(options: AppEngineOptions): Promise<PracticeConnection> {
  if (options.practiceHost) {
    const { connectPracticeHost } = await import('../sim/remote-practice-host');
    return connectPracticeHost(options.practiceHost);
  }
  const { startPracticeHost, practiceConnectionOf } = await import('../sim/practice-host');
  return practiceConnectionOf(await startPracticeHost({ timeFactor: options.demoTimeFactor ?? 1 }));
}

/** This computer's USB ports (docs/protocols/windows-apple-driver.md#bus-choice), or a USB/IP server when one is named. */
async function openHostUsbBus(usbip: string | undefined): Promise<UsbBus> {
  if (usbip === undefined || usbip.trim() === '') return openPlatformUsbBus();
  const address = parseUsbipAddress(usbip);
  if (!address) {
    throw new ProblemError('usbip-address', { address: usbip, variable: USBIP_ENV });
  }
  return new LabelledUsbBus(await openUsbipBus({ address }), 'usbip');
}

function backupServiceFor(
  phones: PhoneRegistry,
  usbmuxAddress: UsbmuxAddress | undefined,
  locations: ReturnType<typeof currentLocationEnvironment> | undefined,
): BackupService {
  return new BackupService({
    ...(usbmuxAddress ? { usbmuxAddress } : {}),
    ...(locations ? { locations } : {}),
    resolvePhone: (phoneId) => phones.usbmuxDeviceOf(phoneId),
    udidOfPhone: (phoneId) => phones.udidOf(phoneId),
  });
}
