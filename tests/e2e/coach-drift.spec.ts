import { WebSocket } from 'ws';
import type { CoachPlan } from '../../common/coach-plans';
import { positionAt, planDurationMs } from '../../common/coach-timeline';
import { expect, startBridgeProcess, test, type RunningBridge, openPhoneTools } from './web-bridge-fixture';

// Real time (time factor 1): the countdown a person sees over 20 s must not drift from the plan by 50 ms or more.
let bridge: RunningBridge;
test.beforeAll(async () => {
  bridge = await startBridgeProcess(['--demo', '--time-factor', '1']);
});
test.afterAll(() => {
  bridge.process.kill('SIGTERM');
});

type Tick = { t: number; step: string; seconds: string };

/** Every (step, seconds) the plan shows, with the moment it starts, computed from the plan itself. */
function expectedChanges(plan: CoachPlan): Array<{ at: number; key: string }> {
  const changes: Array<{ at: number; key: string }> = [];
  let last = '';
  for (let at = 0; at < planDurationMs(plan); at += 1) {
    const position = positionAt(plan, at);
    const key = `${position.step?.id}|${position.secondsLeft}`;
    if (key !== last) changes.push({ at, key });
    last = key;
  }
  return changes;
}

async function currentPlan(): Promise<CoachPlan> {
  const ws = new WebSocket(
    `ws://127.0.0.1:${bridge.origin.split(':').at(-1)}/bridge?token=${new URL(bridge.url).hash.split('token=')[1]}`,
    { origin: bridge.origin },
  );
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'invoke', id: 1, command: 'coach.attempts', request: {} }));
  const reply = await new Promise<{ envelope: { ok: boolean; value: Array<{ plan: CoachPlan; state: string }> } }>((resolve) =>
    ws.once('message', (data) => resolve(JSON.parse(String(data)))),
  );
  ws.close();
  const attempts = reply.envelope.value;
  return attempts.at(-1)!.plan;
}

test('the countdown stays within 50 ms of the plan over 20 s of real time', async ({ page }) => {
  test.setTimeout(90_000);
  await page.addInitScript(() => {
    const ticks: Tick[] = [];
    (window as unknown as { __ticks: Tick[] }).__ticks = ticks;
    let last = '';
    const record = (): void => {
      const box = document.querySelector('.coach-countdown');
      const seconds = document.querySelector('[data-testid="coach-seconds"]')?.textContent ?? '';
      const step = box?.getAttribute('data-step') ?? '';
      const key = `${step}|${seconds}`;
      if (box && key !== last) ticks.push({ t: performance.now(), step, seconds });
      last = key;
    };
    new MutationObserver(record).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await openPhoneTools(page, bridge.url);
  await page.getByRole('article', { name: 'iPhone 12' }).getByRole('button', { name: 'Get into recovery / DFU mode' }).click();
  await page.getByRole('radio', { name: /^Recovery mode/ }).check();
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.waitForTimeout(21_000);
  const ticks = await page.evaluate(() => (window as unknown as { __ticks: Tick[] }).__ticks);
  const plan = await currentPlan();
  const expected = expectedChanges(plan);

  // Pair each observed change with the plan's change to the same (step, seconds) and compare offsets from the first.
  const pairs = ticks
    .map((tick) => ({ tick, plan: expected.find((e) => e.key === `${tick.step}|${tick.seconds}`) }))
    .filter((p): p is { tick: Tick; plan: { at: number; key: string } } => p.plan !== undefined);
  expect(pairs.length).toBeGreaterThanOrEqual(20);
  const first = pairs[0]!;
  const errors = pairs.map((p) => p.tick.t - first.tick.t - (p.plan.at - first.plan.at));
  const span = pairs.at(-1)!.tick.t - first.tick.t;
  expect(span).toBeGreaterThanOrEqual(19_000);
  // Drift: where the countdown stands at the end against where it stood at the start (medians absorb frame jitter).
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const drift = Math.abs(median(errors.slice(-5)) - median(errors.slice(0, 5)));
  console.log(
    `[coach drift] ${pairs.length} changes over ${(span / 1000).toFixed(1)} s: drift ${drift.toFixed(1)} ms, worst single change ${Math.max(...errors.map(Math.abs)).toFixed(1)} ms`,
  );
  expect(drift).toBeLessThan(50);
});
