import { act, render, screen, within } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CommandName, JobSummary, LifelineApi, Progress } from '../../common/api';
import { planFor } from '../../common/coach-plans';
import { findModelByProductType } from '../../common/device-table';
import type { Phone } from '../../common/phone';
import type * as FirmwareCardModule from '../../renderer/components/firmware-card-action';
import type * as ShortcutResultModule from '../../renderer/screens/coach/coach-shortcut-result';
import { ConnectScreen } from '../../renderer/screens/connect-screen';
import { CoachScreen } from '../../renderer/screens/coach-screen';
import { createLifelineStore, startLifelineFeed } from '../../renderer/store/lifeline-store';
import { LifelineApiContext, LifelineStoreContext } from '../../renderer/store/use-lifeline';

// Render counters around the components that show job progress (the real component runs inside the wrapper).
const renders = vi.hoisted(() => ({ shortcutResult: 0, firmwareCard: new Map<string, number>() }));
vi.mock('../../renderer/screens/coach/coach-shortcut-result', async (importOriginal) => {
  const real = await importOriginal<typeof ShortcutResultModule>();
  return {
    ...real,
    CoachShortcutResult: (props: Parameters<typeof real.CoachShortcutResult>[0]) => {
      renders.shortcutResult += 1;
      return real.CoachShortcutResult(props);
    },
  };
});
vi.mock('../../renderer/components/firmware-card-action', async (importOriginal) => {
  const real = await importOriginal<typeof FirmwareCardModule>();
  return {
    ...real,
    FirmwareCardAction: (props: Parameters<typeof real.FirmwareCardAction>[0]) => {
      renders.firmwareCard.set(props.phone.id, (renders.firmwareCard.get(props.phone.id) ?? 0) + 1);
      return real.FirmwareCardAction(props);
    },
  };
});

const model = findModelByProductType('iPhone9,3')!;

function phone(id: string, mode: Phone['mode'], name: string): Phone {
  return {
    id,
    mode,
    model: {
      name,
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
    connected: true,
    identifying: false,
    trusted: null,
    passcodeSet: null,
    triage: { canBackUp: false, headline: 'A backup is not possible in recovery mode', reason: '', nextSteps: [] },
  };
}

function running(job: string, kind: string, phoneId: string): JobSummary {
  return {
    job,
    kind,
    title: kind,
    phoneId,
    state: 'running',
    startedAt: '2024-01-01T00:00:00.000Z',
    finishedAt: null,
    progress: null,
    problem: null,
  };
}

function progress(job: string, fraction: number, message: string): Progress {
  return { job, phase: 'working', fraction, message };
}

/** An engine that answers the feed's snapshot and the screens' questions, and lets the test push events. */
function fakeEngine(phones: Phone[], jobs: JobSummary[]) {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const answers: Partial<Record<CommandName, (request: { phoneId?: string }) => unknown>> = {
    'app.info': () => ({ name: 'Lifeline', version: '0.0.0', platform: 'linux', transport: 'web-bridge', demo: false }),
    'devices.list': () => phones,
    'host.status': () => ({ usb: { state: 'ready' }, usbmux: { state: 'connected' } }),
    'jobs.list': () => jobs,
    'coach.plan': () => ({ plan: planFor(model, 'dfu-assisted'), hostChecks: [], missesInARow: 0 }),
    'recovery.exit': () => ({ job: 'exit-1' }),
    'backup.list': () => ({ locations: [], defaultDirectory: '/tmp', backups: [] }),
    'firmware.status': (request) => ({ phoneId: request.phoneId, state: 'preparing', firmware: null, job: null }),
  };
  const api: LifelineApi = {
    invoke: (async (command: CommandName, request: { phoneId?: string }) => {
      const answer = answers[command];
      if (!answer) throw new Error(`unexpected ${command}`);
      return answer(request);
    }) as LifelineApi['invoke'],
    on: ((event: string, listener: (payload: unknown) => void) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    }) as LifelineApi['on'],
  };
  const emit = (event: string, payload: unknown): void =>
    act(() => {
      for (const listener of listeners.get(event) ?? []) listener(payload);
    });
  return { api, emit };
}

function renderCounted(api: LifelineApi, node: React.ReactNode) {
  const store = createLifelineStore();
  const feed = startLifelineFeed(api, store);
  const commits = { count: 0 };
  const view = render(
    <LifelineApiContext.Provider value={api}>
      <LifelineStoreContext.Provider value={store}>
        <Profiler id="screen" onRender={() => (commits.count += 1)}>
          {node}
        </Profiler>
      </LifelineStoreContext.Provider>
    </LifelineApiContext.Provider>,
  );
  return { store, feed, commits, view };
}

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

describe('A progress event re-renders only what shows it', () => {
  it('coach screen: the shortcut job’s progress re-renders its result and the status line, never the screen', async () => {
    const screenRenders = { count: 0 };
    // The screen's own body, counted: its hooks (and store subscriptions) belong to this wrapper.
    const CountedCoachScreen = (props: Parameters<typeof CoachScreen>[0]) => {
      screenRenders.count += 1;
      return CoachScreen(props);
    };
    const other = running('backup-9', 'backup', 'BBBB000000000002');
    const { api, emit } = fakeEngine(
      [phone('AAAA000000000001', 'recovery', 'iPhone 7 (GSM)'), phone('BBBB000000000002', 'normal', 'iPhone 12')],
      [other],
    );
    const { feed, commits } = renderCounted(api, <CountedCoachScreen phoneId="AAAA000000000001" intent="exit" />);
    stops.push(feed.stop);

    // "Exit recovery mode" starts at once; the engine says its job is running.
    await screen.findByRole('heading', { name: 'Read this first, then press Start' });
    emit('jobs.changed', running('exit-1', 'recovery.exit', 'AAAA000000000001'));
    const result = await screen.findByRole('region', { name: 'Exit recovery mode' });
    expect(screen.getByRole('button', { name: 'Exit recovery mode' })).toBeDisabled();

    const before = { screen: screenRenders.count, result: renders.shortcutResult, commits: commits.count };
    emit('progress', progress('exit-1', 0.5, 'Asking the phone to restart normally…'));
    expect(within(result).getByText('Asking the phone to restart normally…')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Asking the phone to restart normally…');
    expect(renders.shortcutResult).toBe(before.result + 1);
    expect(commits.count).toBe(before.commits + 1);
    expect(screenRenders.count).toBe(before.screen);

    // Another phone's backup job: nothing on the coach screen shows it, so nothing renders.
    emit('progress', progress('backup-9', 0.3, 'Backing up: 30%'));
    emit('progress', progress('backup-9', 0.4, 'Backing up: 40%'));
    expect(commits.count).toBe(before.commits + 1);
    expect(screenRenders.count).toBe(before.screen);

    // The job ending changes its state, which the screen does show (the button comes back).
    emit('jobs.changed', {
      ...running('exit-1', 'recovery.exit', 'AAAA000000000001'),
      state: 'succeeded',
      finishedAt: '2024-01-01T00:00:01.000Z',
    });
    expect(screen.getByRole('status')).toHaveTextContent('Done: the phone is starting normally.');
    expect(screenRenders.count).toBeGreaterThan(before.screen);
  });

  it('connect screen: a firmware download’s progress re-renders that phone’s firmware line only', async () => {
    const screenRenders = { count: 0 };
    const CountedConnectScreen = () => {
      screenRenders.count += 1;
      return ConnectScreen();
    };
    const a = phone('AAAA000000000001', 'normal', 'iPhone 7 (GSM)');
    const b = phone('BBBB000000000002', 'normal', 'iPhone 7 Plus');
    const { api, emit } = fakeEngine([a, b], [running('fw-1', 'firmware.download', a.id)]);
    const { feed } = renderCounted(api, <CountedConnectScreen />);
    stops.push(feed.stop);
    const cardA = await screen.findByRole('article', { name: 'iPhone 7 (GSM)' });
    await screen.findByRole('article', { name: 'iPhone 7 Plus' });
    expect(within(cardA).getByTestId('firmware-state')).toHaveTextContent('Getting iOS ready…');

    const before = { screen: screenRenders.count, a: renders.firmwareCard.get(a.id) ?? 0, b: renders.firmwareCard.get(b.id) ?? 0 };
    emit('progress', { ...progress('fw-1', 0.25, 'Downloading iOS 15.8'), bytesPerSecond: 12e6 });
    expect(within(cardA).getByTestId('firmware-state')).toHaveTextContent('Downloading iOS 15.8 25% · 12.0 MB/s');
    expect(renders.firmwareCard.get(a.id)).toBe(before.a + 1);
    expect(renders.firmwareCard.get(b.id)).toBe(before.b);
    expect(screenRenders.count).toBe(before.screen);
  });
});
