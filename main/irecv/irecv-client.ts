/**
 * Talks to a phone in DFU or recovery mode through the UsbBus seam — what libirecovery does (docs/protocols/irecv.md):
 * open by ECID, DFU upload, recovery upload, iBoot commands, getenv, exit recovery, reset and re-discovery.
 */
import type { UsbBus, UsbControlSetup, UsbDeviceHandle } from '../usb/usb-bus';
import { LANGID_EN_US, UsbDescriptorType, UsbRequest, descriptorValue } from '../usb/usb-standard-requests';
import { dfuSuffixFor } from './dfu-suffix';
import { decodeStringDescriptor, withNonces, type IrecvDeviceInfo, type IrecvMode } from './irecv-device-info';
import { findIrecvDevice, waitForDeparture } from './irecv-discovery';
import {
  boundedUsbCall,
  readIBootAnswer,
  readIBootVariable,
  sendIBootCommand,
  transferBytes,
  type IBootCommandOptions,
  type UsbCall,
} from './iboot-commands';
import { IrecvError } from './irecv-errors';
import {
  DFU_STATUS_LENGTH,
  DFU_STATUS_STATE_OFFSET,
  DfuClassRequest,
  DfuState,
  IBootRequest,
  IrecvStringIndex,
  RECOVERY_BULK_OUT_ENDPOINT,
} from './irecv-wire';
import { dfuUploadPlan, recoveryUploadPlan } from './upload-plan';

/** docs/protocols/irecv.md#timeouts (copy, then tune). */
export const IRECV_TIMEOUTS = {
  discoveryMs: 10_000,
  dfuStatusPolls: 20,
  dfuStatusPollMs: 1_000,
  disconnectMs: 10_000,
  reconnectMs: 10_000,
  /** A single USB request; libirecovery's USB_TIMEOUT is 10 s. */
  transferMs: 15_000,
} as const;

export type IrecvTimeouts = { -readonly [K in keyof typeof IRECV_TIMEOUTS]: number };

/** What an image larger than this is called: no boot-chain image comes close (kernel caches are ~30–60 MB). */
export const MAX_IRECV_UPLOAD_BYTES = 256 * 1024 * 1024;

const dfuClass = (request: number, value = 0): UsbControlSetup => ({
  requestType: 'class',
  recipient: 'interface',
  request,
  value,
  index: 0,
});

export type IrecvOpenOptions = {
  ecid?: bigint;
  modes?: readonly IrecvMode[];
  signal?: AbortSignal;
  timeouts?: Partial<IrecvTimeouts>;
  /** Skip an enumeration that is about to leave (used by reconnect). */
  excludeId?: string;
};

export type UploadOptions = {
  signal?: AbortSignal;
  /** Bytes of the image sent so far. */
  onProgress?: (sent: number, total: number) => void;
};

export type DfuUploadResult = {
  blocks: number;
  separateSuffix: boolean;
  /** bState of the two GETSTATUS after the zero-length DNLOAD (7 MANIFEST, 8 MANIFEST-WAIT-RESET on a real ROM). */
  finishStates: number[];
};

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class IrecvClient {
  readonly bus: UsbBus;
  readonly device: UsbDeviceHandle;
  readonly info: IrecvDeviceInfo;
  readonly timeouts: IrecvTimeouts;

  readonly #call: UsbCall;

  private constructor(bus: UsbBus, device: UsbDeviceHandle, info: IrecvDeviceInfo, timeouts: IrecvTimeouts) {
    this.#call = boundedUsbCall(timeouts.transferMs);
    this.bus = bus;
    this.device = device;
    this.info = info;
    this.timeouts = timeouts;
  }

  get mode(): IrecvMode {
    return this.info.mode;
  }

  get ecid(): bigint | undefined {
    return this.info.ecid;
  }

  /** Find (waiting up to timeouts.discoveryMs), open and configure the phone; reads its nonces. */
  static async open(bus: UsbBus, options: IrecvOpenOptions = {}): Promise<IrecvClient> {
    const timeouts: IrecvTimeouts = { ...IRECV_TIMEOUTS, ...options.timeouts };
    const found = await findIrecvDevice(bus, {
      timeoutMs: timeouts.discoveryMs,
      ...(options.ecid !== undefined ? { ecid: options.ecid } : {}),
      ...(options.modes ? { modes: options.modes } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.excludeId !== undefined ? { excludeId: options.excludeId } : {}),
    });
    const client = new IrecvClient(bus, found.device, found.info, timeouts);
    return client.#setUp();
  }

  async #setUp(): Promise<IrecvClient> {
    const device = this.device;
    await this.#usb('open the phone', () => device.open());
    // The handle API has no getConfiguration; selecting configuration 1 again is harmless (docs/protocols/irecv.md#opening-and-reconnecting step 2).
    await this.#usb('configure the phone', () => device.selectConfiguration(1));
    await this.#usb('claim the phone’s interface', () => device.claimInterface(0));
    if (this.mode === 'recovery' && device.productId > 0x1281) {
      await this.#usb('claim interface 1', () => device.claimInterface(1));
      await this.#usb('select alt setting 1', () =>
        device.controlTransferOut({
          requestType: 'standard',
          recipient: 'interface',
          request: UsbRequest.SetInterface,
          value: 1,
          index: 1,
        }),
      );
    }
    const nonceString = await this.#readString(IrecvStringIndex.Nonce).catch(() => '');
    const info = nonceString ? withNonces(this.info, nonceString) : this.info;
    return new IrecvClient(this.bus, device, info, this.timeouts);
  }

  async #readString(index: number): Promise<string> {
    const setup: UsbControlSetup = {
      requestType: 'standard',
      recipient: 'device',
      request: UsbRequest.GetDescriptor,
      value: descriptorValue(UsbDescriptorType.String, index),
      index: LANGID_EN_US,
    };
    const result = await this.#usb('read a string descriptor', () => this.device.controlTransferIn(setup, 255));
    return result.status === 'ok' ? decodeStringDescriptor(transferBytes(result)) : '';
  }

  /** Every USB request has a deadline, whatever the handle does. */
  #usb<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return this.#call(what, operation);
  }

  async #dfuState(): Promise<number> {
    const r = await this.#usb('read the DFU state', () => this.device.controlTransferIn(dfuClass(DfuClassRequest.GetState), 1));
    const state = transferBytes(r)[0];
    if (r.status !== 'ok' || state === undefined) throw new IrecvError('The phone refused GETSTATE', 'stalled');
    return state;
  }

  async #dfuStatus(): Promise<number> {
    const r = await this.#usb('read the DFU status', () =>
      this.device.controlTransferIn(dfuClass(DfuClassRequest.GetStatus), DFU_STATUS_LENGTH),
    );
    const state = transferBytes(r)[DFU_STATUS_STATE_OFFSET];
    if (r.status !== 'ok' || state === undefined) throw new IrecvError('The phone refused GETSTATUS', 'stalled');
    return state;
  }

  async #dnload(value: number, data: Uint8Array | undefined): Promise<void> {
    const r = await this.#usb('send a DFU block', () => this.device.controlTransferOut(dfuClass(DfuClassRequest.Dnload, value), data));
    if (r.status !== 'ok') throw new IrecvError(`The phone stalled DFU block ${value}`, 'stalled');
  }

  /** GETSTATUS until dfuDNLOAD-IDLE, up to timeouts.dfuStatusPolls tries (docs/protocols/irecv.md#dfu-upload step 4). */
  async #awaitDnloadIdle(signal: AbortSignal | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.#dfuStatus();
      if (state === DfuState.DnloadIdle) return;
      if (state === DfuState.Error || attempt + 1 >= this.timeouts.dfuStatusPolls) {
        throw new IrecvError(`The phone stopped accepting the image (DFU state ${state})`, 'bad-state');
      }
      await sleep(this.timeouts.dfuStatusPollMs, signal);
    }
  }

  async #ensureDfuIdle(): Promise<void> {
    let state = await this.#dfuState();
    if (state === DfuState.Idle) return;
    // dfuERROR is cleared with CLRSTATUS, anything else is aborted; then it must be idle (docs/protocols/irecv.md#dfu-upload step 1).
    const request = state === DfuState.Error ? DfuClassRequest.ClrStatus : DfuClassRequest.Abort;
    await this.#usb('reset the DFU state', () => this.device.controlTransferOut(dfuClass(request)));
    state = await this.#dfuState();
    if (state !== DfuState.Idle) throw new IrecvError(`The phone is not ready for an image (DFU state ${state})`, 'bad-state');
  }

  /**
   * DFU upload (docs/protocols/irecv.md#dfu-upload): 0x800-byte DNLOAD blocks with GETSTATUS after each, the 16-byte suffix
   * (separately when it does not fit), the zero-length finish, two GETSTATUS, then a USB reset. Afterwards the
   * phone re-enumerates: call `reconnect()`.
   */
  async sendDfu(image: Uint8Array, options: UploadOptions = {}): Promise<DfuUploadResult> {
    if (this.mode !== 'dfu' && this.mode !== 'wtf')
      throw new IrecvError(`The phone is in ${this.mode} mode, not DFU`, 'not-dfu-or-recovery');
    this.#checkSize(image);
    await this.#ensureDfuIdle();
    const suffix = dfuSuffixFor(image);
    const plan = dfuUploadPlan(image.byteLength);
    let separateSuffix = false;
    let blocks = 0;
    const finishStates: number[] = [];
    for (const step of plan) {
      if (options.signal?.aborted) throw new IrecvError('Cancelled during the upload', 'cancelled');
      if (step.kind === 'data') {
        const view = image.subarray(step.start, step.end);
        await this.#dnload(step.value, step.suffix ? Buffer.concat([view, suffix]) : view);
        blocks++;
        await this.#awaitDnloadIdle(options.signal);
        options.onProgress?.(step.end, image.byteLength);
      } else if (step.kind === 'suffix') {
        separateSuffix = true;
        await this.#dnload(step.value, suffix);
        await this.#awaitDnloadIdle(options.signal);
      } else {
        await this.#dnload(step.value, undefined);
        // Values are informational: a ROM that already started the image may answer anything or nothing.
        for (let i = 0; i < 2; i++) finishStates.push(await this.#dfuStatus().catch(() => -1));
      }
    }
    await this.reset();
    return { blocks, separateSuffix, finishStates };
  }

  /** Recovery upload (docs/protocols/irecv.md#recovery-upload): 0x41 "start", bulk OUT 0x04 in 0x8000 chunks, ZLP on a 512 boundary. */
  async sendRecovery(image: Uint8Array, options: UploadOptions = {}): Promise<{ chunks: number; zeroLengthPacket: boolean }> {
    if (this.mode !== 'recovery') throw new IrecvError(`The phone is in ${this.mode} mode, not recovery`, 'not-dfu-or-recovery');
    this.#checkSize(image);
    const plan = recoveryUploadPlan(image.byteLength);
    const start = await this.#usb('start the upload', () =>
      this.device.controlTransferOut({
        requestType: 'vendor',
        recipient: 'interface',
        request: IBootRequest.StartUpload,
        value: 0,
        index: 0,
      }),
    );
    if (start.status !== 'ok') throw new IrecvError('The phone refused to start an upload', 'stalled');
    for (const chunk of plan.chunks) {
      if (options.signal?.aborted) throw new IrecvError('Cancelled during the upload', 'cancelled');
      const view = image.subarray(chunk.start, chunk.end);
      const r = await this.#usb('send image data', () => this.device.transferOut(RECOVERY_BULK_OUT_ENDPOINT, view));
      if (r.status !== 'ok' || r.bytesWritten !== view.byteLength) {
        await this.#clearHalt();
        throw new IrecvError(`The phone stopped taking the image after ${chunk.start} bytes`, 'stalled');
      }
      options.onProgress?.(chunk.end, image.byteLength);
    }
    if (plan.zeroLengthPacket)
      await this.#usb('finish the upload', () => this.device.transferOut(RECOVERY_BULK_OUT_ENDPOINT, new Uint8Array(0)));
    return { chunks: plan.chunks.length, zeroLengthPacket: plan.zeroLengthPacket };
  }

  /** Upload in whichever way the current mode needs. */
  async sendImage(image: Uint8Array, options: UploadOptions = {}): Promise<void> {
    if (this.mode === 'recovery') await this.sendRecovery(image, options);
    else await this.sendDfu(image, options);
  }

  async #clearHalt(): Promise<void> {
    await this.#usb('clear the endpoint halt', () =>
      this.device.controlTransferOut({
        requestType: 'standard',
        recipient: 'endpoint',
        request: UsbRequest.ClearFeature,
        value: 0,
        index: RECOVERY_BULK_OUT_ENDPOINT,
      }),
    ).catch(() => undefined);
  }

  #checkSize(image: Uint8Array): void {
    if (image.byteLength === 0) throw new IrecvError('The image is empty', 'invalid-argument');
    if (image.byteLength > MAX_IRECV_UPLOAD_BYTES) throw new IrecvError('The image is larger than any boot-chain image', 'too-large');
  }

  /**
   * An iBoot command (docs/protocols/irecv.md#iboot-commands). bRequest 1 is for commands after which the phone may not answer
   * (go, bootx, reboot, reset): stalls and disconnects are then expected and ignored.
   */
  async command(line: string, options: Pick<IBootCommandOptions, 'bRequest'> = {}): Promise<void> {
    if (this.mode !== 'recovery')
      throw new IrecvError(`iBoot commands need recovery mode; the phone is in ${this.mode} mode`, 'not-dfu-or-recovery');
    await sendIBootCommand(this.device, line, { ...options, call: this.#call });
  }

  /** `getenv NAME` then the 0xC0 read-back; undefined when the phone answers with an empty value. */
  async getenv(name: string): Promise<string | undefined> {
    if (this.mode !== 'recovery')
      throw new IrecvError(`iBoot commands need recovery mode; the phone is in ${this.mode} mode`, 'not-dfu-or-recovery');
    return readIBootVariable(this.device, name, { call: this.#call });
  }

  /** `getret`: the status byte of the last command. */
  async getret(): Promise<number> {
    await this.command('getret');
    const first = (await readIBootAnswer(this.device, 'getret', this.#call))[0];
    if (first === undefined) throw new IrecvError('The phone did not answer getret', 'stalled');
    return first;
  }

  /** irecovery -n: `setenv auto-boot true`, `saveenv`, `reboot` — the phone restarts into iOS. */
  async exitRecovery(): Promise<void> {
    await this.command('setenv auto-boot true');
    await this.command('saveenv');
    await this.command('reboot', { bRequest: IBootRequest.CommandNoAnswer });
  }

  /** USB port reset; the phone is expected to leave the bus, so errors are not failures. */
  async reset(): Promise<void> {
    await this.#usb('reset the phone', () => this.device.reset()).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.device.close().catch(() => undefined);
  }

  /**
   * After a reset / reboot / `go`: wait for this enumeration to leave the bus, then find the same ECID again
   * (docs/protocols/irecv.md#opening-and-reconnecting step 5, docs/protocols/irecv.md#timeouts: 10 s / 10 s by default).
   */
  async reconnect(
    options: { modes?: readonly IrecvMode[]; signal?: AbortSignal; disconnectMs?: number; reconnectMs?: number } = {},
  ): Promise<IrecvClient> {
    const signal = options.signal;
    await this.close();
    await waitForDeparture(this.bus, this.device.id, {
      timeoutMs: options.disconnectMs ?? this.timeouts.disconnectMs,
      ...(signal ? { signal } : {}),
    });
    try {
      return await IrecvClient.open(this.bus, {
        ...(this.ecid !== undefined ? { ecid: this.ecid } : {}),
        ...(options.modes ? { modes: options.modes } : {}),
        ...(signal ? { signal } : {}),
        excludeId: this.device.id,
        timeouts: { ...this.timeouts, discoveryMs: options.reconnectMs ?? this.timeouts.reconnectMs },
      });
    } catch (error) {
      if (error instanceof IrecvError && error.code === 'not-found') {
        throw new IrecvError('The phone did not come back on USB after the reset', 'did-not-reenumerate');
      }
      throw error;
    }
  }
}
