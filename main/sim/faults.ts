import { EventEmitter } from 'node:events';

/** Everything a test can break on purpose. All optional; an empty plan is a healthy phone. */
export type FaultSettings = {
  /** Unplug the phone this long after the plan is applied (ms, real time, not scaled). */
  unplugAfterMs?: number;
  /** Unplug once this many bytes (both directions, all Connect bridges of the phone) have crossed. */
  unplugAfterBytes?: number;
  /** Service names that accept the connection but never answer. */
  stallService?: string[];
  /** Service names whose port refuses the usbmuxd Connect (Result 3). */
  refuseService?: string[];
  /** Device ports whose usbmuxd Connect is refused (Result 3). */
  refusePort?: number[];
  /** After this many bridged bytes (device → host), flip bits in the stream. */
  corruptFrameAfterBytes?: number;
  /** Services that write to the phone (backup restore, AFC) answer "disk full". Read by the services. */
  diskFull?: boolean;
  /**
   * The certificate the phone presents in session and service TLS: 'paired' (the pair record's DeviceCertificate),
   * 'reissued' (another certificate over the phone's own key) or 'impostor' (another phone's certificate and key).
   */
  presentCertificate?: PresentedCertificate;
  /** How the restore ramdisk misbehaves (replaces the previous restore faults). */
  restore?: RestoreFaults;
};

/** Where in a restore a cable can be pulled (docs/protocols/restored.md#the-virtual-phones-restore). */
export type RestoreStage = 'boot-chain' | 'ramdisk' | 'asr' | 'baseband' | 'final-reboot';

export type RestoreFaults = {
  /** End the restore with this StatusMsg once the script reaches the data request `at` (default: the end). */
  status?: { code: number; at?: string; log?: string };
  /** restored crashes (RestoredCrash, then the connection drops) when the script reaches the data request `at`. */
  crashAt?: string;
  /** The phone drops the ASR connection once this many image bytes have arrived. */
  asrDisconnectAtBytes?: number;
  /** The cable is pulled when the restore reaches this stage. */
  unplugAt?: RestoreStage;
};

export type PresentedCertificate = 'paired' | 'reissued' | 'impostor';

/**
 * A mutable, scriptable fault plan shared by the daemon bridge, lockdownd and the services.
 * Emits 'change' whenever a test changes it.
 */
export class FaultPlan extends EventEmitter {
  unplugAfterMs: number | undefined;
  unplugAfterBytes: number | undefined;
  readonly stallService = new Set<string>();
  readonly refuseService = new Set<string>();
  readonly refusePort = new Set<number>();
  corruptFrameAfterBytes: number | undefined;
  diskFull = false;
  presentCertificate: PresentedCertificate = 'paired';
  restore: RestoreFaults = {};

  constructor(settings: FaultSettings = {}) {
    super();
    this.set(settings);
  }

  set(settings: FaultSettings): this {
    if ('unplugAfterMs' in settings) this.unplugAfterMs = settings.unplugAfterMs;
    if ('unplugAfterBytes' in settings) this.unplugAfterBytes = settings.unplugAfterBytes;
    if ('corruptFrameAfterBytes' in settings) this.corruptFrameAfterBytes = settings.corruptFrameAfterBytes;
    if (settings.diskFull !== undefined) this.diskFull = settings.diskFull;
    if (settings.presentCertificate !== undefined) this.presentCertificate = settings.presentCertificate;
    if (settings.restore !== undefined) this.restore = { ...settings.restore };
    for (const name of settings.stallService ?? []) this.stallService.add(name);
    for (const name of settings.refuseService ?? []) this.refuseService.add(name);
    for (const port of settings.refusePort ?? []) this.refusePort.add(port);
    this.emit('change');
    return this;
  }

  reset(): this {
    this.unplugAfterMs = undefined;
    this.unplugAfterBytes = undefined;
    this.corruptFrameAfterBytes = undefined;
    this.diskFull = false;
    this.presentCertificate = 'paired';
    this.restore = {};
    this.stallService.clear();
    this.refuseService.clear();
    this.refusePort.clear();
    this.emit('change');
    return this;
  }
}
