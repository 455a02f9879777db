/**
 * The restore itself, once the phone runs the restore ramdisk (docs/protocols/restored.md): connect to restored, check
 * it is the phone the boot chain walked, keep the FDR channel open, build the erase or update RestoreOptions from the
 * build identity, and answer the phone from the IPSW until its final status.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { startFdrAgent, type FdrAgent, type FdrEvent } from '../fdr/fdr-client';
import { isPlistDict, type PlistDict } from '../plist/plist-value';
import {
  RestoredClient,
  type PhonePortOpener,
  type RestoreRunResult,
  type RestoredEvent,
  type RestoredTimeouts,
} from '../restored/restored-client';
import { RestoredError } from '../restored/restored-error';
import type { RestoredProgress } from '../restored/restored-progress';
import { buildRestoreOptions, type HardwareInfo, type SavedDebugInfo } from '../restored/restored-wire';
import type { TssClientOptions } from '../tss/tss-client';
import { coprocessorUpdaterFor } from './coprocessor-updater';
import { IpswRestoreData, type RestoreDataSources } from './restore-data';

export type RestoreModeSessionOptions = {
  openPort: PhonePortOpener;
  /** The ECID the boot chain walked; a different phone in restore mode is refused. */
  ecid: bigint;
  sources: RestoreDataSources;
  /** The boot-args set in recovery, if any (sent back as RestoreBootArgs). */
  restoreBootArgs?: string;
  /** Keep the FDR channel open during the restore (phones with factory data need it; default true). */
  fdr?: boolean;
  /** The signing server for coprocessor tickets when `sources.coprocessors` is not given (default: LIFELINE_TSS_URL or Apple's). */
  tss?: TssClientOptions;
  timeouts?: Partial<RestoredTimeouts>;
  signal?: AbortSignal;
  onProgress?(progress: RestoredProgress): void;
  onEvent?(event: RestoredEvent | { type: 'fdr'; event: FdrEvent } | { type: 'saved-debug-info'; info: SavedDebugInfo }): void;
};

export type RestoreModeSessionResult = RestoreRunResult & { hardwareInfo: HardwareInfo };

function asBigInt(value: number | bigint | undefined): bigint | null {
  if (typeof value === 'bigint') return value;
  return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : null;
}

/** Identity Info and Manifest values RestoreOptions copies (docs/protocols/restored.md#restore-options). */
function optionsFromIdentity(raw: PlistDict): { systemPartitionPadding?: PlistDict; tz0RequiredCapacity?: string } {
  const out: { systemPartitionPadding?: PlistDict; tz0RequiredCapacity?: string } = {};
  const info = raw.Info;
  if (isPlistDict(info) && isPlistDict(info.SystemPartitionPadding)) out.systemPartitionPadding = info.SystemPartitionPadding;
  const manifest = raw.Manifest;
  const sep = isPlistDict(manifest) && isPlistDict(manifest.SEP) ? manifest.SEP : null;
  const capacity = sep && isPlistDict(sep.Info) ? sep.Info.RequiredCapacity : undefined;
  if (typeof capacity === 'string' && capacity.length <= 64) out.tz0RequiredCapacity = capacity;
  return out;
}

export async function runRestoreModeSession(options: RestoreModeSessionOptions): Promise<RestoreModeSessionResult> {
  const { signal } = options;
  const client = await RestoredClient.connect(options.openPort, {
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(signal ? { signal } : {}),
  });
  let fdr: Promise<FdrAgent | null> = Promise.resolve(null);
  const fdrStop = new AbortController();
  const fdrSignal = signal ? AbortSignal.any([signal, fdrStop.signal]) : fdrStop.signal;
  try {
    const hardwareInfo = await client.hardwareInfo();
    if (!hardwareInfo) throw new RestoredError('protocol', 'The phone in restore mode did not say which phone it is (no HardwareInfo)');
    if (asBigInt(hardwareInfo.UniqueChipID) !== options.ecid) {
      throw new RestoredError('not-restore-mode', 'A different phone is in restore mode than the one being restored');
    }
    const debug = await client.savedDebugInfo().catch(() => null);
    if (debug) options.onEvent?.({ type: 'saved-debug-info', info: debug });
    if (options.fdr !== false) {
      const connect = (port: number, portSignal: AbortSignal): Promise<Duplex> => options.openPort(port, { signal: portSignal });
      // In the background, so StartRestore is not held up by the retries: a phone without factory data has nothing on
      // 1082, and a phone that needs it fails with status 53 when the channel never comes.
      fdr = startFdrAgent({ connect, signal: fdrSignal, onEvent: (event) => options.onEvent?.({ type: 'fdr', event }) }).catch(() => null);
    }
    const restoreOptions = buildRestoreOptions(options.sources.behavior, {
      uuid: randomUUID(),
      ...(options.restoreBootArgs !== undefined ? { restoreBootArgs: options.restoreBootArgs } : {}),
      ...optionsFromIdentity(options.sources.identity.raw),
    });
    const result = await client.restore({
      restoreOptions,
      provider: new IpswRestoreData({
        ...options.sources,
        coprocessors:
          options.sources.coprocessors ??
          coprocessorUpdaterFor({
            archive: options.sources.archive,
            identity: options.sources.identity,
            ...(options.tss ? { tss: options.tss } : {}),
          }),
      }),
      ...(signal ? { signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    return { ...result, hardwareInfo };
  } finally {
    client.close();
    fdrStop.abort();
    (await fdr)?.stop();
  }
}
