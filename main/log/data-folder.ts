import { homedir } from 'node:os';
import { join, win32 } from 'node:path';
import { fullPathFromEnvironment } from '../../common/full-path';

/** Overrides where Lifeline keeps its own files (logs, saved journeys): a full path. */
export const DATA_DIR_ENV = 'LIFELINE_DATA_DIR';
const FOLDER_NAME = 'Lifeline';

export type DataFolderEnvironment = { env: NodeJS.ProcessEnv; platform: NodeJS.Platform; home: string };

export function currentDataFolderEnvironment(): DataFolderEnvironment {
  return { env: process.env, platform: process.platform, home: homedir() };
}

/**
 * The app's data folder, the same one Electron calls `userData` for a product named Lifeline (so the app, its engine
 * process and the CLI share it): `LIFELINE_DATA_DIR` when it is a full path, else per OS.
 */
export function dataFolder(environment: DataFolderEnvironment = currentDataFolderEnvironment()): string {
  const { env, platform, home } = environment;
  const override = fullPathFromEnvironment(env[DATA_DIR_ENV], platform);
  if (override !== undefined) return override;
  if (platform === 'win32') return win32.join(env.APPDATA ?? win32.join(home, 'AppData', 'Roaming'), FOLDER_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', FOLDER_NAME);
  const config = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(config, FOLDER_NAME);
}

/** Where the log files live inside the data folder. */
export function logFolder(data: string = dataFolder()): string {
  return join(data, 'logs');
}

/** Where saved journeys live inside the data folder (one `<public id>.json` per phone); diagnostics reads them from here. */
export function journeyFolder(data: string = dataFolder()): string {
  return join(data, 'journeys');
}

/** The ECID ↔ UDID pairs of phones seen started normally (main/devices/phone-identity-memory.ts). */
export function phoneIdentitiesFile(data: string = dataFolder()): string {
  return join(data, 'phone-identities.json');
}
