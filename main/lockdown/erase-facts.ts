import type { UsbmuxClient, UsbmuxDevice } from '../usbmux/usbmux-client';
import { isBelowIos10, optionalValue } from './device-info';
import { LockdownClient, LockdownError } from './lockdown-client';
import { LockdownDomain } from './lockdown-wire';
import type { PairRecord } from './pair-record';
import { readPairRecord } from './pair-record-store';

/**
 * What a phone running iOS says that matters before it is erased (docs/protocols/lockdown.md#activation-lock-values):
 * its activation state, whether Find My is on (so Activation Lock will ask for the Apple ID after the erase), and
 * whether it encrypts its backups. The values need a session, so only a phone that trusts this computer tells them.
 */
export type EraseFacts = {
  /** A session opened with this computer's pair record. */
  trusted: boolean;
  /** Lockdown's ActivationState: 'Activated', 'Unactivated', 'FactoryActivated'…; null when not told. */
  activationState: string | null;
  /** Lockdown's BrickState: true while the phone waits for activation. */
  brickState: boolean | null;
  /** com.apple.fmip IsAssociated: Find My is on for an Apple ID. */
  findMyOn: boolean | null;
  /** com.apple.mobile.backup WillEncrypt (missing = false). */
  willEncrypt: boolean | null;
};

export type ReadEraseFactsOptions = { pairRecord?: PairRecord | null; timeoutMs?: number; signal?: AbortSignal };

const MAX_TEXT = 64;

/** One bounded lockdown conversation; a phone that does not trust this computer gives `trusted: false` and nulls. */
export async function readEraseFacts(
  usbmux: UsbmuxClient,
  device: Pick<UsbmuxDevice, 'deviceId' | 'udid'>,
  options: ReadEraseFactsOptions = {},
): Promise<EraseFacts> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const facts: EraseFacts = { trusted: false, activationState: null, brickState: null, findMyOn: null, willEncrypt: null };
  const record =
    options.pairRecord !== undefined
      ? options.pairRecord
      : await readPairRecord(usbmux, device.udid, { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  if (!record) return facts;
  const client = await LockdownClient.connect(usbmux, device.deviceId, {
    label: 'lifeline',
    timeoutMs,
    usbmux: { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
  });
  const onAbort = (): void => client.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const version = await optionalValue(client, { key: 'ProductVersion' }, timeoutMs);
    try {
      await client.startSession(record, { timeoutMs, legacyTls: isBelowIos10(typeof version === 'string' ? version : null) });
    } catch (error) {
      if (error instanceof LockdownError) return facts;
      throw error;
    }
    facts.trusted = true;
    const state = await optionalValue(client, { key: 'ActivationState' }, timeoutMs);
    facts.activationState = typeof state === 'string' && state.length <= MAX_TEXT ? state : null;
    const brick = await optionalValue(client, { key: 'BrickState' }, timeoutMs);
    facts.brickState = typeof brick === 'boolean' ? brick : null;
    const findMy = await optionalValue(client, { domain: LockdownDomain.FindMyIPhone, key: 'IsAssociated' }, timeoutMs);
    facts.findMyOn = typeof findMy === 'boolean' ? findMy : null;
    const encrypt = await optionalValue(client, { domain: LockdownDomain.Backup, key: 'WillEncrypt' }, timeoutMs);
    // docs/protocols/lockdown.md#values-before-a-session: a missing WillEncrypt means "not encrypted".
    facts.willEncrypt = typeof encrypt === 'boolean' ? encrypt : client.closed ? null : false;
    await client.stopSession({ timeoutMs: Math.min(timeoutMs, 2_000) }).catch(() => undefined);
    return facts;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    client.close();
  }
}
