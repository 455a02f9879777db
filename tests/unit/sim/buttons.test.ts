import { describe, expect, it } from 'vitest';
import { findModelByProductType, type DeviceModel } from '../../../common/device-table';
import { parseIBootSerial } from '../../../main/usb/iboot-serial';
import { buttonLabel, buttonsOf, powerButtonName } from '../../../main/sim/hardware/buttons';
import { PhoneHardware, type PhoneMode, type PhysicalButton } from '../../../main/sim/hardware/phone-hardware';
import { ManualClock } from '../../../main/sim/hardware/sim-clock';

const ECID = 0x000012345678abcdn;

function model(productType: string): DeviceModel {
  const found = findModelByProductType(productType);
  if (!found) throw new Error(`no ${productType} in devices.json`);
  return found;
}

function phone(productType: string, initialMode: PhoneMode = 'normal') {
  const clock = new ManualClock();
  const hw = new PhoneHardware({
    identity: { model: model(productType), ecid: ECID, serialNumber: 'F2LXX0AAHG7F', udid: '00008030-000012345678ABCD' },
    initialMode,
    clock,
  });
  const modes: PhoneMode[] = [];
  hw.on('mode', (mode: PhoneMode) => modes.push(mode));
  return { hw, clock, modes };
}

type Step = [seconds: number, action: 'press' | 'release', button: PhysicalButton];

/** Run a timed button script on the manual clock, then let the phone settle. */
function play(clock: ManualClock, hw: PhoneHardware, steps: Step[], settleSeconds = 30): void {
  for (const [seconds, action, button] of steps) {
    clock.advanceTo(seconds * 1000);
    if (action === 'press') hw.press(button);
    else hw.release(button);
  }
  clock.advance(settleSeconds * 1000);
}

/** Step the clock until cond holds, at most limitMs more (never hangs a test). */
function advanceUntil(clock: ManualClock, cond: () => boolean, limitMs = 30_000): void {
  const end = clock.now() + limitMs;
  while (!cond() && clock.now() < end) clock.advance(100);
}

function dfuEcid(hw: PhoneHardware): bigint | undefined {
  const device = hw.usbDevice();
  const parsed = parseIBootSerial(device?.serialNumber);
  return parsed.ok ? parsed.serial.ecid : undefined;
}

describe('home family (iPhone 6s)', () => {
  it('force restart: Home + Power until the Apple logo restarts into normal mode on a new USB device', () => {
    const { hw, clock, modes } = phone('iPhone8,1');
    const before = hw.usbDevice();
    hw.press('home');
    hw.press('power');
    clock.advanceTo(7_900);
    expect(hw.mode).toBe('normal');
    clock.advanceTo(8_000);
    expect(hw.mode).toBe('booting');
    expect(before?.attached).toBe(false);
    // Let go once the Apple logo shows.
    advanceUntil(clock, () => hw.screen === 'apple-logo');
    hw.release('power');
    hw.release('home');
    clock.advance(30_000);
    expect(hw.mode).toBe('normal');
    expect(modes).toEqual(['booting', 'normal']);
    expect(hw.usbDevice()).not.toBe(before);
    expect(hw.usbDevice()?.address).not.toBe(before?.address);
  });

  it('recovery: keeping both held through the Apple logo ends on the recovery screen as 0x1281', () => {
    const { hw, clock } = phone('iPhone8,1');
    hw.press('home');
    hw.press('power');
    advanceUntil(clock, () => hw.mode === 'recovery');
    expect(clock.now()).toBeLessThan(20_000);
    hw.release('power');
    hw.release('home');
    clock.advance(30_000);
    expect(hw.mode).toBe('recovery');
    expect(hw.screen).toBe('recovery');
    expect(hw.usbDevice()?.productId).toBe(0x1281);
  });

  it('recovery: holding Home while plugging in a switched-off phone (Apple forgotten-passcode recipe)', () => {
    const { hw, clock } = phone('iPhone8,1', 'off');
    hw.unplug();
    hw.press('home');
    hw.plug();
    clock.advance(5_000);
    hw.release('home');
    clock.advance(30_000);
    expect(hw.mode).toBe('recovery');
  });

  it('DFU (Legacy-iOS-Kit timing from a running phone): both 10 s, then Home alone 8 s', () => {
    const { hw, clock } = phone('iPhone8,1');
    play(clock, hw, [
      [0, 'press', 'home'],
      [0, 'press', 'power'],
      [10, 'release', 'power'],
      [18, 'release', 'home'],
    ]);
    expect(hw.mode).toBe('dfu');
    expect(hw.screen).toBe('black');
    expect(hw.usbDevice()?.productId).toBe(0x1227);
    expect(dfuEcid(hw)).toBe(ECID);
  });

  it('DFU (Legacy-iOS-Kit timing from recovery): both 8 s, then Home alone 8 s', () => {
    const { hw, clock } = phone('iPhone8,1', 'recovery');
    play(clock, hw, [
      [0, 'press', 'home'],
      [0, 'press', 'power'],
      [8, 'release', 'power'],
      [16, 'release', 'home'],
    ]);
    expect(hw.mode).toBe('dfu');
  });

  it('DFU shows up during the single-button phase, so a coach can stop early', () => {
    const { hw, clock } = phone('iPhone8,1');
    play(
      clock,
      hw,
      [
        [0, 'press', 'home'],
        [0, 'press', 'power'],
        [10, 'release', 'power'],
      ],
      0,
    );
    advanceUntil(clock, () => hw.mode === 'dfu', 8_000);
    expect(hw.mode).toBe('dfu');
    expect(hw.pressedButtons).toEqual(['home']);
  });

  it('a two-button hold too short to reset does nothing', () => {
    const { hw, clock, modes } = phone('iPhone8,1');
    const before = hw.usbDevice();
    play(clock, hw, [
      [0, 'press', 'home'],
      [0, 'press', 'power'],
      [5, 'release', 'power'],
      [5, 'release', 'home'],
    ]);
    expect(modes).toEqual([]);
    expect(hw.usbDevice()).toBe(before);
  });

  it('letting go of Power before the restart ends in recovery (Home was held while iBoot ran)', () => {
    const { hw, clock } = phone('iPhone8,1');
    play(clock, hw, [
      [0, 'press', 'home'],
      [0, 'press', 'power'],
      [8.5, 'release', 'power'],
      [18, 'release', 'home'],
    ]);
    expect(hw.mode).toBe('recovery');
  });

  it('letting go of Power too late ends in recovery', () => {
    const { hw, clock } = phone('iPhone8,1');
    play(clock, hw, [
      [0, 'press', 'home'],
      [0, 'press', 'power'],
      [16, 'release', 'power'],
      [24, 'release', 'home'],
    ]);
    expect(hw.mode).toBe('recovery');
  });

  it('letting go of Home too soon after Power boots normally (Apple logo)', () => {
    const { hw, clock, modes } = phone('iPhone8,1');
    play(clock, hw, [
      [0, 'press', 'home'],
      [0, 'press', 'power'],
      [10, 'release', 'power'],
      [11, 'release', 'home'],
    ]);
    expect(hw.mode).toBe('normal');
    expect(modes).toEqual(['booting', 'normal']);
  });

  it('Volume Down + Power (the iPhone 7 recipe) does nothing on a Home-button phone', () => {
    const { hw, clock, modes } = phone('iPhone8,1');
    play(clock, hw, [
      [0, 'press', 'volumeDown'],
      [0, 'press', 'power'],
      [20, 'release', 'power'],
      [28, 'release', 'volumeDown'],
    ]);
    expect(modes).toEqual([]);
    expect(hw.sos).toBe('none');
  });

  it('a phone that cannot see the cable as a host misses DFU and lands in recovery', () => {
    const { hw, clock } = phone('iPhone8,1');
    hw.cableSupportsDfu = false;
    play(clock, hw, [
      [0, 'press', 'home'],
      [0, 'press', 'power'],
      [10, 'release', 'power'],
      [18, 'release', 'home'],
    ]);
    expect(hw.mode).toBe('recovery');
  });
});

describe('S5L8900 (iPhone 3G)', () => {
  it('the DFU hold brings up WTF mode (0x1222) instead of DFU', () => {
    const { hw, clock } = phone('iPhone1,2');
    play(clock, hw, [
      [0, 'press', 'home'],
      [0, 'press', 'power'],
      [10, 'release', 'power'],
      [23, 'release', 'home'],
    ]);
    expect(hw.mode).toBe('wtf');
    expect(hw.usbDevice()?.productId).toBe(0x1222);
  });
});

describe('volume-down-side family (iPhone 7)', () => {
  it('DFU: Volume Down + Side 10 s, then Volume Down alone', () => {
    const { hw, clock } = phone('iPhone9,1');
    play(clock, hw, [
      [0, 'press', 'volumeDown'],
      [0, 'press', 'power'],
      [10, 'release', 'power'],
      [18, 'release', 'volumeDown'],
    ]);
    expect(hw.mode).toBe('dfu');
    expect(hw.usbDevice()?.serialNumber).toContain('SRTG:[iBoot-2696.0.0.1.33]');
  });

  it('force restart: Volume Down + Side until the Apple logo', () => {
    const { hw, clock, modes } = phone('iPhone9,1');
    hw.press('volumeDown');
    hw.press('power');
    advanceUntil(clock, () => hw.screen === 'apple-logo');
    hw.release('power');
    hw.release('volumeDown');
    clock.advance(30_000);
    expect(modes).toEqual(['booting', 'normal']);
  });

  it('Home + Side does nothing (the solid-state Home button plays no part)', () => {
    const { hw, clock, modes } = phone('iPhone9,1');
    play(clock, hw, [
      [0, 'press', 'home'],
      [0, 'press', 'power'],
      [20, 'release', 'power'],
      [20, 'release', 'home'],
    ]);
    expect(modes).toEqual([]);
  });
});

describe('volume-side family (iPhone X, iPhone 8)', () => {
  const taps: Step[] = [
    [0, 'press', 'volumeUp'],
    [0.3, 'release', 'volumeUp'],
    [0.6, 'press', 'volumeDown'],
    [0.9, 'release', 'volumeDown'],
  ];

  it('force restart: Volume Up tap, Volume Down tap, hold Side until the logo', () => {
    const { hw, clock, modes } = phone('iPhone10,3');
    play(clock, hw, [...taps, [1.2, 'press', 'power']], 0);
    advanceUntil(clock, () => hw.screen === 'apple-logo');
    hw.release('power');
    clock.advance(30_000);
    expect(modes).toEqual(['booting', 'normal']);
  });

  it('recovery: keep holding Side through the Apple logo', () => {
    const { hw, clock } = phone('iPhone10,3');
    play(clock, hw, [...taps, [1.2, 'press', 'power']], 0);
    advanceUntil(clock, () => hw.mode === 'recovery');
    hw.release('power');
    clock.advance(30_000);
    expect(hw.mode).toBe('recovery');
  });

  it('DFU (Legacy-iOS-Kit): taps, Side 10 s, Side + Volume Down 5 s, Volume Down alone 8 s', () => {
    const { hw, clock } = phone('iPhone10,3');
    play(clock, hw, [...taps, [2, 'press', 'power'], [12, 'press', 'volumeDown'], [17, 'release', 'power'], [25, 'release', 'volumeDown']]);
    expect(hw.mode).toBe('dfu');
    expect(hw.usbDevice()?.serialNumber).toContain('SRTG:[iBoot-3332.0.0.1.23]');
  });

  it('holding Side without the taps does not restart', () => {
    const { hw, clock, modes } = phone('iPhone10,3');
    play(clock, hw, [
      [0, 'press', 'power'],
      [15, 'release', 'power'],
    ]);
    expect(modes).toEqual([]);
  });

  it('taps too slow do not arm the restart', () => {
    const { hw, clock, modes } = phone('iPhone10,3');
    play(clock, hw, [
      [0, 'press', 'volumeUp'],
      [0.3, 'release', 'volumeUp'],
      [4, 'press', 'volumeDown'],
      [4.3, 'release', 'volumeDown'],
      [4.6, 'press', 'power'],
      [16, 'release', 'power'],
    ]);
    expect(modes).toEqual([]);
  });

  it('Side + Volume on a running phone opens Emergency SOS and never restarts', () => {
    const { hw, clock, modes } = phone('iPhone10,3');
    const before = hw.usbDevice();
    const sos: string[] = [];
    hw.on('sos', (s: string) => sos.push(s));
    play(
      clock,
      hw,
      [
        [0, 'press', 'power'],
        [0, 'press', 'volumeDown'],
      ],
      0,
    );
    clock.advanceTo(2_000);
    expect(hw.sos).toBe('slider');
    clock.advanceTo(7_000);
    expect(hw.sos).toBe('countdown');
    clock.advanceTo(20_000);
    hw.release('power');
    hw.release('volumeDown');
    clock.advance(30_000);
    expect(sos).toEqual(['slider', 'countdown']);
    expect(modes).toEqual([]);
    expect(hw.mode).toBe('normal');
    expect(hw.usbDevice()).toBe(before);
    hw.cancelSos();
    expect(hw.sos).toBe('none');
  });

  it('the Home + Side recipe of older phones does nothing on an iPhone 8, and an iPhone X has no Home button', () => {
    const eight = phone('iPhone10,1');
    play(eight.clock, eight.hw, [
      [0, 'press', 'home'],
      [0, 'press', 'power'],
      [20, 'release', 'power'],
      [20, 'release', 'home'],
    ]);
    expect(eight.modes).toEqual([]);
    const x = phone('iPhone10,3');
    expect(x.hw.press('home')).toBe(false);
  });

  it('assisted DFU: user holds Side + Volume Down, the host sends iBoot reboot from recovery, then Volume Down alone', async () => {
    const { hw, clock } = phone('iPhone10,3', 'recovery');
    const recovery = hw.usbDevice();
    if (!recovery) throw new Error('expected a recovery device');
    await recovery.open();
    hw.press('power');
    hw.press('volumeDown');
    clock.advanceTo(2_000);
    const sent = await recovery.controlTransferOut(
      { requestType: 'vendor', recipient: 'device', request: 0, value: 0, index: 0 },
      new TextEncoder().encode('reboot\0'),
    );
    expect(sent.status).toBe('ok');
    clock.advance(0);
    expect(hw.mode).toBe('booting');
    clock.advanceTo(4_000);
    hw.release('power');
    advanceUntil(clock, () => hw.mode === 'dfu', 10_000);
    expect(hw.mode).toBe('dfu');
    expect(dfuEcid(hw)).toBe(ECID);
    hw.release('volumeDown');
  });

  it('assisted DFU with the buttons pressed after the reboot comes back in recovery', async () => {
    const { hw, clock } = phone('iPhone10,3', 'recovery');
    const recovery = hw.usbDevice();
    if (!recovery) throw new Error('expected a recovery device');
    await recovery.open();
    clock.advanceTo(2_000);
    await recovery.controlTransferOut(
      { requestType: 'vendor', recipient: 'device', request: 0, value: 0, index: 0 },
      new TextEncoder().encode('reboot\0'),
    );
    play(clock, hw, [
      [3.5, 'press', 'power'],
      [3.5, 'press', 'volumeDown'],
      [5.5, 'release', 'power'],
      [15.5, 'release', 'volumeDown'],
    ]);
    expect(hw.mode).toBe('recovery');
  });
});

describe('button names', () => {
  it('names the power button as the user sees it on each model', () => {
    expect(powerButtonName(model('iPhone6,1'))).toBe('Power');
    expect(powerButtonName(model('iPhone8,1'))).toBe('Side');
    expect(powerButtonName(model('iPhone8,4'))).toBe('Top');
    expect(powerButtonName(model('iPhone9,1'))).toBe('Side');
    expect(powerButtonName(model('iPhone15,2'))).toBe('Side');
    expect(buttonLabel(model('iPhone10,3'), 'volumeDown')).toBe('Volume Down');
  });

  it('gives the SE (2nd gen) a Home button and the iPhone 11 none', () => {
    expect(buttonsOf(model('iPhone12,8'))).toContain('home');
    expect(buttonsOf(model('iPhone12,1'))).not.toContain('home');
  });
});
