import { describe, expect, it } from 'vitest';
import { ProblemError, type EngineStatus, type JobSummary } from '../../../common/api';
import { EngineSupervisor, type EngineSupervisorOptions } from '../../../main/transport/engine-supervisor';
import { JOB_INTERRUPTED_CODE } from '../../../main/transport/interrupted-job';
import { testPort, type TestPort } from './port-pair';

const running = (job: string, kind = 'backup'): JobSummary => ({
  job,
  kind,
  title: 'Back up Practice iPhone 5s',
  phoneId: 'ph-1',
  state: 'running',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: null,
  progress: null,
  problem: null,
});

/**
 * A supervisor whose engine processes the test plays: each spawn is a port; killing one ends it, and so does
 * asking it to shut down (unless the test gives a close timeout: then it plays an engine that hangs).
 */
function rig(options: Partial<EngineSupervisorOptions> = {}) {
  const ports: TestPort[] = [];
  const spawned: Array<(port: TestPort) => void> = [];
  const supervisor = new EngineSupervisor({
    spawn: () => {
      const port = testPort(
        (killed) => killed.end('The engine process stopped (signal SIGKILL).'),
        (message, self) => {
          if (message.type === 'shutdown' && !options.closeTimeoutMs) self.end('The engine process stopped (exit code 0).');
        },
      );
      ports.push(port);
      spawned.shift()?.(port);
      return port;
    },
    restartDelayMs: () => 0,
    ...options,
  });
  /** The next engine process to start (or the one already started and not yet taken). */
  let taken = 0;
  const nextEngine = (): Promise<TestPort> =>
    new Promise((resolve) => {
      const port = ports[taken];
      if (port) {
        taken++;
        resolve(port);
      } else {
        spawned.push((p) => {
          taken++;
          resolve(p);
        });
      }
    });
  const statuses: EngineStatus[] = [];
  supervisor.on('engine.status', (status) => statuses.push(status));
  const ready = (port: TestPort): void => port.deliver(JSON.stringify({ type: 'ready' }));
  const reply = (port: TestPort, message: unknown): void => port.deliver(JSON.stringify(message));
  return { supervisor, nextEngine, statuses, ready, reply, ports };
}

function nextStatus(supervisor: EngineSupervisor, state: EngineStatus['state']): Promise<EngineStatus> {
  return new Promise((resolve) => {
    const off = supervisor.on('engine.status', (status) => {
      if (status.state !== state) return;
      off();
      resolve(status);
    });
  });
}

describe('engine supervisor (the app’s side of the engine process)', () => {
  it('holds calls until the engine is ready, then answers them with values checked against the contract', async () => {
    const { supervisor, nextEngine, ready, reply } = rig();
    const started = supervisor.start();
    const answer = supervisor.invoke('app.info', {});
    const engine = await nextEngine();
    expect(engine.sent()).toEqual([]);
    ready(engine);
    await started;
    const invoke = await engine.next((message) => message.type === 'invoke');
    expect(invoke).toMatchObject({ command: 'app.info', request: {} });
    reply(engine, {
      type: 'result',
      id: invoke.id,
      envelope: { ok: true, value: { name: 'Lifeline', version: '1', platform: 'linux', transport: 'electron', demo: true } },
    });
    expect(await answer).toMatchObject({ demo: true });

    const lying = supervisor.invoke('app.info', {});
    const second = await engine.next((message) => message.type === 'invoke');
    reply(engine, { type: 'result', id: second.id, envelope: { ok: true, value: { name: 42 } } });
    await expect(lying).rejects.toMatchObject({ problem: { code: 'engine-answer-invalid' } });

    const refused = supervisor.invoke('devices.list', {});
    const third = await engine.next((message) => message.type === 'invoke');
    reply(engine, {
      type: 'result',
      id: third.id,
      envelope: { ok: false, problem: { code: 'bad-request', title: 'No', detail: '', nextSteps: [] } },
    });
    await expect(refused).rejects.toBeInstanceOf(ProblemError);
    await supervisor.close();
    expect(engine.closed).toBe(false);
  });

  it('refuses before sending what the engine would refuse: unknown commands, arguments that cannot cross', async () => {
    const { supervisor, nextEngine, ready } = rig();
    void supervisor.start();
    const engine = await nextEngine();
    ready(engine);
    await nextStatus(supervisor, 'running');
    await expect(supervisor.invoke('no.such' as 'app.info', {})).rejects.toMatchObject({
      problem: { code: 'unknown-command', title: 'Unknown command' },
    });
    await expect(supervisor.invoke('backup.list', { directory: 1n } as never)).rejects.toMatchObject({ problem: { code: 'bad-request' } });
    expect(engine.sent().filter((message) => message.type === 'invoke')).toEqual([]);
    await supervisor.close();
  });

  it('relays subscribed events that match the contract, and drops the rest', async () => {
    const { supervisor, nextEngine, ready, reply } = rig();
    void supervisor.start();
    const engine = await nextEngine();
    const seen: unknown[] = [];
    supervisor.on('devices.changed', (phones) => seen.push(phones));
    ready(engine);
    expect(await engine.next((message) => message.type === 'subscribe' && message.event === 'devices.changed')).toBeTruthy();
    reply(engine, { type: 'event', event: 'devices.changed', payload: [{ not: 'a phone' }] });
    reply(engine, { type: 'event', event: 'engine.status', payload: { state: 'stopped', reason: 'forged' } });
    reply(engine, { type: 'event', event: 'devices.changed', payload: [] });
    const delivered = new Promise((resolve) => supervisor.on('devices.changed', resolve));
    await delivered;
    expect(seen).toEqual([[]]);
    expect(supervisor.status().state).toBe('running');
    await supervisor.close();
  });

  it('kills an engine that breaks the protocol and starts a fresh one', async () => {
    const { supervisor, nextEngine, ready, statuses } = rig();
    void supervisor.start();
    const first = await nextEngine();
    ready(first);
    await nextStatus(supervisor, 'running');
    const restarted = nextEngine();
    first.deliver('{"type":"result","id":"x"}');
    const second = await restarted;
    expect(first.closed).toBe(true);
    ready(second);
    await nextStatus(supervisor, 'running');
    expect(statuses.map((status) => status.state)).toEqual(['running', 'restarting', 'running']);
    await supervisor.close();
  });

  it('when the engine dies: calls in flight fail, running jobs end interrupted with next steps (and stay in jobs.list), the engine restarts and is subscribed again', async () => {
    const { supervisor, nextEngine, ready, reply } = rig();
    void supervisor.start();
    const first = await nextEngine();
    const jobs: JobSummary[] = [];
    supervisor.on('jobs.changed', (summary) => jobs.push(summary));
    supervisor.on('progress', () => undefined);
    ready(first);
    await first.next((message) => message.type === 'subscribe' && message.event === 'jobs.changed');
    reply(first, { type: 'event', event: 'jobs.changed', payload: running('backup-1') });
    reply(first, { type: 'event', event: 'jobs.changed', payload: running('download-1', 'firmware.get') });
    reply(first, {
      type: 'event',
      event: 'jobs.changed',
      payload: { ...running('done-1'), state: 'succeeded', finishedAt: '2026-01-01T00:00:01.000Z' },
    });
    const inFlight = supervisor.invoke('devices.list', {});
    await first.next((message) => message.type === 'invoke');
    const restarting = nextStatus(supervisor, 'restarting');
    first.end('The engine process stopped (signal SIGKILL).');
    await expect(inFlight).rejects.toMatchObject({ problem: { code: 'engine-stopped' } });
    expect((await restarting).reason).toMatch(/SIGKILL/);

    const interrupted = jobs.filter((summary) => summary.state === 'interrupted');
    expect(interrupted.map((summary) => summary.job)).toEqual(['backup-1', 'download-1']);
    expect(interrupted[0]!.problem).toMatchObject({
      code: JOB_INTERRUPTED_CODE,
      nextSteps: expect.arrayContaining([expect.stringMatching(/previous backup is unchanged/)]),
    });
    expect(interrupted[1]!.problem!.nextSteps.join(' ')).toMatch(/download carries on/);

    const second = await nextEngine();
    ready(second);
    await nextStatus(supervisor, 'running');
    const subscribed = second
      .sent()
      .filter((message) => message.type === 'subscribe')
      .map((message) => message.event);
    expect(subscribed.sort()).toEqual(['jobs.changed', 'progress']);

    const list = supervisor.invoke('jobs.list', {});
    const ask = await second.next((message) => message.type === 'invoke');
    reply(second, { type: 'result', id: ask.id, envelope: { ok: true, value: [] } });
    expect((await list).map((summary) => [summary.job, summary.state])).toEqual([
      ['backup-1', 'interrupted'],
      ['download-1', 'interrupted'],
    ]);
    await supervisor.close();
  });

  it('gives up after too many restarts in a row: engine.status says stopped and calls fail with what to do', async () => {
    const { supervisor, nextEngine, statuses } = rig({ maxRestarts: 2 });
    const started = supervisor.start();
    for (let attempt = 0; attempt < 3; attempt++) {
      const engine = await nextEngine();
      engine.deliver(
        JSON.stringify({
          type: 'fatal',
          problem: { code: 'usbip-address', title: 'That USB/IP address is not usable', detail: 'nope', nextSteps: [] },
        }),
      );
      engine.end('The engine process stopped (exit code 1).');
    }
    await expect(started).rejects.toMatchObject({ problem: { code: 'engine-unavailable' } });
    expect(statuses.map((status) => status.state)).toEqual(['restarting', 'restarting', 'stopped']);
    expect(statuses.at(-1)!.reason).toContain('That USB/IP address is not usable');
    await expect(supervisor.invoke('app.info', {})).rejects.toMatchObject({
      problem: { code: 'engine-unavailable', nextSteps: expect.arrayContaining(['Quit Lifeline and open it again.']) },
    });
  });

  it('closes by asking the engine to shut down, kills it if it does not, and never restarts it', async () => {
    const { supervisor, nextEngine, ready, ports } = rig({ closeTimeoutMs: 1 });
    void supervisor.start();
    const engine = await nextEngine();
    ready(engine);
    await nextStatus(supervisor, 'running');
    await supervisor.close();
    expect(engine.sent().some((message) => message.type === 'shutdown')).toBe(true);
    expect(engine.closed).toBe(true);
    expect(ports).toHaveLength(1);
    await expect(supervisor.invoke('app.info', {})).rejects.toMatchObject({ problem: { code: 'engine-closed' } });
  });
});
