import { parseUdid } from '../../common/phone-identity';
import { isPlistDict } from '../plist/plist-value';
import type { PlistDict, PlistValue } from '../plist/plist-value';
import type { UsbmuxClient, UsbmuxDevice } from '../usbmux/usbmux-client';
import { LockdownClient, LockdownError } from './lockdown-client';
import type { LockdownFailureCode } from './lockdown-client';
import { LockdownDomain } from './lockdown-wire';
import type { PairRecord } from './pair-record';
import { readPairRecord } from './pair-record-store';
import { MOBILEBACKUP2_SERVICE } from './service-names';

/**
 * What pairing says about this host and phone:
 * - 'trusted': StartSession with our pair record succeeded;
 * - 'paired-locked': we hold a pair record but the phone refuses the session until it is unlocked;
 * - 'not-trusted': no pair record, or the phone no longer knows our HostID (InvalidHostID);
 * - 'unknown': the session attempt failed for another reason (see `trustError`).
 */
export type LockdownTrust = 'trusted' | 'paired-locked' | 'not-trusted' | 'unknown';

export type LockdownDeviceInfo = {
  deviceId: number;
  /** UDID as usbmuxd lists it (dash rule applied). */
  udid: string;
  /** QueryType: 'com.apple.mobile.lockdown' (normal) or 'com.apple.mobile.restored' (restore mode). */
  lockdownType: string;
  productType: string | null;
  /** Board config, e.g. 'N104AP'. */
  hardwareModel: string | null;
  productVersion: string | null;
  buildVersion: string | null;
  /** UniqueDeviceID, only when it is a real UDID (see `invalidIdentity`). */
  uniqueDeviceId: string | null;
  /**
   * UniqueDeviceID is not a UDID, or not the one usbmuxd lists for this phone: the phone reports an invalid identity
   * and is never backed up or restored.
   */
  invalidIdentity: boolean;
  chipId: number | null;
  boardId: number | null;
  /** UniqueChipID. */
  ecid: bigint | null;
  deviceName: string | null;
  /** A passcode lock is on now; null when the phone would not say. */
  passwordProtected: boolean | null;
  /** Backups of this phone are encrypted (com.apple.mobile.backup WillEncrypt; session only). */
  willEncrypt: boolean | null;
  /**
   * The passcode was entered at least once since the phone started, so its data keys are available to a trusted
   * host (the escrow bag opens them); null when it could not be checked.
   */
  unlockedSinceBoot: boolean | null;
  pairRecordFound: boolean;
  trust: LockdownTrust;
  /** Why trust is not 'trusted', when lockdown said so (e.g. InvalidHostID, PasswordProtected, Timeout). */
  trustError: LockdownFailureCode | 'PairRecordUnreadable' | null;
};

export type ReadDeviceInfoOptions = {
  /** The pair record to try; null = none. When absent it is read from usbmuxd (ReadPairRecord). */
  pairRecord?: PairRecord | null;
  /** Bound on the whole read. */
  timeoutMs?: number;
  /** Bound on each lockdown request. */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  label?: string;
};

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Leave this much of the budget for closing politely. */
const MIN_STEP_MS = 50;

function text(value: PlistValue | undefined): string | null {
  return typeof value === 'string' && value.length <= 1024 ? value : null;
}

function uint(value: PlistValue | undefined): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  return null;
}

/** ECIDs are u64; plist integers are read as signed 64-bit (docs/protocols/plist.md#integers), so fold negatives back. */
function bigUint(value: PlistValue | undefined): bigint | null {
  if (typeof value === 'bigint' && value >= -(1n << 63n) && value < 1n << 64n) return BigInt.asUintN(64, value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return null;
}

function bool(value: PlistValue | undefined): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

class DeadlineError extends Error {}

/**
 * Everything lockdown tells about one attached normal-mode phone: pre-session facts (model, iOS, build, UDID,
 * chip, board, ECID, name), then — with a pair record — whether a session opens (trust) and session-only facts.
 * Throws (UsbmuxError / LockdownError) only when the phone cannot be identified at all; a failed session only
 * sets `trust`/`trustError`.
 */
export async function readDeviceInfo(
  usbmux: UsbmuxClient,
  device: Pick<UsbmuxDevice, 'deviceId' | 'udid'>,
  options: ReadDeviceInfoOptions = {},
): Promise<LockdownDeviceInfo> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const step = (): number => {
    const left = deadline - Date.now();
    if (left < MIN_STEP_MS) throw new DeadlineError();
    return Math.min(requestTimeout, left);
  };

  let client: LockdownClient | null = null;
  const onAbort = (): void => client?.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    options.signal?.throwIfAborted();
    client = await LockdownClient.connect(usbmux, device.deviceId, {
      label: options.label ?? 'lifeline',
      timeoutMs: requestTimeout,
      usbmux: { timeoutMs: step(), ...(options.signal ? { signal: options.signal } : {}) },
    });
    const lockdownType = await client.queryType({ timeoutMs: step() });
    const facts = await preSessionFacts(client, step);

    const info: LockdownDeviceInfo = {
      deviceId: device.deviceId,
      udid: device.udid,
      lockdownType,
      productType: null,
      hardwareModel: null,
      productVersion: null,
      buildVersion: null,
      uniqueDeviceId: null,
      invalidIdentity: false,
      chipId: null,
      boardId: null,
      ecid: null,
      deviceName: null,
      passwordProtected: null,
      willEncrypt: null,
      unlockedSinceBoot: null,
      pairRecordFound: false,
      trust: 'not-trusted',
      trustError: null,
    };
    const fill = (dict: PlistDict): void => {
      info.productType ??= text(dict.ProductType);
      info.hardwareModel ??= text(dict.HardwareModel);
      info.productVersion ??= text(dict.ProductVersion);
      info.buildVersion ??= text(dict.BuildVersion);
      if (info.uniqueDeviceId === null && !info.invalidIdentity && dict.UniqueDeviceID !== undefined) {
        const reported = parseUdid(dict.UniqueDeviceID);
        if (reported !== null && reported.toUpperCase() === device.udid.toUpperCase()) info.uniqueDeviceId = reported;
        else info.invalidIdentity = true;
      }
      info.chipId ??= uint(dict.ChipID);
      info.boardId ??= uint(dict.BoardId);
      info.ecid ??= bigUint(dict.UniqueChipID);
      info.deviceName ??= text(dict.DeviceName);
      info.passwordProtected ??= bool(dict.PasswordProtected);
    };
    fill(facts);

    // Not every iOS puts DeviceName in the pre-session dict; a single-key read sometimes works.
    if (info.deviceName === null) info.deviceName = text(await optionalValue(client, { key: 'DeviceName' }, step()));

    await readTrust(usbmux, client, info, options, step, fill);
    return info;
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof DeadlineError) {
      throw new LockdownError(
        'Timeout',
        'readDeviceInfo',
        `readDeviceInfo: no complete answer within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`,
      );
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    client?.close();
  }
}

async function readTrust(
  usbmux: UsbmuxClient,
  client: LockdownClient,
  info: LockdownDeviceInfo,
  options: ReadDeviceInfoOptions,
  step: () => number,
  fill: (dict: PlistDict) => void,
): Promise<void> {
  let record: PairRecord | null;
  try {
    record = options.pairRecord !== undefined ? options.pairRecord : await readPairRecord(usbmux, info.udid, { timeoutMs: step() });
  } catch (error) {
    if (error instanceof DeadlineError) throw error;
    info.trust = 'unknown';
    info.trustError = 'PairRecordUnreadable';
    return;
  }
  info.pairRecordFound = record !== null;
  if (!record) return;

  try {
    await client.startSession(record, { timeoutMs: step(), legacyTls: isBelowIos10(info.productVersion) });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof DeadlineError) {
      info.trust = 'unknown';
      info.trustError = 'Timeout';
      return;
    }
    const code = error instanceof LockdownError ? error.code : 'UnknownError';
    info.trustError = code;
    if (code === 'InvalidHostID' || code === 'MissingHostID') info.trust = 'not-trusted';
    else if (code === 'PasswordProtected') {
      info.trust = 'paired-locked';
      info.passwordProtected = true;
    } else info.trust = 'unknown';
    return;
  }
  info.trust = 'trusted';

  // Session-only facts: each is a bonus; a failure or the deadline leaves it null.
  try {
    const passwordProtected = bool(await optionalValue(client, { key: 'PasswordProtected' }, step()));
    if (passwordProtected !== null) info.passwordProtected = passwordProtected;
    info.willEncrypt = bool(await optionalValue(client, { domain: LockdownDomain.Backup, key: 'WillEncrypt' }, step()));
    // docs/protocols/lockdown.md#values-before-a-session: a missing WillEncrypt means "not encrypted".
    if (info.willEncrypt === null && !client.closed) info.willEncrypt = false;
    if (info.deviceName === null) info.deviceName = text(await optionalValue(client, { key: 'DeviceName' }, step()));
    info.unlockedSinceBoot = await escrowOpens(client, record, info.passwordProtected, step);
    const missing = [info.productType, info.productVersion, info.buildVersion, info.chipId, info.ecid].some((v) => v === null);
    if (missing) {
      const values = await optionalValue(client, {}, step());
      if (isPlistDict(values)) fill(values);
    }
    await client.stopSession({ timeoutMs: Math.min(step(), 2_000) }).catch(() => undefined);
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error;
  }
}

/**
 * A locked phone only starts the backup service for a host whose escrow bag it can open, which it can only do once
 * the passcode has been entered since boot (EscrowLocked otherwise). An unlocked phone was unlocked since boot.
 */
async function escrowOpens(
  client: LockdownClient,
  record: PairRecord,
  locked: boolean | null,
  step: () => number,
): Promise<boolean | null> {
  if (locked === false) return true;
  if (!record.EscrowBag) return null;
  try {
    await client.startService(MOBILEBACKUP2_SERVICE, { escrowBag: record.EscrowBag, timeoutMs: step() });
    return true;
  } catch (error) {
    if (error instanceof DeadlineError) throw error;
    return error instanceof LockdownError && error.code === 'EscrowLocked' ? false : null;
  }
}

const IDENTITY_KEYS = [
  'ProductType',
  'HardwareModel',
  'ProductVersion',
  'BuildVersion',
  'UniqueDeviceID',
  'ChipID',
  'BoardId',
  'UniqueChipID',
];

/** The pre-session default-domain dict; if a phone refuses the whole dict, the identity keys one by one. */
async function preSessionFacts(client: LockdownClient, step: () => number): Promise<PlistDict> {
  try {
    const values = await client.getValue({}, { timeoutMs: step() });
    if (isPlistDict(values)) return values;
  } catch (error) {
    if (!(error instanceof LockdownError) || !isDeviceRefusal(error)) throw error;
  }
  const facts: PlistDict = {};
  for (const key of IDENTITY_KEYS) {
    const value = await optionalValue(client, { key }, step());
    if (value !== undefined) facts[key] = value;
  }
  return facts;
}

/** The device answered with an Error string: the conversation itself is fine. */
function isDeviceRefusal(error: LockdownError): boolean {
  return error.details.deviceError !== undefined;
}

/** A GetValue whose lockdown errors (GetProhibited, MissingValue, …) mean "not available", not failure. */
export async function optionalValue(
  client: LockdownClient,
  query: { domain?: string; key?: string },
  timeoutMs: number,
): Promise<PlistValue | undefined> {
  if (client.closed) return undefined;
  try {
    return await client.getValue(query, { timeoutMs });
  } catch (error) {
    if (error instanceof LockdownError && (isDeviceRefusal(error) || error.code === 'Timeout')) return undefined;
    throw error;
  }
}

export function isBelowIos10(version: string | null): boolean {
  if (!version) return false;
  const major = Number.parseInt(version.split('.')[0] ?? '', 10);
  return Number.isInteger(major) && major < 10;
}
