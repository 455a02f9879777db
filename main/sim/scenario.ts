import { compareVersions } from '../../common/ios-version';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { findModelByProductType } from '../../common/device-table';
import type { DeviceModel } from '../../common/device-table';

const IOS_VERSION = /^\d{1,2}\.\d{1,2}(\.\d{1,2})?$/;

/** One virtual phone's state as a test or the demo mode describes it. Missing fields get defaults. */
export const ScenarioSchema = z.object({
  model: z
    .object({
      productType: z.string().min(1),
      boardConfig: z.string().min(1).optional(),
    })
    .default({ productType: 'iPhone12,1' }),
  ios: z.string().regex(IOS_VERSION, 'iOS version like 14.8 or 12.5.7').default('14.8'),
  /** Build like 18H17; derived from the version when absent. */
  build: z.string().min(1).optional(),
  deviceName: z.string().min(1).max(255).default('iPhone'),
  /** Seed for every derived identity value (UDID, ECID, serial, IMEI, MAC, device key is random). */
  seed: z.string().default('lifeline'),
  udid: z
    .string()
    .regex(/^([0-9A-Fa-f]{8}-?[0-9A-Fa-f]{16}|[0-9a-fA-F]{40})$/)
    .optional(),
  /**
   * A hostile phone: the identity it reports (usbmuxd SerialNumber, lockdown UniqueDeviceID) verbatim, however
   * malformed (e.g. `x/../../victim`). Overrides `udid`; for tests of the host's identity checks.
   */
  reportedUdid: z.string().min(1).max(1024).optional(),
  /** Hex (0x…) or decimal string; JSON has no 64-bit integers. */
  ecid: z
    .string()
    .regex(/^(0x[0-9A-Fa-f]{1,16}|\d{1,20})$/)
    .optional(),
  serialNumber: z
    .string()
    .regex(/^[A-Z0-9]{10,12}$/)
    .optional(),
  imei: z
    .string()
    .regex(/^\d{15}$/)
    .optional(),
  passcodeSet: z.boolean().default(true),
  /** False for a phone fresh from an erase: lockdown ActivationState `Unactivated`. */
  activated: z.boolean().default(true),
  /** Find My is on (lockdown com.apple.fmip IsAssociated): after an erase, Activation Lock asks for the Apple ID. */
  findMy: z.boolean().default(true),
  /** False while the setup assistant has not been finished (a freshly erased phone). */
  setupDone: z.boolean().default(true),
  locked: z.boolean().default(true),
  /** Pre-paired with this host: a pair record is generated and stored in the fake usbmuxd. */
  trusted: z.boolean().default(false),
  trustDialog: z.enum(['accept', 'deny', 'pending']).default('accept'),
  unlockedSinceBoot: z.boolean().default(true),
  backupEncryption: z.boolean().default(false),
  /** The backup password while encryption is on (main/sim/services/backup-encryption.ts names the default). */
  backupPassword: z.string().min(1).max(1024).optional(),
  /**
   * PBKDF2 rounds of the keybag the phone makes when a backup password is set. A real iPhone uses 10,000 SHA-1 and
   * 10,000,000 SHA-256 rounds (seconds per check); the virtual phone defaults to few so tests stay quick.
   */
  backupKeybagRounds: z
    .object({ sha1Rounds: z.number().int().min(1).max(10_000_000), sha256Rounds: z.number().int().min(1).max(50_000_000) })
    .default({ sha1Rounds: 1_000, sha256Rounds: 10_000 }),
  battery: z.number().int().min(0).max(100).default(80),
  mode: z.enum(['normal', 'recovery', 'dfu']).default('normal'),
  filesystem: z
    .object({
      seed: z.string().default('lifeline-fs'),
      fileCount: z.number().int().min(0).max(10_000_000).default(2000),
      totalBytes: z
        .number()
        .int()
        .min(0)
        .max(2 ** 50)
        .default(64 * 1024 * 1024),
      /** Photos, videos, messages, contacts and notes where a real phone keeps them (main/sim/personal-data.ts); none when absent. */
      personal: z
        .object({
          photos: z.number().int().min(0).max(100_000),
          videos: z.number().int().min(0).max(100_000),
          messages: z.number().int().min(0).max(1_000_000),
          contacts: z.number().int().min(0).max(100_000),
          notes: z.number().int().min(0).max(100_000),
        })
        .optional(),
    })
    .default({ seed: 'lifeline-fs', fileCount: 2000, totalBytes: 64 * 1024 * 1024 }),
  /** 1 = real time; tests use e.g. 0.01. */
  timeFactor: z.number().positive().max(1000).default(1),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

export function parseScenario(input: unknown): Scenario {
  const scenario = ScenarioSchema.parse(input ?? {});
  if (!findModelByProductType(scenario.model.productType, scenario.model.boardConfig)) {
    throw new Error(`scenario: unknown model ${scenario.model.productType}`);
  }
  return scenario;
}

export async function loadScenarioFile(path: string): Promise<Scenario> {
  const text = await readFile(path, 'utf8');
  if (text.length > 1024 * 1024) throw new Error(`scenario: ${path} is larger than 1 MiB`);
  return parseScenario(JSON.parse(text));
}

export function scenarioModel(scenario: Scenario): DeviceModel {
  const model = findModelByProductType(scenario.model.productType, scenario.model.boardConfig);
  if (!model) throw new Error(`scenario: unknown model ${scenario.model.productType}`);
  return model;
}

export function iosAtLeast(scenario: Scenario, version: string): boolean {
  return compareVersions(scenario.ios, version) >= 0;
}

/** iOS ≥ 16.1 asks for the passcode on the phone before a backup starts (when one is set). */
export function backupNeedsPasscode(scenario: Scenario): boolean {
  return scenario.passcodeSet && iosAtLeast(scenario, '16.1');
}

const KNOWN_BUILDS: Record<string, string> = {
  '9.3.5': '13G36',
  '10.3.4': '14G61',
  '12.5.7': '16H81',
  '14.8': '18H17',
  '15.7': '19H12',
  '16.0': '20A362',
  '17.0': '21A329',
};

/** Real build where known; otherwise a plausible one (major+4, minor as letter). */
export function buildVersionFor(scenario: Scenario): string {
  if (scenario.build) return scenario.build;
  const known = KNOWN_BUILDS[scenario.ios];
  if (known) return known;
  const [major = 14, minor = 0, patch = 0] = scenario.ios.split('.').map((p) => Number.parseInt(p, 10));
  return `${major + 4}${String.fromCharCode(65 + Math.min(minor, 25))}${patch > 0 ? 100 + patch * 10 : 1}`;
}
