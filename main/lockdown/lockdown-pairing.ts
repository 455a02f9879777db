/**
 * This computer pairs with a phone (docs/protocols/lockdown.md#host-pairing): the phone's public key and the host's
 * BUID, a fresh pair record, lockdown `Pair` until the person answers the Trust dialog, the phone's escrow bag kept in
 * the record, the record saved through usbmuxd. `ensurePaired` uses the stored record while the phone still accepts it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ProblemError } from '../../common/api';
import type { UsbmuxClient, UsbmuxRequestOptions } from '../usbmux/usbmux-client';
import { LockdownClient, LockdownError } from './lockdown-client';
import { LOCKDOWN_PROTOCOL_VERSION, LOCKDOWN_TYPE, LockdownError as LockdownErrorString } from './lockdown-wire';
import { generatePairRecord, pairRequestRecord, type PairRecord } from './pair-record';
import { readPairRecord, savePairRecord } from './pair-record-store';

/** What the person is asked while the phone shows "Trust This Computer?" (iOS 11 and later also ask for the passcode). */
export const TRUST_PROMPT = 'On the phone, tap Trust and enter its passcode';

export type PairTarget = { deviceId: number; udid: string };

export type PairPhoneOptions = {
  signal?: AbortSignal;
  /** Called while the phone waits for the person (the Trust dialog, or its setup assistant), with what to tell them. */
  onWaiting?: (message: string, waitingFor: 'trust' | 'setup') => void;
  /** Between two Pair requests while the dialog is showing (pymobiledevice3 polls every second). */
  pollMs?: number;
  /** How long the person has to answer the dialog. */
  waitMs?: number;
  lockdownTimeoutMs?: number;
};

type Usbmux = Pick<UsbmuxClient, 'connect' | 'readBuid' | 'readPairRecordData' | 'request'>;

const DEFAULT_POLL_MS = 1_000;
const DEFAULT_WAIT_MS = 5 * 60_000;
const MAX_PUBLIC_KEY_BYTES = 16 * 1024;
const MAX_ESCROW_BAG_BYTES = 4 * 1024;

/**
 * The record of a phone that trusts this computer: the stored one when the phone still knows its HostID, else a new
 * pairing (the phone was erased, or forgot this computer). A record for another phone is not replaced silently: that
 * failure (`PhoneIdentityMismatch`) is thrown as it is.
 */
export async function ensurePaired(usbmux: Usbmux, target: PairTarget, options: PairPhoneOptions = {}): Promise<PairRecord> {
  const stored = await readPairRecord(usbmux, target.udid, usbmuxOptions(options));
  if (stored && (await phoneAcceptsRecord(usbmux, target, stored, options))) return stored;
  return pairPhone(usbmux, target, options);
}

/** Whether a session with this record opens (the phone knows its HostID and holds its device key). */
async function phoneAcceptsRecord(usbmux: Usbmux, target: PairTarget, record: PairRecord, options: PairPhoneOptions): Promise<boolean> {
  return withLockdown(usbmux, target, options, async (lockdown) => {
    const version = await lockdown.getValue({ key: 'ProductVersion' });
    try {
      await lockdown.startSession(record, { legacyTls: typeof version === 'string' && Number.parseInt(version, 10) < 10 });
    } catch (error) {
      if (
        error instanceof LockdownError &&
        (error.code === LockdownErrorString.InvalidHostID || error.code === LockdownErrorString.MissingHostID)
      )
        return false;
      throw error;
    }
    await lockdown.stopSession().catch(() => undefined);
    return true;
  });
}

/** A new pairing: Pair until the person answers, then the record (with the phone's escrow bag) saved through usbmuxd. */
export async function pairPhone(usbmux: Usbmux, target: PairTarget, options: PairPhoneOptions = {}): Promise<PairRecord> {
  const signal = options.signal;
  const { devicePublicKey, wifiAddress } = await withLockdown(usbmux, target, options, async (lockdown) => {
    const type = await lockdown.queryType();
    if (type !== LOCKDOWN_TYPE)
      throw new ProblemError('pair-refused', undefined, { cause: new Error(`lockdown type ${type.slice(0, 64)}`) });
    const key = await lockdown.getValue({ key: 'DevicePublicKey' });
    const wifi = await lockdown.getValue({ key: 'WiFiAddress' }).catch(() => undefined);
    return { devicePublicKey: key, wifiAddress: typeof wifi === 'string' && wifi.length <= 64 ? wifi : undefined };
  });
  const keyBytes =
    typeof devicePublicKey === 'string'
      ? Buffer.from(devicePublicKey)
      : devicePublicKey instanceof Uint8Array
        ? devicePublicKey
        : undefined;
  if (!keyBytes || keyBytes.length === 0 || keyBytes.length > MAX_PUBLIC_KEY_BYTES) {
    throw new ProblemError('pair-refused', undefined, { cause: new Error('no usable DevicePublicKey') });
  }
  const systemBuid = await usbmux.readBuid(usbmuxOptions(options));
  let record: PairRecord;
  try {
    record = await generatePairRecord({
      devicePublicKeyPem: keyBytes,
      systemBuid,
      udid: target.udid,
      ...(wifiAddress !== undefined ? { wifiMacAddress: wifiAddress } : {}),
    });
  } catch (error) {
    throw new ProblemError('pair-refused', undefined, { cause: error });
  }
  // The escrow bag is the phone's to give: none is kept unless the Pair reply carries one.
  delete record.EscrowBag;

  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  const deadline = Date.now() + waitMs;
  const request = {
    PairRecord: pairRequestRecord(record),
    ProtocolVersion: LOCKDOWN_PROTOCOL_VERSION,
    PairingOptions: { ExtendedPairingErrors: true },
  };
  for (;;) {
    const outcome = await withLockdown(usbmux, target, options, async (lockdown) => {
      try {
        return { reply: await lockdown.request('Pair', request), pending: false };
      } catch (error) {
        if (error instanceof LockdownError && error.code === LockdownErrorString.PairingDialogResponsePending)
          return { reply: undefined, pending: true };
        throw problemOfPairFailure(error);
      }
    });
    if (outcome.reply) {
      const bag = outcome.reply.EscrowBag;
      if (bag instanceof Uint8Array && bag.length > 0 && bag.length <= MAX_ESCROW_BAG_BYTES) record.EscrowBag = Buffer.from(bag);
      break;
    }
    if (Date.now() >= deadline) throw new ProblemError('pair-no-answer', { waitedSeconds: Math.round(waitMs / 1000) });
    options.onWaiting?.(TRUST_PROMPT, 'trust');
    await sleep(options.pollMs ?? DEFAULT_POLL_MS, undefined, signal ? { signal } : {});
  }

  try {
    await savePairRecord(usbmux, target.udid, record, { ...usbmuxOptions(options), deviceId: target.deviceId });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ProblemError('pair-not-saved', undefined, { cause: error });
  }
  return record;
}

function problemOfPairFailure(error: unknown): unknown {
  if (!(error instanceof LockdownError)) return error;
  if (error.code === LockdownErrorString.UserDeniedPairing) return new ProblemError('pair-denied', undefined, { cause: error });
  if (error.code === LockdownErrorString.PasswordProtected) return new ProblemError('pair-phone-locked', undefined, { cause: error });
  if (error.code === 'ConnectionClosed' || error.code === 'Timeout') return error;
  return new ProblemError('pair-refused', undefined, { cause: error });
}

function usbmuxOptions(options: PairPhoneOptions): UsbmuxRequestOptions {
  return options.signal ? { signal: options.signal } : {};
}

/** One lockdown connection for `work`, closed afterwards and when the signal fires. */
async function withLockdown<T>(
  usbmux: Usbmux,
  target: PairTarget,
  options: PairPhoneOptions,
  work: (lockdown: LockdownClient) => Promise<T>,
): Promise<T> {
  const signal = options.signal;
  signal?.throwIfAborted();
  const lockdown = await LockdownClient.connect(usbmux as UsbmuxClient, target.deviceId, {
    label: 'lifeline',
    timeoutMs: options.lockdownTimeoutMs ?? 10_000,
    usbmux: usbmuxOptions(options),
  });
  const onAbort = (): void => lockdown.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await work(lockdown);
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    lockdown.close();
  }
}
