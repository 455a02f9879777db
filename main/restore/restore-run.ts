/**
 * One complete restore, erase or update (docs/protocols/restored.md): firmware downloaded and verified before the
 * phone is touched; a phone running iOS moved to recovery mode by lockdown; the boot chain to the restore ramdisk;
 * restored answered from the IPSW (the OS image streamed over ASR straight from its zip entry, the baseband signed
 * for the phone's modem, the FDR channel kept open); then the phone found again running the new iOS. One progress
 * record throughout. Cancellable until the first boot image is sent; a failure after that says where the phone is.
 */
import { ProblemError, type PreparedFirmware, type RestoreChoice, type RestoreResult } from '../../common/api';
import type { Phone } from '../../common/phone';
import { waitForReturn } from '../coach/recovery-shortcuts';
import type { FirmwareTarget, FirmwareWork } from '../firmware/firmware-service';
import { findIrecvDevice } from '../irecv/irecv-discovery';
import { IRECV_TIMEOUTS } from '../irecv/irecv-client';
import { checkFitsPhone, readBuildManifest, selectIdentity, type BuildIdentity, type BuildManifest } from '../ipsw/build-manifest';
import { IpswArchive } from '../ipsw/ipsw-reader';
import { usbmuxPortOpener, type RestoredTimeouts } from '../restored/restored-client';
import { apTicketRequester } from '../tss/ap-ticket';
import type { UsbBus } from '../usb/usb-bus';
import type { UsbmuxClient } from '../usbmux/usbmux-client';
import { basebandUpdaterFor, type BasebandUpdater } from './baseband-updater';
import { BOOT_CHAIN_TIMEOUTS, runBootChain, type BootChainTimeouts } from './boot-chain';
import { RESTORE_BOOT_ARGS } from './boot-chain-plan';
import { RestoreProgressMeter, runStageOf, type RestoreProgressRecord, type RestoredRunStage } from './restore-progress';
import { restoreFailure, withWhereabouts, type PhoneWhereabouts } from './restore-problems';
import { runRestoreModeSession } from './restore-mode-session';
import type { RestorePhone } from './restore-target';

/** What a restore needs from the engine around it. */
export type RestoreRunPorts = {
  bus: UsbBus;
  usbmux: UsbmuxClient;
  /** The registry's view: the phone is found again through it after the final reboot. */
  phones: { list(): Phone[]; onChange(listener: () => void): () => void };
  /** Lockdown EnterRecovery for a phone running iOS; resolves once it is back in recovery mode. */
  enterRecovery(phoneId: string, work: { signal: AbortSignal; progress(message: string): void }): Promise<void>;
  /** The firmware for the phone: downloaded if needed, and its bytes checked now. */
  prepareFirmware(target: FirmwareTarget, work: FirmwareWork): Promise<PreparedFirmware>;
  /** The signing server (Apple's unless practice mode says otherwise). */
  tssUrl?: string;
  /** Where the baseband firmware's private copy goes (default: the system's temporary folder). */
  tempDir?: string;
};

export type RestoreRunTimeouts = {
  /** After the final status: how long the phone may take to start the new iOS. */
  rebootMs: number;
  /** After a failure: how long to look for the phone in recovery or DFU mode before saying it is not seen. */
  whereaboutsMs: number;
  restored?: Partial<RestoredTimeouts>;
  bootChain?: Partial<BootChainTimeouts>;
};

export const RESTORE_RUN_TIMEOUTS: RestoreRunTimeouts = { rebootMs: 240_000, whereaboutsMs: 60_000 };

export type RestoreRunOptions = RestoreRunPorts & {
  phone: RestorePhone;
  choice: RestoreChoice;
  signal: AbortSignal;
  onProgress(progress: RestoreProgressRecord): void;
  /** Told when the first boot image is about to go: from then on the restore cannot be cancelled. */
  onPointOfNoReturn?(): void;
  /** Told when a cancel arrives after the point of no return (it is refused). */
  onCancelRefused?(): void;
  /** Practice phones run faster: waits and pauses shrink with them (never below a few seconds). */
  timeScale?: number;
  timeouts?: Partial<RestoreRunTimeouts>;
};

/** However fast a practice phone is, a wait is never shorter than this. */
const MIN_WAIT_MS = 5_000;

const STAGE_WORDS = {
  preparing: { erase: 'Erasing the phone and preparing its storage…', update: 'Preparing the phone’s storage…' },
  installing: 'Installing iOS…',
  verifying: 'Verifying iOS…',
  flashing: 'Updating the phone’s firmware…',
  baseband: 'Updating the modem…',
  finishing: 'Finishing the restore…',
} as const satisfies Record<RestoredRunStage, string | Record<RestoreChoice, string>>;

function messageOf(stage: RestoredRunStage, choice: RestoreChoice): string {
  const words = STAGE_WORDS[stage];
  return typeof words === 'string' ? words : words[choice];
}

/** Waits and pauses of the boot chain at the phone's speed. */
function bootChainTimeouts(scale: number): Partial<BootChainTimeouts> {
  if (scale >= 1) return {};
  const wait = (ms: number): number => Math.max(MIN_WAIT_MS, ms * scale);
  const pause = (ms: number): number => ms * scale;
  return {
    discoveryMs: wait(IRECV_TIMEOUTS.discoveryMs),
    disconnectMs: wait(IRECV_TIMEOUTS.disconnectMs),
    reconnectMs: wait(IRECV_TIMEOUTS.reconnectMs),
    dfuStatusPollMs: pause(IRECV_TIMEOUTS.dfuStatusPollMs),
    ibecDisconnectMs: wait(BOOT_CHAIN_TIMEOUTS.ibecDisconnectMs),
    ibecReconnectMs: wait(BOOT_CHAIN_TIMEOUTS.ibecReconnectMs),
    bootxDisconnectMs: wait(BOOT_CHAIN_TIMEOUTS.bootxDisconnectMs),
    restoreModeMs: wait(BOOT_CHAIN_TIMEOUTS.restoreModeMs),
    goDelayMs: pause(BOOT_CHAIN_TIMEOUTS.goDelayMs),
    ramdiskDelayMs: pause(BOOT_CHAIN_TIMEOUTS.ramdiskDelayMs),
  };
}

/** docs/protocols/firmware.md#identity-selection: an update must use an Update identity — never fall back to an erase. */
function identityFor(choice: RestoreChoice, manifest: BuildManifest, fitted: BuildIdentity, boardConfig: string): BuildIdentity {
  if (choice === 'erase') return fitted;
  const identity = selectIdentity(manifest, boardConfig, 'Update');
  if (!identity || identity.restoreBehavior !== 'Update') throw new ProblemError('restore-no-update', { version: manifest.productVersion });
  return identity;
}

/** Notes when the phone, once seen connected, leaves the registry's view (the reboot after the final status). */
function watchDeparture(phones: RestoreRunPorts['phones'], phoneId: string): { left(): boolean; stop(): void } {
  let seen = false;
  let left = false;
  const check = (): void => {
    const phone = phones.list().find((p) => p.id === phoneId);
    if (phone?.connected) seen = true;
    else if (seen) left = true;
  };
  check();
  const stop = phones.onChange(check);
  return { left: () => left, stop };
}

async function whereIsPhone(bus: UsbBus, ecid: bigint, timeoutMs: number): Promise<PhoneWhereabouts> {
  try {
    const { info } = await findIrecvDevice(bus, { ecid, modes: ['recovery', 'dfu'], timeoutMs });
    return info.mode === 'dfu' ? 'dfu' : 'recovery';
  } catch {
    return 'not-seen';
  }
}

export async function runRestore(options: RestoreRunOptions): Promise<RestoreResult> {
  const { phone, choice } = options;
  const scale = Math.min(1, options.timeScale ?? 1);
  const timeouts = { ...RESTORE_RUN_TIMEOUTS, ...options.timeouts };
  const scaledWait = (ms: number): number => (scale < 1 ? Math.max(MIN_WAIT_MS, ms * scale) : ms);
  const meter = new RestoreProgressMeter();
  const report = (...args: Parameters<RestoreProgressMeter['report']>): void => options.onProgress(meter.report(...args));

  // The person's cancel reaches the work only until the first boot image goes; after that it is refused in words.
  let pastNoReturn = false;
  const early = new AbortController();
  const onAbort = (): void => {
    if (!pastNoReturn) {
      early.abort();
      return;
    }
    const stage = meter.current;
    if (stage)
      report(
        stage,
        null,
        'The restore can no longer be cancelled: stopping now would leave the phone unusable. Lifeline finishes it first.',
      );
    options.onCancelRefused?.();
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) early.abort();
  const signal = early.signal;
  const passPointOfNoReturn = (): void => {
    if (pastNoReturn) return;
    pastNoReturn = true;
    options.onPointOfNoReturn?.();
  };

  let archive: IpswArchive | null = null;
  let baseband: BasebandUpdater | null = null;
  /** The phone has been moved into the boot chain: a failure from here says where it is now. */
  let moved = false;
  try {
    report('firmware', null, `Getting the firmware for ${phone.model.name} ready…`);
    const target = { productType: phone.model.productType, boardConfig: phone.model.boardConfig };
    const prepared = await options.prepareFirmware(target, {
      signal,
      onProgress: (p) =>
        report('firmware', p.fraction, p.message, {
          ...(p.bytesDone !== undefined ? { bytesDone: p.bytesDone } : {}),
          ...(p.bytesTotal !== undefined ? { bytesTotal: p.bytesTotal } : {}),
          ...(p.bytesPerSecond !== undefined ? { bytesPerSecond: p.bytesPerSecond } : {}),
        }),
    });
    // Both ways of preparing have just checked the bytes; a file no catalog hash vouches for is not restored from.
    if (!prepared.catalogVerified) throw new ProblemError('firmware-unverified', { file: prepared.path });
    archive = await IpswArchive.open(prepared.path);
    const manifest = await readBuildManifest(archive);
    // docs/protocols/firmware.md#identity-selection: nothing is sent to a phone the firmware does not fit.
    const fitted = checkFitsPhone(manifest, archive, phone.model.productType, phone.model.boardConfig).identity;
    const identity = identityFor(choice, manifest, fitted, phone.model.boardConfig);

    if (phone.mode === 'normal') {
      report('recovery', null, 'Restarting the phone into recovery mode…');
      await options.enterRecovery(phone.phoneId, { signal, progress: (message) => report('recovery', null, message) });
    }

    report('boot-chain', 0, 'Starting the restore system on the phone…');
    const requester = apTicketRequester(
      identity,
      { ecid: phone.ecid, chipId: phone.model.cpid, boardId: phone.model.bdid },
      options.tssUrl !== undefined ? { url: options.tssUrl } : {},
    );
    // The last ticket the boot chain asked for is the one the ramdisk booted with; the restore personalises with it.
    const tickets: { last: Buffer | null } = { last: null };
    const chain = await runBootChain({
      bus: options.bus,
      usbmux: options.usbmux,
      archive,
      manifest,
      identity,
      ecid: phone.ecid,
      requestTicket: async (nonces) => (tickets.last = await requester(nonces)),
      signal,
      timeouts: { ...bootChainTimeouts(scale), ...timeouts.bootChain },
      onProgress: (p) => {
        if (!p.cancellable || p.stage === 'ibss' || p.stage === 'ibec') {
          moved = true;
          passPointOfNoReturn();
        }
        if (p.stage === 'restore-mode') report('ramdisk', null, 'Waiting for the restore system to start on the phone…');
        else report('boot-chain', p.index / p.total, p.message);
      },
    });
    const ticket = tickets.last;
    if (!ticket) throw new Error('the boot chain finished without a ticket');

    report('ramdisk', 1, 'The restore system is running on the phone.');
    baseband = basebandUpdaterFor({
      archive,
      identity,
      ecid: phone.ecid,
      tss: options.tssUrl !== undefined ? { url: options.tssUrl } : {},
      ...(options.tempDir ? { tempDir: options.tempDir } : {}),
    });
    const departure = watchDeparture(options.phones, phone.phoneId);
    try {
      let imageStarted: { at: number; bytes: number } | null = null;
      const session = await runRestoreModeSession({
        openPort: usbmuxPortOpener(options.usbmux, chain.restorePhone.deviceId),
        ecid: phone.ecid,
        restoreBootArgs: RESTORE_BOOT_ARGS,
        // Coprocessor tickets (SE, Face ID) come from the same signing server as the AP ticket.
        ...(options.tssUrl !== undefined ? { tss: { url: options.tssUrl } } : {}),
        sources: {
          archive,
          identity,
          ticket,
          behavior: choice,
          ...(baseband ? { baseband } : {}),
          onImageProgress: ({ bytesDone, bytesTotal }) => {
            const now = performance.now();
            imageStarted ??= { at: now, bytes: bytesDone };
            const seconds = (now - imageStarted.at) / 1000;
            const speed = seconds > 0.5 ? (bytesDone - imageStarted.bytes) / seconds : 0;
            report('installing', bytesTotal > 0 ? bytesDone / bytesTotal : null, messageOf('installing', choice), {
              bytesDone,
              bytesTotal,
              ...(speed > 0 ? { bytesPerSecond: speed } : {}),
            });
          },
        },
        ...(timeouts.restored
          ? { timeouts: { ...timeouts.restored } }
          : scale < 1
            ? { timeouts: { dataPortRetryMs: Math.max(50, 2_000 * scale) } }
            : {}),
        onProgress: (p) => {
          const stage = runStageOf(p.stage);
          report(stage, p.percent === null ? null : p.percent / 100, messageOf(stage, choice));
        },
      });
      if (session.outcome !== 'restored') throw new Error('the restore session ended without the phone’s final status');

      report('reboot', null, 'Restarting the phone with the new iOS…');
      // The restore is done whatever happens now: a cancel no longer reaches this wait.
      const mode = await waitForReturn(
        options.phones,
        phone.phoneId,
        scaledWait(timeouts.rebootMs),
        new AbortController().signal,
        departure.left(),
      );
      const stages = meter.stageTimes();
      options.onProgress(
        meter.finish(
          mode === 'normal'
            ? `Restored: the phone runs iOS ${prepared.version}.`
            : `Restored with iOS ${prepared.version}; the phone has not shown up again yet.`,
        ),
      );
      return {
        choice,
        firmware: { version: prepared.version, build: prepared.build },
        phoneId: phone.phoneId,
        phoneMode: mode === 'normal' || mode === 'recovery' || mode === 'dfu' ? mode : null,
        stages,
      };
    } finally {
      departure.stop();
    }
  } catch (error) {
    const failure = restoreFailure(error, meter.current ?? 'firmware');
    if (moved && failure instanceof ProblemError)
      throw withWhereabouts(failure, await whereIsPhone(options.bus, phone.ecid, scaledWait(timeouts.whereaboutsMs)));
    throw failure;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await baseband?.close();
    archive?.close();
  }
}
