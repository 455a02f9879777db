/**
 * One boot of the restore ramdisk on the virtual phone (docs/protocols/restored.md#the-virtual-phones-restore): it
 * answers restored on 62078, listens on the data ports its requests name, runs one restore, and when that ends tells
 * the hardware how to reboot — into the new iOS after StatusMsg 0, else into recovery, like a real phone.
 */
import type { Duplex } from 'node:stream';
import type { DeviceModel } from '../../../common/device-table';
import type { BuildIdentity, RestoreBehavior } from '../../ipsw/build-manifest';
import { parseIm4m, type Im4m } from '../../img4/im4m';
import type { PlistChannel } from '../../plist/framing';
import type { PlistDict } from '../../plist/plist-value';
import { FDR_CONTROL_PORT } from '../../fdr/fdr-wire';
import { RESTORED_PORT, RestoredMsgType } from '../../restored/restored-wire';
import { createDuplexPair } from '../duplex-pair';
import type { FaultPlan } from '../faults';
import type { PhoneHardware } from '../hardware/phone-hardware';
import { FdrService } from './fdr-service';
import { identityOfBootTicket, type RestoreFirmware } from './restore-firmware';
import { emptyRestoreRecord, type RestoreRecord } from './restore-record';
import { restoreScript, scriptNameFor } from './restore-scripts';
import { RestoreSession, type BasebandCheck, type SessionEnd } from './restore-session';
import { RestoreStatus } from './restore-status';
import { serveRestored, type RestoredPhone, type RestoredRamdisk } from './restored-service';
import { coprocessorReports } from './synthetic-coprocessors';

/** restored waits about two minutes for StartRestore (scaled by the phone's time factor, never below this). */
const START_RESTORE_WAIT_MS = 120_000;
const MIN_WAIT_MS = 30_000;
const ANSWER_TIMEOUT_MS = 120_000;
/** How long the phone waits for factory data before giving up with status 53 (scaled, never below the minimum). */
const FDR_WAIT_MS = 120_000;
const MIN_FDR_WAIT_MS = 5_000;
/** After the last message, restored reboots the phone. */
const REBOOT_DELAY_MS = 1_000;

export type RestoreRamdiskOptions = {
  hardware: PhoneHardware;
  model: DeviceModel;
  serialNumber: string;
  faults: FaultPlan;
  /** The firmware the phone is being restored with; null = none known (every restore fails its checks). */
  firmware: RestoreFirmware | null;
  basebandCheck: BasebandCheck;
  baseband: { chipId: number; certId: number; chipSerial: Uint8Array; nonce: Uint8Array };
  unplug(): void;
  /** The restore ended; `wiped` = an erase got as far as wiping the data partition. */
  onEnded(result: RestoreResult): void;
};

export type RestoreResult = SessionEnd & {
  record: RestoreRecord;
  behavior: RestoreBehavior | null;
  wiped: boolean;
  version: string | null;
  build: string | null;
};

/** The modem as the ramdisk reports it in BasebandData requests (stable per phone). */
export function simBasebandOf(ecid: bigint, imei: string): RestoreRamdiskOptions['baseband'] {
  const seed = Buffer.from(ecid.toString(16).padStart(16, '0'), 'hex');
  return {
    chipId: 0x5a00e1,
    certId: 3840149528,
    chipSerial: Buffer.from(imei.slice(0, 8), 'latin1'),
    nonce: Uint8Array.from({ length: 20 }, (_, i) => ((seed[i % seed.length] ?? 0) ^ (i * 53 + 0x3c)) & 0xff),
  };
}

export class RestoreRamdisk implements RestoredRamdisk {
  readonly record: RestoreRecord = emptyRestoreRecord();
  readonly phone: RestoredPhone;
  readonly idleTimeoutMs: number;
  readonly #o: RestoreRamdiskOptions;
  readonly #bootTicket: Im4m | null;
  readonly #waiting = new Map<number, (stream: Duplex) => void>();
  readonly #startTimer: NodeJS.Timeout;
  /** Factory data travels through the host on 1082 and its data port (docs/protocols/fdr.md). */
  readonly #fdr = new FdrService();
  #started = false;
  #ended = false;
  #wiped = false;

  constructor(options: RestoreRamdiskOptions) {
    this.#o = options;
    const { model, hardware } = options;
    this.phone = {
      ecid: hardware.identity.ecid,
      cpid: model.cpid,
      bdid: model.bdid ?? 0,
      productType: model.productType,
      boardConfig: model.boardConfig,
      serialNumber: options.serialNumber,
    };
    this.idleTimeoutMs = Math.max(MIN_WAIT_MS, START_RESTORE_WAIT_MS * hardware.timeFactor);
    this.#bootTicket = parseTicket(hardware.restoreBootTicket);
    this.#startTimer = setTimeout(() => {
      if (!this.#started) this.#end({ outcome: 'not-started', status: null }, null);
    }, this.idleTimeoutMs);
    this.#startTimer.unref();
    this.#fdr.events.on('begin-ctrl', () => (this.record.fdr.beganControl = true));
    this.#fdr.events.on('pong', () => (this.record.fdr.pinged = true));
  }

  /** A host connection to one of the ramdisk's ports, or null when nothing listens there. */
  openPort(port: number): Duplex | null {
    if (this.#ended) return null;
    if (port === RESTORED_PORT) {
      const [hostEnd, deviceEnd] = createDuplexPair();
      serveRestored(deviceEnd, this);
      return hostEnd;
    }
    if (port === FDR_CONTROL_PORT || port === this.#fdr.connPort) {
      const [hostEnd, deviceEnd] = createDuplexPair();
      if (port === FDR_CONTROL_PORT) this.#fdr.serveControl(deviceEnd);
      else this.#fdr.serveConn(deviceEnd);
      return hostEnd;
    }
    const accept = this.#waiting.get(port);
    if (!accept) return null;
    this.#waiting.delete(port);
    const [hostEnd, deviceEnd] = createDuplexPair();
    deviceEnd.on('error', () => undefined);
    accept(deviceEnd);
    return hostEnd;
  }

  startRestore(channel: PlistChannel, request: PlistDict): boolean {
    if (this.#started || this.#ended) return false;
    this.#started = true;
    clearTimeout(this.#startTimer);
    const record = this.record;
    record.restoreOptions = (request.RestoreOptions as Record<string, unknown> | undefined) ?? null;
    record.protocolVersion = typeof request.RestoreProtocolVersion === 'number' ? request.RestoreProtocolVersion : null;
    const { hardware, model, firmware, faults } = this.#o;
    const found = firmware && this.#bootTicket ? identityOfBootTicket(firmware, model, this.#bootTicket) : null;
    if (!firmware || !found) {
      // A ramdisk that belongs to no known build: restored cannot trust its own ticket.
      void failEarly(
        channel,
        record,
        firmware ? 'the boot ticket matches no build identity of the firmware' : 'no firmware is known for this restore',
      ).then(() => this.#end({ outcome: 'failed', status: RestoreStatus.Fail }, null));
      return true;
    }
    const { identity, behavior } = found;
    record.behavior = behavior;
    const scriptName = scriptNameFor(model, firmware.manifest.productVersion);
    record.script = scriptName;
    const needsFdr = fdrSupport(identity) || scriptName === 'a12-ios17';
    const script = restoreScript(scriptName, {
      behavior,
      sealedSystemVolume: identity.components.some((c) => c.name === 'SystemVolume'),
      fdrSupport: needsFdr,
      baseband: this.#o.baseband,
      coprocessors: scriptName === 'a12-ios17' ? coprocessorReports(model, this.phone.ecid) : [],
    });
    const session = new RestoreSession({
      channel,
      record,
      script,
      firmware,
      identity,
      phone: {
        ticketKey: hardware.ticketKey ?? '',
        ecid: this.phone.ecid,
        cpid: model.cpid,
        bdid: model.bdid ?? 0,
        apNonce: hardware.apNonce,
        sepNonce: hardware.sepNonce,
      },
      bootTicket: this.#bootTicket,
      faults: { ...faults.restore },
      basebandCheck: this.#o.basebandCheck,
      answerTimeoutMs: Math.max(MIN_WAIT_MS, ANSWER_TIMEOUT_MS * hardware.timeFactor),
      listen: (port, timeoutMs) => this.#listen(port, timeoutMs),
      fdrServed: needsFdr
        ? () => this.#fdrServed(Math.max(MIN_FDR_WAIT_MS, FDR_WAIT_MS * hardware.timeFactor))
        : () => Promise.resolve(true),
      unplug: () => this.#o.unplug(),
      connected: () => hardware.plugged,
      onWipeStarted: () => {
        this.#wiped = true;
      },
    });
    void session.run().then((end) => this.#end(end, behavior));
    return true;
  }

  reboot(): void {
    this.#end({ outcome: this.#started ? 'host-gone' : 'not-started', status: null }, this.record.behavior);
  }

  /** The phone left restore mode some other way (test teardown). */
  dispose(): void {
    clearTimeout(this.#startTimer);
    this.#ended = true;
    this.#waiting.clear();
  }

  /** True once the host has answered the phone's FDR ping, false when it has not within `timeoutMs`. */
  #fdrServed(timeoutMs: number): Promise<boolean> {
    if (this.record.fdr.pinged) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#fdr.events.off('pong', onPong);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const onPong = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#fdr.events.once('pong', onPong);
    });
  }

  #listen(port: number, timeoutMs: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.#waiting.get(port) === accept) this.#waiting.delete(port);
        reject(new Error(`nobody connected to port ${port}`));
      }, timeoutMs);
      timer.unref();
      const accept = (stream: Duplex): void => {
        clearTimeout(timer);
        resolve(stream);
      };
      this.#waiting.set(port, accept);
    });
  }

  #end(end: SessionEnd, behavior: RestoreBehavior | null): void {
    if (this.#ended) return;
    this.dispose();
    this.record.outcome ??= end.outcome;
    const finished = end.outcome === 'finished';
    const manifest = this.#o.firmware?.manifest;
    this.#o.hardware.restoreEnded({ autoBoot: finished, osBootable: finished || !this.#wiped, delayMs: REBOOT_DELAY_MS });
    this.#o.onEnded({
      ...end,
      record: this.record,
      behavior,
      wiped: finished ? behavior === 'Erase' : this.#wiped,
      version: finished && manifest ? manifest.productVersion : null,
      build: finished && manifest ? manifest.productBuildVersion : null,
    });
  }
}

function parseTicket(ticket: Uint8Array | null): Im4m | null {
  if (!ticket) return null;
  try {
    return parseIm4m(ticket);
  } catch {
    return null;
  }
}

function fdrSupport(identity: BuildIdentity): boolean {
  const info = identity.raw.Info;
  return (
    typeof info === 'object' &&
    info !== null &&
    !Array.isArray(info) &&
    !(info instanceof Uint8Array) &&
    (info as PlistDict).FDRSupport === true
  );
}

async function failEarly(channel: PlistChannel, record: RestoreRecord, log: string): Promise<void> {
  record.status = { code: RestoreStatus.Fail, log };
  record.messagesSent.push('StatusMsg');
  await channel
    .send({ MsgType: RestoredMsgType.StatusMsg, Status: RestoreStatus.Fail, AMRError: RestoreStatus.Fail, Log: log })
    .catch(() => undefined);
  await channel.receive({ timeoutMs: 5_000 }).catch(() => undefined);
  channel.close();
}
