/**
 * One simulated phone's hardware: power, buttons, the boot chain (SecureROM → iBoot → iOS) and its USB personality.
 * The button timing rules live in ./buttons (docs/protocols/coach.md); this class runs them on an injectable clock.
 */
import { EventEmitter } from 'node:events';
import type { DeviceModel } from '../../../common/device-table';
import {
  ButtonBoard,
  DFU_ENUMERATION_MS,
  DFU_POWER_RELEASE_WINDOW_MS,
  DFU_SINGLE_HOLD_MS,
  IBOOT_BUTTON_CHECK_MS,
  OS_BOOT_MS,
  OS_SHUTDOWN_MS,
  POWER_ON_HOLD_MS,
  RECOVERY_ENUMERATION_MS,
  RESET_HOLD_BOOTLOADER_MS,
  RESET_HOLD_RUNNING_MS,
  ROM_BUTTON_SAMPLE_MS,
  SIDE_HOLD_RESTART_MS,
  SOS_COUNTDOWN_HOLD_MS,
  SOS_SLIDER_HOLD_MS,
  buttonLabel,
  buttonsOf,
  dfuButtons,
  dfuSingleButton,
  recoveryButtons,
  resetPair,
  type PhysicalButton,
} from './buttons';
import type { KeyObject } from 'node:crypto';
import { IBootShell, type IBootResult } from './iboot-shell';
import { checkBootImage, ticketOf, type ImageVerdict } from './sim-image-check';
import { realClock, type SimClock, type SimTimer } from './sim-clock';
import type { SimUpload } from './sim-upload';
import { SimUsbDevice, dfuPersonality, noncesOf, normalPersonality, recoveryPersonality, type SimUsbPersonality } from './sim-usb-device';

export type { PhysicalButton } from './buttons';

/** 'restore': the restore ramdisk runs (visible on usbmuxd only, docs/protocols/boot-chain.md#dfu-to-restore-ramdisk step 16). */
export type PhoneMode = 'off' | 'booting' | 'normal' | 'recovery' | 'dfu' | 'wtf' | 'restore';

/** What the phone's screen shows (for the demo UI and coach tests). DFU is black (docs/protocols/coach.md#outcome-table). */
export type PhoneScreen = 'off' | 'black' | 'apple-logo' | 'recovery' | 'running';

/** iPhone 8+ Side + volume on a running phone (docs/protocols/coach.md#button-families). */
export type SosState = 'none' | 'slider' | 'countdown';

/** Finer-grained than PhoneMode: where in the boot chain the phone is. */
export type BootStage =
  | 'off'
  | 'shutting-down'
  | 'rom'
  | 'dfu-pending'
  | 'dfu-confirm'
  | 'dfu-enumerating'
  | 'iboot'
  | 'recovery-enumerating'
  | 'os-booting'
  | 'normal'
  | 'recovery'
  | 'dfu'
  | 'wtf'
  | 'ramdisk-booting'
  | 'restore';

export type PhoneIdentity = {
  model: DeviceModel;
  ecid: bigint;
  /** Apple serial number (SRNM in recovery). */
  serialNumber: string;
  imei?: string;
  /** Normal-mode USB serial / usbmux UDID. */
  udid: string;
  apNonce?: Uint8Array;
  sepNonce?: Uint8Array;
};

export type PhoneHardwareOptions = {
  identity: PhoneIdentity;
  initialMode?: PhoneMode;
  /** Scales every delay and button threshold (1 = real time; tests use e.g. 0.01). */
  timeFactor?: number;
  /** Starts unplugged when false (default: plugged). */
  plugged?: boolean;
  clock?: SimClock;
  /** False models a phone whose iOS no longer boots: every boot ends in recovery. */
  osBootable?: boolean;
  /** NVRAM at start; `auto-boot` defaults to "false" for a phone that starts in recovery, else "true". */
  nvram?: Record<string, string>;
};

/** Which boot-chain program answers in recovery mode (docs/protocols/boot-chain.md#dfu-to-restore-ramdisk, the state table in docs/protocols/boot-chain.md#simulator-boot-chain). */
export type IBootStage = 'iboot' | 'ibss' | 'ibec';

/** One image the boot chain judged (tests assert on this, not on the host tool's exit code). */
export type BootRecord = { stage: 'dfu' | IBootStage; command: string; verdict: ImageVerdict };

/** docs/protocols/boot-chain.md#simulator-boot-chain: how long each booted stage takes to show up again (scaled by timeFactor). */
const IBSS_BOOT_MS = 1_500;
const IBEC_BOOT_MS = 1_500;
const RAMDISK_BOOT_MS = 4_000;
const MAX_BOOT_RECORDS = 64;

/** iBEC verb → the image tag it boots (docs/protocols/boot-chain.md#components-per-stage). */
const IBEC_IMAGE_VERBS: ReadonlyMap<string, readonly string[]> = new Map([
  ['setpicture', ['rlgo', 'logo']],
  ['firmware', ['rtsc', 'trst', 'rdcp', 'rdc2', 'rtmu', 'rcio', 'dcp2', 'rsm3', 'rspt', 'rtrx', 'rxcl', 'aopf', 'anef', 'ispf', 'mtfw']],
  ['ramdisk', ['rdsk']],
  ['devicetree', ['rdtr']],
  ['rsepfirmware', ['rsep']],
]);

/** Uploads kept for inspection (each up to MAX_SIM_UPLOAD_BYTES). */
const MAX_KEPT_UPLOADS = 4;
/** A USB port reset: the device drops off the bus and enumerates again after this long (scaled by timeFactor). */
const USB_RESET_REENUMERATION_MS = 500;

const ROM_STAGES: ReadonlySet<BootStage> = new Set(['rom', 'dfu-pending', 'dfu-confirm', 'dfu-enumerating']);
const MAX_USB_ADDRESS = 127;
const addressesInUse = new Set<number>();
let nextAddress = 1;
let nextPort = 1;

function allocateAddress(): number {
  for (let i = 0; i < MAX_USB_ADDRESS; i++) {
    const candidate = nextAddress;
    nextAddress = (nextAddress % MAX_USB_ADDRESS) + 1;
    if (!addressesInUse.has(candidate)) {
      addressesInUse.add(candidate);
      return candidate;
    }
  }
  return nextAddress;
}

/**
 * Events: 'mode' (mode, previous), 'plugged' (boolean), 'usb' (device | null, previous | null), 'sos' (SosState),
 * 'screen' (PhoneScreen), 'iboot' (command line received in recovery), 'upload' (SimUpload started),
 * 'usb-reset' (the host reset the USB port).
 */
export class PhoneHardware extends EventEmitter {
  readonly identity: PhoneIdentity;
  readonly timeFactor: number;
  /** Physical port of this phone on the simulated host (stays the same across re-enumeration). */
  readonly location: string;
  /** False once a restore wiped the system volume without finishing: iBoot then always stops in recovery. */
  osBootable: boolean;
  /** False models a cable the phone does not detect for DFU (Apple USB-C-to-Lightning, docs/protocols/coach.md#host-checks). */
  cableSupportsDfu = true;
  /**
   * The ticket key this phone's boot chain trusts (the practice signing server's test key). When set, SecureROM,
   * iBSS and iBEC check every image and boot it (docs/protocols/boot-chain.md#simulator-boot-chain); when null, uploads are only recorded.
   */
  ticketKey: KeyObject | string | null = null;
  /** Issue a fresh ApNonce at every boot stage (docs/protocols/irecv.md#nonces: exercises the host's re-request of a ticket). */
  freshNoncePerStage = false;
  #apNonce: Uint8Array;
  #iBootStage: IBootStage = 'iboot';
  #lastUpload: SimUpload | null = null;
  /** iBEC: the ticket of the ramdisk it accepted; kept as the restore ramdisk's boot ticket at bootx. */
  #ramdiskTicket: Uint8Array | null = null;
  #restoreBootTicket: Uint8Array | null = null;
  /** iBEC: images accepted since it started, by verb. */
  readonly #accepted = new Set<string>();
  readonly #bootRecords: BootRecord[] = [];
  readonly #clock: SimClock;
  readonly #board: ButtonBoard;
  readonly #available: ReadonlySet<PhysicalButton>;
  #mode: PhoneMode = 'off';
  #stage: BootStage = 'off';
  #screen: PhoneScreen = 'off';
  #sos: SosState = 'none';
  #plugged: boolean;
  #nvram: Map<string, string>;
  #usb: SimUsbDevice | null = null;
  #shell: IBootShell | null = null;
  #stageTimer: SimTimer | null = null;
  #resetTimer: SimTimer | null = null;
  #shortcutTimer: SimTimer | null = null;
  #sosTimer: SimTimer | null = null;
  #powerOnTimer: SimTimer | null = null;
  #disposed = false;
  readonly #uploads: SimUpload[] = [];

  constructor(options: PhoneHardwareOptions) {
    super();
    this.identity = options.identity;
    this.timeFactor = options.timeFactor ?? 1;
    this.#clock = options.clock ?? realClock;
    this.#board = new ButtonBoard(this.timeFactor);
    this.#available = new Set(buttonsOf(options.identity.model));
    this.#plugged = options.plugged ?? true;
    this.osBootable = options.osBootable ?? true;
    this.location = `sim-port-${nextPort++}`;
    this.#apNonce = noncesOf(options.identity).nonc;
    const initialMode = options.initialMode ?? 'normal';
    this.#nvram = new Map(Object.entries(options.nvram ?? {}));
    if (!this.#nvram.has('auto-boot')) this.#nvram.set('auto-boot', initialMode === 'recovery' ? 'false' : 'true');
    switch (initialMode) {
      case 'off':
        break;
      case 'booting':
        this.#restart();
        break;
      case 'normal':
        this.#enterNormal();
        break;
      case 'recovery':
        this.#enterRecoveryMode();
        break;
      case 'dfu':
      case 'wtf':
        this.#enterDfu(initialMode);
        break;
    }
  }

  get mode(): PhoneMode {
    return this.#mode;
  }

  get bootStage(): BootStage {
    return this.#stage;
  }

  get screen(): PhoneScreen {
    return this.#screen;
  }

  get sos(): SosState {
    return this.#sos;
  }

  get plugged(): boolean {
    return this.#plugged;
  }

  get nvram(): ReadonlyMap<string, string> {
    return this.#nvram;
  }

  /** iBoot's command line while in recovery, else null. */
  get iBootShell(): IBootShell | null {
    return this.#shell;
  }

  get pressedButtons(): PhysicalButton[] {
    return this.#board.pressed;
  }

  /** The buttons this model physically has. */
  get availableButtons(): PhysicalButton[] {
    return [...this.#available];
  }

  buttonLabel(button: PhysicalButton): string {
    return buttonLabel(this.identity.model, button);
  }

  /** The last few uploads received over USB (oldest first), for tests and the demo transcript. */
  get uploads(): readonly SimUpload[] {
    return this.#uploads;
  }

  /** The phone's current ApNonce (changes per stage when freshNoncePerStage). */
  get apNonce(): Uint8Array {
    return this.#apNonce;
  }

  /** The SepNonce the phone reports (stable per ECID). */
  get sepNonce(): Uint8Array {
    return noncesOf(this.identity).snon;
  }

  /** The ticket (IM4M) the running restore ramdisk was booted with; null outside restore mode. */
  get restoreBootTicket(): Uint8Array | null {
    return this.#mode === 'restore' ? this.#restoreBootTicket : null;
  }

  /**
   * The restore ramdisk is done (finished or failed): it sets NVRAM the way restored leaves it and reboots after
   * `delayMs` (scaled). iBoot then boots iOS when `autoBoot` and the OS is bootable, else stops in recovery.
   */
  restoreEnded(outcome: { autoBoot: boolean; osBootable: boolean; delayMs?: number }): void {
    if (this.#mode !== 'restore') return;
    this.#nvram.set('auto-boot', outcome.autoBoot ? 'true' : 'false');
    this.osBootable = outcome.osBootable;
    this.#restoreBootTicket = null;
    this.#detachUsb();
    this.#setMode('booting');
    this.#setStage('shutting-down');
    this.#stageTimer = this.#after(outcome.delayMs ?? OS_SHUTDOWN_MS, () => this.#restart());
  }

  get iBootStage(): IBootStage {
    return this.#iBootStage;
  }

  /** Every image the boot chain judged, oldest first (bounded). */
  get bootRecords(): readonly BootRecord[] {
    return this.#bootRecords;
  }

  /** The USB device currently enumerated (null when unplugged, off or between personalities). */
  usbDevice(): SimUsbDevice | null {
    return this.#usb;
  }

  /** lockdown EnterRecovery: iOS sets auto-boot=false and restarts; iBoot then stays in recovery. */
  enterRecovery(): boolean {
    if (this.#stage !== 'normal') return false;
    this.#nvram.set('auto-boot', 'false');
    this.#setStage('shutting-down');
    this.#stageTimer = this.#after(OS_SHUTDOWN_MS, () => this.#restart());
    return true;
  }

  /** Software restart (iOS reboot / iBoot `reboot`): the buttons held at that moment still count. */
  reboot(): void {
    if (this.#stage === 'off' || this.#disposed) return;
    this.#restart();
  }

  powerOff(): void {
    this.#cancelAllTimers();
    this.#detachUsb();
    this.#shell = null;
    this.#setSos('none');
    this.#setStage('off');
    this.#setScreen('off');
    this.#setMode('off');
  }

  unplug(): void {
    if (!this.#plugged) return;
    this.#plugged = false;
    this.#detachUsb();
    this.emit('plugged', false);
  }

  plug(): void {
    if (this.#plugged || this.#disposed) return;
    this.#plugged = true;
    this.emit('plugged', true);
    // An iPhone that is off starts up when it gets power (Apple's button-held-while-plugging recovery recipe, docs/protocols/coach.md#recovery-mode).
    if (this.#stage === 'off') this.#restart();
    else this.#attachForMode();
  }

  /** Dismiss the Emergency SOS slider. */
  cancelSos(): void {
    this.#clearTimer('sos');
    this.#setSos('none');
  }

  /** Returns false for a button this model lacks or one already down. */
  press(button: PhysicalButton): boolean {
    if (this.#disposed || !this.#available.has(button)) return false;
    if (!this.#board.press(button, this.#clock.now())) return false;
    this.#buttonsChanged(button, true);
    return true;
  }

  release(button: PhysicalButton): boolean {
    if (this.#disposed || !this.#board.release(button, this.#clock.now())) return false;
    this.#buttonsChanged(button, false);
    return true;
  }

  /** Cancel all timers and leave the bus (test teardown / phone removed). */
  dispose(): void {
    this.#cancelAllTimers();
    this.#detachUsb();
    this.#disposed = true;
  }

  // ── buttons ────────────────────────────────────────────────────────────────

  #buttonsChanged(button: PhysicalButton, down: boolean): void {
    const family = this.identity.model.buttons;
    const single = dfuSingleButton(family);

    if (this.#stage === 'dfu-pending') {
      if (!this.#board.isDown(single)) this.#startIBoot();
      else if (!this.#board.isDown('power')) {
        this.#clearTimer('stage');
        this.#setStage('dfu-confirm');
        this.#stageTimer = this.#after(DFU_SINGLE_HOLD_MS, () => this.#commitDfu());
      }
    } else if (this.#stage === 'dfu-confirm') {
      // Single button let go too soon: SecureROM boots on, the Apple logo appears (docs/protocols/coach.md#outcome-table).
      if (!this.#board.isDown(single)) this.#startIBoot();
    }

    if (this.#stage === 'off' && button === 'power') {
      this.#clearTimer('power-on');
      if (down) this.#powerOnTimer = this.#after(POWER_ON_HOLD_MS, () => this.#restart());
    }

    if (family === 'volume-side' && button === 'power') {
      this.#clearTimer('shortcut');
      if (down && this.#board.tapSequenceArmed && this.#stage !== 'off' && !ROM_STAGES.has(this.#stage)) {
        this.#shortcutTimer = this.#after(SIDE_HOLD_RESTART_MS, () => {
          this.#shortcutTimer = null;
          this.#restart();
        });
      }
    }

    this.#updateSos();
    this.#updateResetTimer();
  }

  /** Hardware long-press reset of the family's pair; suppressed while SecureROM samples and on running iPhone 8+. */
  #updateResetTimer(): void {
    const family = this.identity.model.buttons;
    const eligible =
      this.#stage !== 'off' &&
      this.#stage !== 'shutting-down' &&
      !ROM_STAGES.has(this.#stage) &&
      !(family === 'volume-side' && this.#stage === 'normal');
    if (!eligible || !this.#board.allDown(resetPair(family))) {
      this.#clearTimer('reset');
      return;
    }
    if (this.#resetTimer) return;
    const hold = this.#stage === 'normal' ? RESET_HOLD_RUNNING_MS : RESET_HOLD_BOOTLOADER_MS;
    this.#resetTimer = this.#after(hold, () => {
      this.#resetTimer = null;
      this.#restart();
    });
  }

  #updateSos(): void {
    const sosCombo =
      this.identity.model.buttons === 'volume-side' &&
      this.#stage === 'normal' &&
      this.#shortcutTimer === null &&
      this.#board.isDown('power') &&
      this.#board.anyDown(['volumeUp', 'volumeDown']);
    if (!sosCombo) {
      this.#clearTimer('sos');
      return;
    }
    if (this.#sosTimer) return;
    if (this.#sos === 'none') {
      this.#sosTimer = this.#after(SOS_SLIDER_HOLD_MS, () => {
        this.#sosTimer = null;
        this.#setSos('slider');
        this.#updateSos();
      });
    } else if (this.#sos === 'slider') {
      this.#sosTimer = this.#after(SOS_COUNTDOWN_HOLD_MS, () => {
        this.#sosTimer = null;
        this.#setSos('countdown');
      });
    }
  }

  // ── boot chain ─────────────────────────────────────────────────────────────

  /** The reset moment: the phone leaves the bus and SecureROM starts. */
  #restart(): void {
    if (this.#disposed) return;
    this.#cancelAllTimers();
    this.#detachUsb();
    this.#shell = null;
    this.#iBootStage = 'iboot';
    this.#accepted.clear();
    this.#ramdiskTicket = null;
    this.#restoreBootTicket = null;
    this.#setSos('none');
    this.#setMode('booting');
    this.#setScreen('black');
    this.#setStage('rom');
    this.#stageTimer = this.#after(ROM_BUTTON_SAMPLE_MS, () => this.#romSample());
  }

  #romSample(): void {
    const family = this.identity.model.buttons;
    // DFU needs both buttons down at the restart and a USB host the phone can see (docs/protocols/coach.md#the-mechanism, R6).
    if (this.#board.allDown(dfuButtons(family)) && this.#plugged && this.cableSupportsDfu) {
      this.#setStage('dfu-pending');
      this.#stageTimer = this.#after(DFU_POWER_RELEASE_WINDOW_MS, () => this.#startIBoot());
      return;
    }
    this.#startIBoot();
  }

  #commitDfu(): void {
    this.#setStage('dfu-enumerating');
    // S5L8900 phones come up in WTF mode instead (docs/protocols/coach.md#identify-first).
    const kind = this.identity.model.cpid === 0x8900 ? 'wtf' : 'dfu';
    this.#stageTimer = this.#after(DFU_ENUMERATION_MS, () => this.#enterDfu(kind));
    this.#updateResetTimer();
  }

  #startIBoot(): void {
    this.#clearTimer('stage');
    this.#setStage('iboot');
    this.#setScreen('apple-logo');
    this.#stageTimer = this.#after(IBOOT_BUTTON_CHECK_MS, () => this.#iBootCheck());
    this.#updateResetTimer();
  }

  #iBootCheck(): void {
    const held = this.#board.anyDown(recoveryButtons(this.identity.model.buttons));
    if (held || this.#nvram.get('auto-boot') !== 'true' || !this.osBootable) {
      this.#setStage('recovery-enumerating');
      this.#setScreen('recovery');
      this.#stageTimer = this.#after(RECOVERY_ENUMERATION_MS, () => this.#enterRecoveryMode());
      return;
    }
    this.#setStage('os-booting');
    this.#stageTimer = this.#after(OS_BOOT_MS, () => this.#enterNormal());
  }

  #enterNormal(): void {
    this.#stageTimer = null;
    this.#setStage('normal');
    this.#setScreen('running');
    this.#setMode('normal');
    this.#attachForMode();
    this.#updateResetTimer();
  }

  #enterRecoveryMode(): void {
    this.#stageTimer = null;
    const stageEnv = new Map<string, string>();
    if (this.#iBootStage === 'ibss') stageEnv.set('boot-stage', '1');
    if (this.#iBootStage === 'ibec') {
      // docs/protocols/boot-chain.md#dfu-to-restore-ramdisk step 8/12: iBEC reports boot-stage 2 and a ramdisk size.
      stageEnv.set('boot-stage', '2').set('build-version', 'iBoot-4513.270.14').set('ramdisk-size', '0x10000000');
    }
    this.#shell = new IBootShell(
      this.#nvram,
      {
        boot: (verb, args) => this.#bootCommand(verb, args),
        saveenv: (env) => {
          this.#nvram = new Map(env);
        },
        command: (line) => this.emit('iboot', line),
        reboot: () => {
          const shell = this.#shell;
          // Let the control transfer that carried `reboot` complete before the phone leaves the bus.
          this.#after(0, () => {
            if (this.#shell === shell && this.#stage === 'recovery') this.#restart();
          });
        },
      },
      stageEnv,
    );
    this.#setStage('recovery');
    this.#setScreen('recovery');
    this.#setMode('recovery');
    this.#attachForMode();
    this.#updateResetTimer();
  }

  #enterDfu(kind: 'dfu' | 'wtf'): void {
    this.#stageTimer = null;
    this.#setStage(kind);
    this.#setScreen('black');
    this.#setMode(kind);
    this.#attachForMode();
    this.#updateResetTimer();
  }

  // ── USB ────────────────────────────────────────────────────────────────────

  #personality(): SimUsbPersonality | null {
    switch (this.#mode) {
      case 'normal':
      case 'restore':
        return normalPersonality(this.identity);
      case 'recovery':
        return recoveryPersonality({ ...this.identity, apNonce: this.#apNonce });
      case 'dfu':
        return dfuPersonality({ ...this.identity, apNonce: this.#apNonce }, 'dfu');
      case 'wtf':
        return dfuPersonality({ ...this.identity, apNonce: this.#apNonce }, 'wtf');
      default:
        return null;
    }
  }

  /** Every attach is a new device object with a new address, like real re-enumeration. */
  #attachForMode(): void {
    this.#detachUsb();
    const personality = this.#personality();
    if (!personality || !this.#plugged || this.#disposed) return;
    const shell = personality.kind === 'recovery' ? this.#shell : null;
    const device: SimUsbDevice = new SimUsbDevice({
      personality,
      address: allocateAddress(),
      location: this.location,
      ...(shell ? { shell } : {}),
      onUpload: (upload) => {
        if (this.#uploads.length >= MAX_KEPT_UPLOADS) this.#uploads.shift();
        this.#uploads.push(upload);
        this.#lastUpload = upload;
        this.emit('upload', upload);
      },
      onReset: () => this.#usbPortReset(device),
    });
    this.#usb = device;
    this.emit('usb', device, null);
  }

  /**
   * The host reset the port. The device leaves the bus once the current transfer has completed and enumerates again
   * in the same mode with a new address. (DFU: SecureROM does not boot an image it was not built to check, so it
   * comes back in DFU.)
   */
  #usbPortReset(device: SimUsbDevice): void {
    this.#after(0, () => {
      if (this.#usb !== device) return;
      if (this.ticketKey !== null && this.#mode === 'dfu' && this.#lastUpload?.mode === 'dfu' && this.#lastUpload.complete) {
        this.#romBoot(this.#lastUpload);
        return;
      }
      const mode = this.#mode;
      this.emit('usb-reset');
      this.#detachUsb();
      this.#after(USB_RESET_REENUMERATION_MS, () => {
        if (this.#mode === mode && this.#usb === null) this.#attachForMode();
      });
    });
  }

  // ── boot chain (docs/protocols/boot-chain.md#dfu-to-restore-ramdisk, docs/protocols/boot-chain.md#simulator-boot-chain) ────────────────────────────────

  #judge(stage: BootRecord['stage'], command: string, image: Uint8Array | null, tags: readonly string[]): ImageVerdict {
    const model = this.identity.model;
    const verdict: ImageVerdict =
      image === null || this.ticketKey === null
        ? { ok: false, tag: null, reason: image === null ? 'no image was uploaded' : 'this phone trusts no ticket key' }
        : checkBootImage(image, {
            tags,
            ecid: this.identity.ecid,
            cpid: model.cpid,
            bdid: model.bdid ?? 0,
            apNonce: this.#apNonce,
            ticketKey: this.ticketKey,
          });
    if (this.#bootRecords.length >= MAX_BOOT_RECORDS) this.#bootRecords.shift();
    this.#bootRecords.push({ stage, command, verdict });
    this.emit('boot-image', { stage, command, verdict });
    return verdict;
  }

  #freshNonce(): void {
    if (!this.freshNoncePerStage) return;
    const next = Uint8Array.from(this.#apNonce, () => Math.floor(Math.random() * 256));
    this.#apNonce = next;
  }

  /**
   * SecureROM after the DFU upload and the host's USB reset: a valid iBSS boots (the phone leaves the bus and comes
   * back as iBSS in recovery, docs/protocols/boot-chain.md#dfu-to-restore-ramdisk step 5); anything else and the ROM stays put — no re-enumeration (the "any" row of docs/protocols/boot-chain.md#simulator-boot-chain).
   */
  #romBoot(upload: SimUpload): void {
    const verdict = this.#judge('dfu', 'dfu-upload', upload.payload(), ['ibss']);
    this.#lastUpload = null;
    if (!verdict.ok) return;
    this.emit('usb-reset');
    this.#bootInto('ibss', IBSS_BOOT_MS);
  }

  #bootInto(stage: 'ibss' | 'ibec', delayMs: number): void {
    this.#detachUsb();
    this.#shell = null;
    this.#setMode('booting');
    this.#setStage('recovery-enumerating');
    this.#stageTimer = this.#after(delayMs, () => {
      this.#iBootStage = stage;
      this.#accepted.clear();
      this.#freshNonce();
      this.#enterRecoveryMode();
    });
  }

  #bootCommand(verb: string, args: string): IBootResult | undefined {
    if (this.ticketKey === null) return undefined;
    const stage = this.#iBootStage;
    const image = this.#lastUpload?.mode === 'recovery' ? this.#lastUpload.payload() : null;
    // iBEC also boots a newly uploaded iBEC with `go` (a second run after the cable was pulled mid-walk).
    if (verb === 'go' && (stage === 'ibss' || stage === 'iboot' || stage === 'ibec')) {
      const verdict = this.#judge(stage, 'go', image, ['ibec']);
      if (!verdict.ok) return { ok: false, output: verdict.reason };
      const shell = this.#shell;
      this.#after(0, () => {
        if (this.#shell === shell) this.#bootInto('ibec', IBEC_BOOT_MS);
      });
      return { ok: true, output: '' };
    }
    if (stage !== 'ibec') return undefined;
    if (verb === 'bgcolor') return { ok: true, output: '' };
    const tags = IBEC_IMAGE_VERBS.get(verb);
    if (tags) {
      if (verb === 'setpicture' && args.trim() !== '' && args.trim() !== '4' && args.trim() !== '0')
        return { ok: false, output: 'usage: setpicture [0|4]' };
      const verdict = this.#judge(stage, verb, image, tags);
      if (!verdict.ok) return { ok: false, output: verdict.reason };
      this.#accepted.add(verb);
      if (verb === 'ramdisk' && image) this.#ramdiskTicket = ticketOf(image);
      return { ok: true, output: '' };
    }
    if (verb === 'bootx') {
      const verdict = this.#judge(stage, 'bootx', image, ['rkrn']);
      if (!verdict.ok) return { ok: false, output: verdict.reason };
      if (!this.#accepted.has('ramdisk') || !this.#accepted.has('devicetree')) {
        const refused: ImageVerdict = { ok: false, tag: 'rkrn', reason: 'bootx needs a ramdisk and a device tree first' };
        this.#bootRecords.push({ stage, command: 'bootx', verdict: refused });
        return { ok: false, output: refused.reason };
      }
      const shell = this.#shell;
      this.#after(0, () => {
        if (this.#shell !== shell) return;
        this.#detachUsb();
        this.#shell = null;
        this.#setMode('booting');
        this.#setStage('ramdisk-booting');
        this.#stageTimer = this.#after(RAMDISK_BOOT_MS, () => {
          this.#stageTimer = null;
          this.#restoreBootTicket = this.#ramdiskTicket;
          this.#setStage('restore');
          this.#setScreen('apple-logo');
          this.#setMode('restore');
          this.#attachForMode();
        });
      });
      return { ok: true, output: '' };
    }
    return undefined;
  }

  #detachUsb(): void {
    const previous = this.#usb;
    if (!previous) return;
    this.#usb = null;
    previous.detach();
    addressesInUse.delete(previous.address);
    this.emit('usb', null, previous);
  }

  // ── state plumbing ─────────────────────────────────────────────────────────

  #after(ms: number, callback: () => void): SimTimer {
    return this.#clock.setTimeout(() => {
      if (!this.#disposed) callback();
    }, ms * this.timeFactor);
  }

  #clearTimer(which: 'stage' | 'reset' | 'shortcut' | 'sos' | 'power-on'): void {
    const timers = {
      stage: this.#stageTimer,
      reset: this.#resetTimer,
      shortcut: this.#shortcutTimer,
      sos: this.#sosTimer,
      'power-on': this.#powerOnTimer,
    } as const;
    timers[which]?.cancel();
    if (which === 'stage') this.#stageTimer = null;
    else if (which === 'reset') this.#resetTimer = null;
    else if (which === 'shortcut') this.#shortcutTimer = null;
    else if (which === 'sos') this.#sosTimer = null;
    else this.#powerOnTimer = null;
  }

  #cancelAllTimers(): void {
    for (const which of ['stage', 'reset', 'shortcut', 'sos', 'power-on'] as const) this.#clearTimer(which);
  }

  #setStage(stage: BootStage): void {
    this.#stage = stage;
  }

  #setMode(mode: PhoneMode): void {
    const previous = this.#mode;
    if (previous === mode) return;
    this.#mode = mode;
    this.emit('mode', mode, previous);
  }

  #setScreen(screen: PhoneScreen): void {
    if (this.#screen === screen) return;
    this.#screen = screen;
    this.emit('screen', screen);
  }

  #setSos(state: SosState): void {
    if (this.#sos === state) return;
    this.#sos = state;
    this.emit('sos', state);
  }
}
