/**
 * From a phone in DFU (or recovery) to the restore ramdisk (docs/protocols/boot-chain.md#host-steps steps 6–10, docs/protocols/boot-chain.md#dfu-to-restore-ramdisk, docs/protocols/boot-chain.md#starting-from-recovery):
 * personalise each boot component with the phone's ticket, send it to the stage that boots it, follow the phone
 * across every re-enumeration by ECID, re-request the ticket when the ApNonce changes, then find the phone on
 * usbmuxd in restore mode. One progress record per stage; cancellable only until the first image is sent.
 */
import type { BuildIdentity, BuildManifest } from '../ipsw/build-manifest';
import type { IpswArchive } from '../ipsw/ipsw-reader';
import type { UsbBus } from '../usb/usb-bus';
import type { UsbmuxClient } from '../usbmux/usbmux-client';
import { BootChainError, type BootChainErrorCode } from './boot-chain-error';
import { planBootChain, type BootStageName, type BootStep } from './boot-chain-plan';
import { personalise } from '../img4/img4';
import { parseIm4m, propertyBytes } from '../img4/im4m';
import { IRECV_TIMEOUTS, IrecvClient, MAX_IRECV_UPLOAD_BYTES, type IrecvTimeouts } from '../irecv/irecv-client';
import { IrecvError } from '../irecv/irecv-errors';
import { DfuClassRequest, IBootRequest } from '../irecv/irecv-wire';
import { waitForRestoreModePhone, type RestoreModePhone } from './restore-mode-phone';
import { TssError } from '../tss/tss-error';

export type TicketRequest = { apNonce: Uint8Array; sepNonce?: Uint8Array };

export type BootChainStage = BootStageName | 'connect' | 'ticket' | 'restore-mode';

export type BootChainProgress = {
  stage: BootChainStage;
  /** Index of this stage in the walk and how many there are. */
  index: number;
  total: number;
  message: string;
  /** False once the first image has been sent. */
  cancellable: boolean;
};

export type BootChainTimeouts = IrecvTimeouts & {
  /** docs/protocols/irecv.md#timeouts: disconnect after iBEC / reconnect in recovery. */
  ibecDisconnectMs: number;
  ibecReconnectMs: number;
  bootxDisconnectMs: number;
  restoreModeMs: number;
  /** docs/protocols/boot-chain.md#dfu-to-restore-ramdisk step 7: pause between the iBEC upload and `go`; step 12: after `ramdisk`. */
  goDelayMs: number;
  ramdiskDelayMs: number;
};

export const BOOT_CHAIN_TIMEOUTS: Omit<BootChainTimeouts, keyof IrecvTimeouts> = {
  ibecDisconnectMs: 60_000,
  ibecReconnectMs: 60_000,
  bootxDisconnectMs: 30_000,
  restoreModeMs: 300_000,
  goDelayMs: 1_000,
  ramdiskDelayMs: 2_000,
};

export type BootChainOptions = {
  bus: UsbBus;
  usbmux: UsbmuxClient;
  archive: IpswArchive;
  manifest: BuildManifest;
  identity: BuildIdentity;
  ecid?: bigint;
  /** A ticket already in hand for the phone's current nonce (else one is requested). */
  ticket?: Buffer;
  /** Asks the signing server for a ticket for these nonces (already checked against the phone). */
  requestTicket(nonces: TicketRequest): Promise<Buffer>;
  signal?: AbortSignal;
  timeouts?: Partial<BootChainTimeouts>;
  onProgress?(progress: BootChainProgress): void;
  /** Told once when a cancel arrives after the first image was sent (it is then refused). */
  onCancelRefused?(): void;
};

export type BootChainResult = { restorePhone: RestoreModePhone; ticketsRequested: number; stages: { stage: BootChainStage; ms: number }[] };

function fail(code: BootChainErrorCode, stage: string, message: string): BootChainError {
  return new BootChainError(message, code, stage);
}

function translate(error: unknown, stage: string): BootChainError {
  if (error instanceof BootChainError) return error;
  if (error instanceof TssError) {
    if (error.code === 'not-signed') return fail('not-signed', stage, error.message);
    if (error.code === 'cancelled') return fail('cancelled', stage, 'Cancelled before anything was sent to the phone.');
    return fail('signing-server', stage, error.message);
  }
  if (error instanceof IrecvError) {
    if (error.code === 'did-not-reenumerate')
      return fail('did-not-reenumerate', stage, `${error.message}. The phone most likely refused the image.`);
    if (error.code === 'cancelled') return fail('cancelled', stage, 'Cancelled before anything was sent to the phone.');
    return fail('usb', stage, error.message);
  }
  return fail('usb', stage, error instanceof Error ? error.message : String(error));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function ticketNonce(ticket: Buffer): Buffer | null {
  try {
    const bnch = propertyBytes(parseIm4m(ticket).manifest, 'BNCH');
    return bnch ? Buffer.from(bnch) : null;
  } catch {
    return null;
  }
}

export async function runBootChain(options: BootChainOptions): Promise<BootChainResult> {
  const timeouts: BootChainTimeouts = {
    ...IRECV_TIMEOUTS,
    ...BOOT_CHAIN_TIMEOUTS,
    ...options.timeouts,
  };
  const { identity } = options;
  let stage: BootChainStage = 'connect';
  let sentFirstImage = false;
  let ticketsRequested = 0;
  const stageTimes: { stage: BootChainStage; ms: number }[] = [];
  // Before the first image, the caller's signal cancels; afterwards the walk must finish (a half-booted phone is
  // worse than a finished one) and a late cancel is refused once, in words.
  const early = new AbortController();
  const onAbort = (): void => {
    if (!sentFirstImage) early.abort();
    else options.onCancelRefused?.();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = early.signal;

  let client: IrecvClient | null = null;
  try {
    if (options.signal?.aborted) throw fail('cancelled', stage, 'Cancelled before anything was sent to the phone.');
    client = await IrecvClient.open(options.bus, {
      ...(options.ecid !== undefined ? { ecid: options.ecid } : {}),
      modes: ['dfu', 'recovery'],
      signal,
      timeouts,
    });
    const info = client.info;
    const ecid = info.ecid;
    if (ecid === undefined) throw fail('usb', stage, 'The phone did not report its ECID.');
    if (identity.apChipId !== info.cpid || identity.apBoardId !== info.bdid) {
      throw fail(
        'wrong-firmware',
        stage,
        `This firmware is for chip 0x${(identity.apChipId ?? 0).toString(16)} board 0x${(identity.apBoardId ?? 0).toString(16)}, but the phone is chip 0x${info.cpid.toString(16)} board 0x${(info.bdid ?? 0).toString(16)}.`,
      );
    }
    const steps = planBootChain(identity, { fromRecovery: client.mode === 'recovery' });
    const total = steps.length + 2;
    let index = 0;
    let stageStart = performance.now();
    const report = (next: BootChainStage, message: string): void => {
      if (stageTimes.length > 0 || index > 0) stageTimes.push({ stage, ms: performance.now() - stageStart });
      stage = next;
      stageStart = performance.now();
      const at = index++;
      options.onProgress?.({ stage: next, index: at, total, message, cancellable: !sentFirstImage });
    };
    report('connect', `Found the phone in ${client.mode === 'dfu' ? 'DFU' : 'recovery'} mode.`);

    let ticket = options.ticket ?? null;
    const ensureTicket = async (phone: IrecvClient): Promise<Buffer> => {
      const nonce = phone.info.apNonce;
      if (!nonce) throw fail('usb', stage, 'The phone did not report its ApNonce.');
      if (ticket && ticketNonce(ticket)?.equals(Buffer.from(nonce))) return ticket;
      // docs/protocols/irecv.md#nonces: the nonce can change between stages; a ticket is only good for the nonce it names.
      ticketsRequested++;
      ticket = await options.requestTicket({ apNonce: nonce, ...(phone.info.sepNonce ? { sepNonce: phone.info.sepNonce } : {}) });
      return ticket;
    };
    if (!ticket) {
      report('ticket', 'Asking Apple’s signing server for this phone’s ticket.');
      await ensureTicket(client);
    }

    const image = async (step: BootStep, current: Buffer): Promise<Buffer> => {
      const path = step.component.path;
      if (path === null) throw fail('wrong-firmware', stage, `${step.component.name} has no file`);
      const file = await options.archive.readSmall(path, MAX_IRECV_UPLOAD_BYTES);
      return personalise(file, step.tag, current).img4;
    };

    for (const step of steps) {
      report(step.stage, messageFor(step));
      const current = await ensureTicket(client).catch((error: unknown) => {
        throw sentFirstImage && error instanceof TssError && error.code !== 'not-signed'
          ? fail('nonce-changed', stage, `The phone’s boot nonce changed and a new ticket could not be had: ${error.message}`)
          : error;
      });
      const img4 = await image(step, current);
      if (signal.aborted) throw fail('cancelled', stage, 'Cancelled before anything was sent to the phone.');
      if (step.stage === 'ibss') {
        sentFirstImage = true;
        await client.sendDfu(img4);
        client = await client.reconnect({
          modes: ['dfu', 'recovery'],
          disconnectMs: timeouts.disconnectMs,
          reconnectMs: timeouts.reconnectMs,
        });
        if (client.mode !== 'recovery')
          throw fail('image-rejected', stage, 'iBSS started but the phone stayed in DFU mode (32-bit phones are not supported yet).');
        continue;
      }
      sentFirstImage = true;
      await client.sendRecovery(img4);
      if (step.stage === 'ibec') {
        await sleep(timeouts.goDelayMs);
        await client.command('go', { bRequest: IBootRequest.CommandNoAnswer });
        await refusedCheck(client, step, stage);
        // docs/protocols/boot-chain.md#dfu-to-restore-ramdisk step 7: builds before major 20 want a zero-length 0x21/1 after `go`.
        if (options.manifest.buildMajor < 20) await zeroLengthRequest(client);
        client = await client.reconnect({
          modes: ['recovery'],
          disconnectMs: timeouts.ibecDisconnectMs,
          reconnectMs: timeouts.ibecReconnectMs,
        });
        // docs/protocols/boot-chain.md#dfu-to-restore-ramdisk step 9.
        await client.command('setenv auto-boot false');
        await client.command('saveenv');
        continue;
      }
      if (step.stage === 'kernel') {
        await zeroLengthRequest(client);
        for (const line of step.before ?? []) await client.command(line);
        await client.command('bootx', { bRequest: IBootRequest.CommandNoAnswer });
        await refusedCheck(client, step, stage);
        const departed = await client
          .reconnect({ modes: ['recovery'], disconnectMs: timeouts.bootxDisconnectMs, reconnectMs: 1 })
          .then(() => 'came-back' as const)
          .catch((error: unknown) =>
            error instanceof IrecvError && error.code === 'did-not-reenumerate' && /come back/.test(error.message)
              ? ('left' as const)
              : error,
          );
        if (departed !== 'left') {
          if (departed === 'came-back')
            throw fail('image-rejected', stage, 'The phone came back in recovery instead of booting the restore ramdisk.');
          throw translate(departed, stage);
        }
        break;
      }
      await client.command(step.command ?? 'firmware');
      const ret = await client.getret().catch(() => 0);
      if (ret !== 0) throw fail('image-rejected', stage, `The phone refused the ${step.component.name} image.`);
      for (const line of step.after ?? []) await client.command(line);
      if (step.stage === 'ramdisk') await sleep(timeouts.ramdiskDelayMs);
    }

    report('restore-mode', 'Waiting for the phone to start the restore ramdisk.');
    const restorePhone = await waitForRestoreModePhone(options.usbmux, ecid, { timeoutMs: timeouts.restoreModeMs });
    if (!restorePhone) throw fail('restore-mode-missing', stage, 'The phone did not appear in restore mode after booting the ramdisk.');
    stageTimes.push({ stage, ms: performance.now() - stageStart });
    return { restorePhone, ticketsRequested, stages: stageTimes };
  } catch (error) {
    throw translate(error, stage);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await client?.close();
  }
}

/** A phone that is still there right after go/bootx answers getret; non-zero = it refused the image. */
async function refusedCheck(client: IrecvClient, step: BootStep, stage: string): Promise<void> {
  const ret = await client.getret().catch(() => 0);
  if (ret !== 0) throw fail('image-rejected', stage, `The phone refused the ${step.component.name} image (it would not boot it).`);
}

/** The zero-length DNLOAD (class/interface request 1) idevicerestore sends after `go` and before `bootx` (docs/protocols/boot-chain.md#dfu-to-restore-ramdisk steps 7, 15). */
async function zeroLengthRequest(client: IrecvClient): Promise<void> {
  await client.device
    .controlTransferOut({ requestType: 'class', recipient: 'interface', request: DfuClassRequest.Dnload, value: 0, index: 0 })
    .catch(() => undefined);
}

function messageFor(step: BootStep): string {
  switch (step.stage) {
    case 'ibss':
      return 'Sending iBSS (the first boot stage) to the phone in DFU mode.';
    case 'ibec':
      return 'Sending iBEC (the second boot stage).';
    case 'logo':
      return 'Showing the Apple logo.';
    case 'firmware':
      return `Sending firmware ${step.component.name}.`;
    case 'ramdisk':
      return 'Sending the restore ramdisk.';
    case 'devicetree':
      return 'Sending the device tree.';
    case 'sep':
      return 'Sending the Secure Enclave firmware.';
    case 'kernel':
      return 'Sending the kernel and starting the restore ramdisk.';
  }
}
