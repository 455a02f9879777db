/**
 * Physical buttons of a simulated phone and the timing rules of docs/protocols/coach.md (tool timings; unverified on hardware,
 * so the simulator's thresholds are chosen to make every documented recipe work and every documented mistake fail
 * the way the outcome table says, docs/protocols/coach.md#outcome-table).
 *
 * All durations are in "phone milliseconds" and are multiplied by the phone's timeFactor.
 */
import { hasHomeButton, powerButtonName, type PowerButtonName } from '../../../common/coach-plans';
import type { ButtonFamily, DeviceModel } from '../../../common/device-table';

export type PhysicalButton = 'home' | 'power' | 'volumeUp' | 'volumeDown';
export const PHYSICAL_BUTTONS: readonly PhysicalButton[] = ['home', 'power', 'volumeUp', 'volumeDown'];

/**
 * Hardware long-press reset while iOS runs: the family's reset pair held this long restarts the phone.
 * Legacy-iOS-Kit holds both DFU buttons 10 s from a running phone and then releases Power (docs/protocols/coach.md#manual-dfu), so the
 * reset and the SecureROM button sample must both fall inside those 10 s.
 */
export const RESET_HOLD_RUNNING_MS = 8_000;
/** Same reset with no OS running (recovery, DFU, booting): Legacy-iOS-Kit holds 8 s "if the phone starts in recovery". */
export const RESET_HOLD_BOOTLOADER_MS = 6_000;
/**
 * volume-side force restart: Volume Up tap, Volume Down tap, then hold Side "~10 s" until the screen goes black
 * (Legacy-iOS-Kit and ZDNet, docs/protocols/coach.md#manual-dfu). The user then adds Volume Down for the DFU "both" phase.
 */
export const SIDE_HOLD_RESTART_MS = 10_000;
/** A tap is a press shorter than this (Legacy-iOS-Kit gives each tap 1 s). */
export const TAP_MAX_MS = 1_000;
/** The next step of the tap-tap-hold sequence must start within this gap after the previous tap. */
export const TAP_SEQUENCE_GAP_MS = 2_000;
/**
 * SecureROM looks at the buttons this long after the reset (screen black). Both DFU buttons down then → DFU path.
 * palera1n reboots at +2 s of a 4 s two-button hold (docs/protocols/coach.md#assisted-dfu): its user releases Power 2 s after the reset.
 */
export const ROM_BUTTON_SAMPLE_MS = 1_000;
/**
 * After the ROM saw both DFU buttons, Power/Side must be let go within this window "before the long-press reset timer
 * fires again" (docs/protocols/coach.md#the-mechanism); otherwise the boot falls through to iBoot with the single button held → recovery
 * (docs/protocols/coach.md#outcome-table "let go of Side sooner"). Legacy/ZDNet keep both held ~5 s after the reset.
 */
export const DFU_POWER_RELEASE_WINDOW_MS = 5_000;
/**
 * The single button (Home / Volume Down) must stay down this long after Power/Side is released; releasing sooner
 * boots normally ("Apple logo means the moment was missed", docs/protocols/coach.md#outcome-table). Tools ask 8–10 s but stop early on 0x1227.
 */
export const DFU_SINGLE_HOLD_MS = 3_000;
/** SecureROM's DFU device appears this long after the ROM committed to DFU. */
export const DFU_ENUMERATION_MS = 1_000;
/**
 * iBoot shows the Apple logo and checks the recovery button this long after it starts; "keep holding through the
 * Apple logo" (docs/protocols/coach.md#recovery-mode) means still down at this moment. Short enough that a user who lets go as the logo
 * appears gets a normal boot.
 */
export const IBOOT_BUTTON_CHECK_MS = 2_000;
/** iBoot's recovery device appears this long after it decided to stay in recovery ("bootloaders come up in ≤6 s", docs/protocols/coach.md#detection-and-timing). */
export const RECOVERY_ENUMERATION_MS = 1_000;
/** iOS takes much longer than the bootloaders before 0x12xx appears (docs/protocols/coach.md#detection-and-timing); "several seconds". */
export const OS_BOOT_MS = 10_000;
/** lockdown EnterRecovery / a power-off: iOS shuts down before the reset. */
export const OS_SHUTDOWN_MS = 1_000;
/** Holding Power on a phone that is off turns it on. */
export const POWER_ON_HOLD_MS = 3_000;
/** iPhone 8+: Side + a volume key held together on a running phone shows the power-off / Emergency SOS slider (docs/protocols/coach.md#button-families). */
export const SOS_SLIDER_HOLD_MS = 1_000;
/** Keep holding and the Emergency SOS countdown starts (ZDNet warns it can sound a siren and call). */
export const SOS_COUNTDOWN_HOLD_MS = 5_000;

/** The buttons that must both be down at the restart for DFU (docs/protocols/coach.md#button-families "both" phase). */
export function dfuButtons(family: ButtonFamily): readonly [PhysicalButton, PhysicalButton] {
  return family === 'home' ? ['home', 'power'] : ['volumeDown', 'power'];
}

/** The button kept down alone in the DFU "single" phase. */
export function dfuSingleButton(family: ButtonFamily): PhysicalButton {
  return family === 'home' ? 'home' : 'volumeDown';
}

/**
 * Hardware reset pair (held → restart). On volume-side phones iOS turns this pair into Emergency SOS instead, and the
 * running-phone restart is the tap-tap-hold sequence.
 */
export function resetPair(family: ButtonFamily): readonly [PhysicalButton, PhysicalButton] {
  return dfuButtons(family);
}

/**
 * Buttons iBoot treats as "held through the Apple logo" → stay in recovery (docs/protocols/coach.md#recovery-mode and the recovery row of docs/protocols/coach.md#outcome-table):
 * Home; Volume Down; on volume-side Side (Apple's recipe) or Volume Down (the missed-DFU case).
 */
export function recoveryButtons(family: ButtonFamily): readonly PhysicalButton[] {
  if (family === 'home') return ['home'];
  if (family === 'volume-down-side') return ['volumeDown'];
  return ['power', 'volumeDown'];
}

/** Which physical buttons the model has. iPhone 7's solid-state Home exists but plays no part (docs/protocols/coach.md#button-families notes). */
export function buttonsOf(model: DeviceModel): readonly PhysicalButton[] {
  const hasHome = hasHomeButton(model);
  // The first iPod touch had no volume buttons.
  const hasVolume = !model.productType.startsWith('iPod1,');
  const all: PhysicalButton[] = ['power'];
  if (hasHome) all.push('home');
  if (hasVolume) all.push('volumeUp', 'volumeDown');
  return all;
}

// The name people know the power button by comes from the coach's plans (one rule for the app and the sim).
export { powerButtonName, type PowerButtonName };

export function buttonLabel(model: DeviceModel, button: PhysicalButton): string {
  switch (button) {
    case 'home':
      return 'Home';
    case 'power':
      return powerButtonName(model);
    case 'volumeUp':
      return 'Volume Up';
    case 'volumeDown':
      return 'Volume Down';
  }
}

export type ButtonEvent = { button: PhysicalButton; down: boolean; at: number };

/**
 * Which buttons are down and since when, plus the volume-side tap-tap sequence. Pure bookkeeping: the phone decides
 * what the presses mean.
 */
export class ButtonBoard {
  /** The phone's timeFactor: tap thresholds scale with every other duration. */
  readonly #scale: number;
  readonly #downSince = new Map<PhysicalButton, number>();
  #lastTapUp: number | undefined;
  #tapStep: 0 | 1 | 2 = 0;
  #history: ButtonEvent[] = [];

  constructor(scale = 1) {
    this.#scale = scale;
  }

  isDown(button: PhysicalButton): boolean {
    return this.#downSince.has(button);
  }

  downSince(button: PhysicalButton): number | undefined {
    return this.#downSince.get(button);
  }

  allDown(buttons: readonly PhysicalButton[]): boolean {
    return buttons.every((b) => this.#downSince.has(b));
  }

  anyDown(buttons: readonly PhysicalButton[]): boolean {
    return buttons.some((b) => this.#downSince.has(b));
  }

  get pressed(): PhysicalButton[] {
    return [...this.#downSince.keys()];
  }

  /** Recent presses and releases (bounded). */
  get history(): readonly ButtonEvent[] {
    return this.#history;
  }

  /** Returns false when the button was already down. */
  press(button: PhysicalButton, at: number): boolean {
    if (this.#downSince.has(button)) return false;
    // The sequence is Volume Up tap → Volume Down tap → press Side, each started soon after the previous tap.
    const inTime = this.#lastTapUp !== undefined && at - this.#lastTapUp <= TAP_SEQUENCE_GAP_MS * this.#scale;
    if (button === 'volumeUp') this.#tapStep = 0;
    else if (!(inTime && ((button === 'volumeDown' && this.#tapStep === 1) || (button === 'power' && this.#tapStep === 2)))) {
      this.#tapStep = 0;
    }
    this.#downSince.set(button, at);
    this.#record({ button, down: true, at });
    return true;
  }

  /** Returns false when the button was not down. */
  release(button: PhysicalButton, at: number): boolean {
    const since = this.#downSince.get(button);
    if (since === undefined) return false;
    this.#downSince.delete(button);
    const tap = at - since < TAP_MAX_MS * this.#scale && this.#downSince.size === 0;
    if (tap && button === 'volumeUp') {
      this.#tapStep = 1;
      this.#lastTapUp = at;
    } else if (tap && button === 'volumeDown' && this.#tapStep === 1) {
      this.#tapStep = 2;
      this.#lastTapUp = at;
    } else {
      this.#tapStep = 0;
    }
    this.#record({ button, down: false, at });
    return true;
  }

  /**
   * True while Side is held as the third step of Volume Up tap → Volume Down tap → hold Side.
   * Checked right after press('power').
   */
  get tapSequenceArmed(): boolean {
    return this.#tapStep === 2 && this.#downSince.has('power');
  }

  releaseAll(at: number): void {
    for (const b of [...this.#downSince.keys()]) this.release(b, at);
  }

  #record(event: ButtonEvent): void {
    this.#history.push(event);
    if (this.#history.length > 64) this.#history.shift();
  }
}
