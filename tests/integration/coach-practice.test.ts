/**
 * The coach end to end over the contract: the real engine, registry and fake usbmuxd, virtual phones whose
 * buttons are pressed through `practice.button` following the plan's timeline (right and wrong timings per family).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoachAttempt, CoachGoalName, LifelineApi } from '../../common/api';
import type { Phone } from '../../common/phone';
import { createAppEngine } from '../../main/rescue/create-engine';
import type { Engine } from '../../main/rescue/engine';
import { createInProcessClient } from '../../main/transport/in-process';
import { followPlan, type Mistake } from '../unit/coach/plan-player';

// Slow enough that a timer-driven "person" hits windows of ≥ 100 ms on a busy 2-core machine.
const TIME_FACTOR = 0.1;

let engine: Engine;
let api: LifelineApi;

beforeAll(async () => {
  engine = await createAppEngine({ demo: true, demoTimeFactor: TIME_FACTOR, reconnectGraceMs: 30_000 });
  api = createInProcessClient(engine);
}, 60_000);
afterAll(async () => {
  await engine?.close();
});

async function phoneNamed(name: string, mode?: Phone['mode'], timeoutMs = 15_000): Promise<Phone> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const phone = (await api.invoke('devices.list', {})).find(
      (p) => p.model.name === name && p.connected && !p.identifying && (!mode || p.mode === mode),
    );
    if (phone) return phone;
    if (Date.now() > deadline) throw new Error(`${name} not seen${mode ? ` in ${mode}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts an attempt and plays the plan like a person would (with an optional mistake); resolves with the outcome. */
async function coach(phoneId: string, goal: CoachGoalName, mistake: Mistake = 'none'): Promise<CoachAttempt> {
  const finished = new Promise<CoachAttempt>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no outcome within 30 s')), 30_000);
    const off = api.on('coach.changed', (snapshot) => {
      if (snapshot.phoneId !== phoneId || (snapshot.state !== 'finished' && snapshot.state !== 'cancelled')) return;
      clearTimeout(timer);
      off();
      resolve(snapshot);
    });
  });
  const started = await api.invoke('coach.start', { phoneId, goal });
  expect(started.state).toBe('running');
  const t0 = performance.now() - started.elapsedMs;
  const timers = followPlan(started.plan, mistake).map((action) =>
    setTimeout(
      () => void api.invoke('practice.button', { phoneId, button: action.button, down: action.down }).catch(() => undefined),
      Math.max(0, t0 + action.atMs * started.plan.timeScale - performance.now()),
    ),
  );
  const final = await finished;
  for (const timer of timers) clearTimeout(timer);
  // Let go of everything, whatever the script still held.
  for (const button of ['home', 'power', 'volumeUp', 'volumeDown'] as const)
    await api.invoke('practice.button', { phoneId, button, down: false }).catch(() => undefined);
  return final;
}

describe('coach on virtual phones (real registry, same ECID)', () => {
  it('plans use the practice phone’s time factor and the exact model’s button names', async () => {
    const seven = await phoneNamed('iPhone 7 (GSM)', 'recovery');
    const { plan, hostChecks } = await api.invoke('coach.plan', { phoneId: seven.id, goal: 'dfu-assisted' });
    expect(plan.timeScale).toBe(TIME_FACTOR);
    expect(plan.steps[1]?.text).toMatch(/^Press and hold Side and Volume Down/);
    expect(hostChecks.map((c) => c.id)).toContain('cable');
  });

  it('assisted DFU, iPhone 7, buttons pressed after the restart: recovery → "Close"; after a second miss the checklist comes first', async () => {
    const seven = await phoneNamed('iPhone 7 (GSM)', 'recovery');
    const first = await coach(seven.id, 'dfu-assisted', { lateBothMs: 3_500 });
    expect(first.outcome?.kind).toBe('recovery');
    expect(first.outcome?.headline).toMatch(/^Close/);
    expect(first.notes.join(' ')).toMatch(/Lifeline restarted the phone/);
    await phoneNamed('iPhone 7 (GSM)', 'recovery');
    const second = await coach(seven.id, 'dfu-assisted', { lateBothMs: 3_500 });
    expect(second.outcome?.kind).toBe('recovery');
    expect(second.outcome?.showHostChecks).toBe(true);
    expect((await api.invoke('coach.plan', { phoneId: seven.id, goal: 'dfu-assisted' })).missesInARow).toBe(2);
  }, 60_000);

  it('assisted DFU, iPhone 7, right timing: DFU with the same ECID, stopped early, then a force restart brings it back', async () => {
    const seven = await phoneNamed('iPhone 7 (GSM)', 'recovery');
    const final = await coach(seven.id, 'dfu-assisted');
    expect(final.outcome?.kind).toBe('dfu');
    expect(final.outcome?.detail).toMatch(/black screen is normal in DFU/);
    expect(final.elapsedMs).toBeLessThan(final.plan.totalMs * TIME_FACTOR);
    const inDfu = await phoneNamed('iPhone 7 (GSM)', 'dfu');
    expect(inDfu.id).toBe(seven.id);
    expect((await api.invoke('coach.plan', { phoneId: seven.id, goal: 'dfu-assisted' }).catch(() => null))?.missesInARow ?? 0).toBe(0);
    // Leaving DFU by hand: Volume Down + Side held (docs/protocols/coach.md#getting-out); it comes back in recovery (auto-boot is false).
    await api.invoke('practice.button', { phoneId: seven.id, button: 'volumeDown', down: true });
    await api.invoke('practice.button', { phoneId: seven.id, button: 'power', down: true });
    await phoneNamed('iPhone 7 (GSM)', 'unknown', 100).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 6_000 * TIME_FACTOR + 300));
    await api.invoke('practice.button', { phoneId: seven.id, button: 'power', down: false });
    await api.invoke('practice.button', { phoneId: seven.id, button: 'volumeDown', down: false });
    await phoneNamed('iPhone 7 (GSM)', 'recovery');
  }, 60_000);

  it('exit recovery in one click: setenv auto-boot true, saveenv, reboot — the iPhone 7 starts normally', async () => {
    const seven = await phoneNamed('iPhone 7 (GSM)', 'recovery');
    const { job } = await api.invoke('recovery.exit', { phoneId: seven.id });
    const summary = await jobOutcome(job);
    expect(summary.state).toBe('succeeded');
    expect((await phoneNamed('iPhone 7 (GSM)', 'normal')).id).toBe(seven.id);
  }, 60_000);

  it('recovery by buttons on the iPhone 12 (tap, tap, hold Side) stops the moment recovery shows', async () => {
    const twelve = await phoneNamed('iPhone 12', 'normal');
    const final = await coach(twelve.id, 'recovery');
    expect(final.outcome?.kind).toBe('recovery');
    expect(final.outcome?.success).toBe(true);
    expect(final.elapsedMs).toBeLessThan(final.plan.totalMs * TIME_FACTOR);
  }, 60_000);

  it('manual DFU on the iPhone 12 letting go of everything at the single-button step: Apple logo advice', async () => {
    const twelve = await phoneNamed('iPhone 12', 'recovery');
    // It is in recovery with auto-boot false; leave it first so a missed DFU can boot iOS.
    expect((await jobOutcome((await api.invoke('recovery.exit', { phoneId: twelve.id })).job)).state).toBe('succeeded');
    await phoneNamed('iPhone 12', 'normal');
    const final = await coach(twelve.id, 'dfu-manual', 'release-all-at-single');
    expect(final.outcome?.kind).toBe('normal');
    expect(final.outcome?.headline).toBe('Apple logo: the moment was missed.');
    expect(final.outcome?.nextSteps.join(' ')).toMatch(/Add Volume Down as soon as the screen goes black/);
  }, 60_000);

  it('recovery by software for the trusted iPhone 5s (lockdown EnterRecovery), then manual DFU from recovery', async () => {
    const fiveS = await phoneNamed('iPhone 5s (GSM)', 'normal');
    const entered = await jobOutcome((await api.invoke('recovery.enter', { phoneId: fiveS.id })).job);
    expect(entered.state).toBe('succeeded');
    expect((await phoneNamed('iPhone 5s (GSM)', 'recovery')).id).toBe(fiveS.id);
    const final = await coach(fiveS.id, 'dfu-manual');
    expect(final.outcome?.kind).toBe('dfu');
  }, 60_000);

  it('refuses to coach a phone it cannot see, and the assisted path for a phone not in recovery, in plain words', async () => {
    const twelve = await phoneNamed('iPhone 12', 'normal');
    const refusal = (await api
      .invoke('coach.start', { phoneId: '00000000DEADBEEF', goal: 'recovery' })
      .catch((error: unknown) => error)) as { problem: { code: string; detail: string } };
    expect(refusal.problem.code).toBe('phone-not-connected');
    // The phones it lists are named by their masked ids only.
    expect(refusal.problem.detail).toContain(`iPhone 12 […${twelve.id.slice(-6)}]`);
    expect(refusal.problem.detail).not.toContain(twelve.id);
    await expect(api.invoke('coach.start', { phoneId: twelve.id, goal: 'dfu-assisted' })).rejects.toMatchObject({
      problem: { code: 'needs-recovery' },
    });
  }, 30_000);
});

async function jobOutcome(job: string, timeoutMs = 20_000): Promise<{ state: string; problem: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const summary = (await api.invoke('jobs.list', {})).find((j) => j.job === job);
    if (summary && summary.state !== 'running') return summary;
    if (Date.now() > deadline) throw new Error(`job ${job} still running`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
