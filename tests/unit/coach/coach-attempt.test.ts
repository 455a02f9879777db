import { afterEach, describe, expect, it } from 'vitest';
import { planFor, type CoachGoal } from '../../../common/coach-plans';
import type { CoachAttempt } from '../../../common/contract/coach';
import { findModelByProductType } from '../../../common/device-table';
import type { Phone, PhoneMode } from '../../../common/phone';
import { CoachAttemptRun, type CoachPhones } from '../../../main/coach/coach-attempt';
import { PhoneHardware } from '../../../main/sim/hardware/phone-hardware';
import { ManualClock } from '../../../main/sim/hardware/sim-clock';
import { followPlan, type Mistake } from './plan-player';

const ECID = 0x001a40aabbccdd01n;
const ID = '001A40AABBCCDD01';
const hardware: PhoneHardware[] = [];
afterEach(() => {
  for (const hw of hardware.splice(0)) hw.dispose();
});

/** A registry stand-in over one virtual phone: connected and mode follow its USB personality, like the real one. */
function registryOf(hw: PhoneHardware): CoachPhones & { extra: Phone[]; changed(): void } {
  const listeners = new Set<() => void>();
  let lastMode: PhoneMode = 'unknown';
  const model = hw.identity.model;
  const self = {
    extra: [] as Phone[],
    list(): Phone[] {
      const usb = hw.usbDevice();
      if (usb) lastMode = usb.kind;
      const phone: Phone = {
        id: ID,
        mode: lastMode,
        model: {
          name: model.name,
          productType: model.productType,
          boardConfig: model.boardConfig,
          cpid: model.cpid,
          bdid: model.bdid,
          buttons: model.buttons,
          known: true,
        },
        iosVersion: null,
        buildVersion: null,
        deviceName: null,
        connected: usb !== null,
        identifying: false,
        trusted: null,
        passcodeSet: null,
        triage: { canBackUp: false, headline: '', reason: '', nextSteps: [] },
      };
      return [phone, ...self.extra];
    },
    onChange(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    usbDeviceOf: () => hw.usbDevice() ?? undefined,
    usbmuxDeviceOf: () => undefined,
    changed: () => {
      for (const l of [...listeners]) l();
    },
  };
  hw.on('usb', () => self.changed());
  return self;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function coach(
  productType: string,
  goal: CoachGoal,
  startMode: 'normal' | 'recovery',
  mistake: Mistake = 'none',
  extra: (r: ReturnType<typeof registryOf>, at: number) => void = () => undefined,
  nvram: Record<string, string> = {},
) {
  const clock = new ManualClock();
  const model = findModelByProductType(productType)!;
  const hw = new PhoneHardware({
    identity: { model, ecid: ECID, serialNumber: 'C39VX0AAJCL8', udid: `00008010-${ID}` },
    initialMode: startMode,
    clock,
    nvram,
  });
  hardware.push(hw);
  const phones = registryOf(hw);
  const plan = planFor(model, goal, { startMode });
  const snapshots: CoachAttempt[] = [];
  const run = new CoachAttemptRun({
    attempt: 'a1',
    job: 'j1',
    phoneId: ID,
    plan,
    phones,
    clock,
    missesBefore: 0,
    onChange: (s) => snapshots.push(s),
  });
  const controller = new AbortController();
  let final: CoachAttempt | null = null;
  void run.run(controller.signal).then(
    (s) => (final = s),
    () => undefined,
  );
  const script = followPlan(plan, mistake);
  const buttonsAtFinish: string[][] = [];
  for (let t = 0; t < 80_000 && !final; t += 10) {
    for (const action of script.filter((a) => a.atMs >= t && a.atMs < t + 10)) {
      if (action.down) hw.press(action.button);
      else hw.release(action.button);
    }
    extra(phones, t);
    clock.advance(10);
    await flush();
  }
  buttonsAtFinish.push(hw.pressedButtons);
  controller.abort();
  return { final: final as CoachAttempt | null, snapshots, hw, plan };
}

describe('a coached attempt on a virtual phone, refereed by its USB personality', () => {
  it('assisted DFU, right timing (iPhone 7): the app restarts the phone and the coach stops early on DFU', async () => {
    const { final, hw, plan } = await coach('iPhone9,3', 'dfu-assisted', 'recovery');
    expect(final?.outcome?.kind).toBe('dfu');
    expect(final?.outcome?.headline).toMatch(/^Got it — let go/);
    expect(hw.mode).toBe('dfu');
    // Stopped before the plan's end: the single-button step still had time left.
    expect(final!.elapsedMs).toBeLessThan(plan.totalMs);
    expect(final?.notes.some((n) => n.startsWith('Lifeline restarted the phone'))).toBe(true);
  });

  it('assisted DFU, buttons pressed after the restart: recovery, "Close"', async () => {
    const { final } = await coach('iPhone13,2', 'dfu-assisted', 'recovery', { lateBothMs: 3_500 });
    expect(final?.outcome?.kind).toBe('recovery');
    expect(final?.outcome?.headline).toMatch(/^Close/);
  });

  it('assisted DFU, everything let go at the single-button step (phone put in recovery by buttons): Apple logo', async () => {
    // A phone sent to recovery by its buttons keeps auto-boot=true, so a missed DFU boots iOS.
    const { final } = await coach('iPhone6,1', 'dfu-assisted', 'recovery', 'release-all-at-single', undefined, { 'auto-boot': 'true' });
    expect(final?.outcome?.kind).toBe('normal');
    expect(final?.outcome?.headline).toBe('Apple logo: the moment was missed.');
  });

  it.each(['iPhone6,1', 'iPhone9,1', 'iPhone10,3'])(
    'manual DFU from a running %s with the plan’s timing reaches DFU',
    async (productType) => {
      const { final } = await coach(productType, 'dfu-manual', 'normal');
      expect(final?.outcome?.kind).toBe('dfu');
    },
  );

  it('manual DFU keeping Side down too long ends in recovery (let go of Side sooner)', async () => {
    const { final } = await coach('iPhone10,3', 'dfu-manual', 'normal', 'hold-power-through');
    expect(final?.outcome?.kind).toBe('recovery');
    expect(final?.outcome?.nextSteps.join(' ')).toMatch(/let go of Side sooner/);
  });

  it('manual DFU on an iPhone X without the taps: never restarts, Emergency SOS advice', async () => {
    const { final, hw } = await coach('iPhone10,3', 'dfu-manual', 'normal', 'skip-taps');
    expect(hw.sos).not.toBe('none');
    expect(final?.outcome?.kind).toBe('no-restart');
    expect(final?.outcome?.detail).toMatch(/Emergency SOS/);
  });

  it.each(['iPhone6,1', 'iPhone9,1', 'iPhone10,3'])('recovery by buttons on %s: stops the moment recovery shows', async (productType) => {
    const { final, hw } = await coach(productType, 'recovery', 'normal');
    expect(final?.outcome?.kind).toBe('recovery');
    expect(final?.outcome?.success).toBe(true);
    expect(hw.mode).toBe('recovery');
  });

  it('recovery by buttons, let go at the Apple logo: "you let go too early"', async () => {
    const { final } = await coach('iPhone10,3', 'recovery', 'normal', { releaseAllAfterMs: 10_500 });
    expect(final?.outcome?.kind).toBe('normal');
    expect(final?.outcome?.headline).toMatch(/let go too early/);
  });

  it('a phone unplugged mid-step: says so, and ends with the host checks', async () => {
    const { final } = await coach('iPhone9,3', 'dfu-assisted', 'recovery', 'none', (r, t) => {
      if (t === 5_500) hardware[0]!.unplug();
    });
    expect(final?.outcome?.kind).toBe('nothing');
    expect(final?.outcome?.showHostChecks).toBe(true);
    expect(final?.notes.join(' ')).toMatch(/disconnected .* before any restart was due/);
    expect(final?.notes.join(' ')).toMatch(/could not restart the phone: it was no longer in recovery mode/);
  });

  it('another phone appearing is noted and ignored: the outcome is still about the chosen ECID', async () => {
    const { final } = await coach('iPhone9,3', 'dfu-assisted', 'recovery', 'none', (r, t) => {
      if (t === 6_000) {
        const [mine] = r.list();
        r.extra.push({ ...mine!, id: '0000000000000BAD', mode: 'dfu', model: { ...mine!.model, name: 'iPhone X (GSM)' } });
        r.changed();
      }
    });
    expect(final?.outcome?.kind).toBe('dfu');
    expect(final?.notes.join(' ')).toMatch(/Another device appeared \(iPhone X \(GSM\)\)/);
  });

  it('cancelling stops the attempt without an outcome', async () => {
    const clock = new ManualClock();
    const model = findModelByProductType('iPhone9,3')!;
    const hw = new PhoneHardware({ identity: { model, ecid: ECID, serialNumber: 'S', udid: 'u' }, initialMode: 'recovery', clock });
    hardware.push(hw);
    const snapshots: CoachAttempt[] = [];
    const run = new CoachAttemptRun({
      attempt: 'a',
      job: 'j',
      phoneId: ID,
      plan: planFor(model, 'dfu-assisted'),
      phones: registryOf(hw),
      clock,
      missesBefore: 0,
      onChange: (s) => snapshots.push(s),
    });
    const controller = new AbortController();
    const done = run.run(controller.signal);
    clock.advance(1_000);
    controller.abort();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(snapshots.at(-1)?.state).toBe('cancelled');
    expect(snapshots.at(-1)?.outcome).toBeNull();
  });
});
