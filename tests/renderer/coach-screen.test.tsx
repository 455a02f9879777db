import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { CoachAttempt, LifelineApi } from '../../common/api';
import { planFor } from '../../common/coach-plans';
import { findModelByProductType } from '../../common/device-table';
import type { Phone } from '../../common/phone';
import { App } from '../../renderer/app';
import { CoachClockContext } from '../../renderer/components/coach-countdown';
import { loadSoundPrefs } from '../../renderer/components/coach-sound';
import { CoachScreen } from '../../renderer/screens/coach-screen';
import { createLifelineStore } from '../../renderer/store/lifeline-store';
import { LifelineApiContext, LifelineStoreContext } from '../../renderer/store/use-lifeline';

const model = findModelByProductType('iPhone9,3')!;

function phone(id: string, mode: Phone['mode'], name = 'iPhone 7 (GSM)'): Phone {
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

/** A fake engine: answers coach.plan / coach.start and lets the test push coach.changed events. */
function fakeApi() {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const calls: Array<[string, unknown]> = [];
  const plan = planFor(model, 'dfu-assisted');
  const started: CoachAttempt = {
    attempt: 'a1',
    job: 'j1',
    phoneId: 'AAAA000000000001',
    plan,
    state: 'running',
    elapsedMs: 0,
    phone: { connected: true, mode: 'recovery' },
    outcome: null,
    notes: [],
    missesBefore: 0,
  };
  const api: LifelineApi = {
    invoke: (async (command: string, request: unknown) => {
      calls.push([command, request]);
      if (command === 'coach.plan')
        return {
          plan,
          hostChecks: [{ id: 'cable', title: 'Use a USB-A to Lightning cable', detail: 'Apple USB-C-to-Lightning cables…' }],
          missesInARow: 0,
        };
      if (command === 'coach.start') return started;
      if (command === 'recovery.exit') return { job: 'exit-1' };
      throw new Error(`unexpected ${command}`);
    }) as LifelineApi['invoke'],
    on: ((event: string, listener: (payload: unknown) => void) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    }) as LifelineApi['on'],
  };
  const emit = (event: string, payload: unknown): void => {
    for (const l of listeners.get(event) ?? []) l(payload);
  };
  return { api, calls, emit, started, plan };
}

const wait = (ms: number) => act(() => new Promise<void>((resolve) => setTimeout(resolve, ms)));

describe('Coach screen', () => {
  it('asks which phone when two are connected, and coaches only the one chosen', async () => {
    const store = createLifelineStore();
    const { api } = fakeApi();
    store.setState({
      engine: 'connected',
      phones: [phone('AAAA000000000001', 'recovery'), phone('BBBB000000000002', 'normal', 'iPhone 12')],
      route: { screen: 'coach', phoneId: null },
    });
    render(<App store={store} api={api} />);
    expect(screen.getByRole('heading', { level: 1, name: 'Which phone?' })).toBeInTheDocument();
    // Each phone is told apart by its masked id, never its whole ECID.
    expect(screen.getByRole('button', { name: /iPhone 12/ })).toHaveTextContent('(ID …000002)');
    expect(document.body.textContent).not.toContain('BBBB000000000002');
    fireEvent.click(screen.getByRole('button', { name: /iPhone 12/ }));
    expect(store.getState().route).toEqual({ screen: 'coach', phoneId: 'BBBB000000000002', intent: 'enter' });
    await wait(0);
    expect(screen.getByRole('heading', { level: 1, name: 'iPhone 12: recovery and DFU mode' })).toBeInTheDocument();
  });

  it('shows the plan first, then counts down from the start time with big numerals, the drawing and one announcement per step', async () => {
    let now = 10_000;
    const store = createLifelineStore();
    const { api, emit, started } = fakeApi();
    store.setState({ engine: 'connected', phones: [phone('AAAA000000000001', 'recovery')] });
    render(
      <LifelineApiContext.Provider value={api}>
        <LifelineStoreContext.Provider value={store}>
          <CoachClockContext.Provider value={() => now}>
            <CoachScreen phoneId="AAAA000000000001" intent="enter" />
          </CoachClockContext.Provider>
        </LifelineStoreContext.Provider>
      </LifelineApiContext.Provider>,
    );
    await wait(0);
    expect(screen.getByRole('heading', { name: 'Read this first, then press Start' })).toBeInTheDocument();
    expect(screen.getByText(/Press and hold Side and Volume Down\. Lifeline restarts the phone\./)).toBeInTheDocument();
    expect(screen.getByText('Before you start')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    await wait(0);
    expect(screen.getByRole('heading', { level: 2, name: /^Get ready/ })).toBeInTheDocument();
    expect(screen.getByTestId('coach-seconds')).toHaveTextContent('5');
    const status = screen.getByRole('status');
    expect(status).toHaveTextContent(/^Get ready/);

    now += 5_500;
    await wait(150);
    expect(screen.getByRole('heading', { level: 2, name: /^Press and hold Side and Volume Down/ })).toBeInTheDocument();
    expect(screen.getByTestId('coach-seconds')).toHaveTextContent('4');
    expect(screen.getByRole('img', { name: 'iPhone 7 (GSM): hold Side and Volume Down' })).toBeInTheDocument();
    expect(status).toHaveTextContent('Press and hold Side and Volume Down. Lifeline restarts the phone.');
    // Within a step the announcement does not change every second.
    now += 1_000;
    await wait(150);
    expect(screen.getByTestId('coach-seconds')).toHaveTextContent('3');
    expect(status).toHaveTextContent('Press and hold Side and Volume Down. Lifeline restarts the phone.');

    act(() =>
      emit('coach.changed', {
        ...started,
        state: 'finished',
        elapsedMs: 12_000,
        outcome: {
          kind: 'dfu',
          success: true,
          letGo: true,
          headline: 'Got it — let go. The phone is in DFU mode.',
          detail: 'A black screen is normal in DFU.',
          nextSteps: [],
          showHostChecks: false,
        },
      }),
    );
    expect(screen.getByRole('heading', { name: 'Got it — let go. The phone is in DFU mode.' })).toBeInTheDocument();
    expect(status).toHaveTextContent('Got it — let go. The phone is in DFU mode.');
  });

  it('keeps counting from the start time when the window loses focus, and says so', async () => {
    let now = 50_000;
    const store = createLifelineStore();
    const { api } = fakeApi();
    store.setState({ engine: 'connected', phones: [phone('AAAA000000000001', 'recovery')] });
    render(
      <LifelineApiContext.Provider value={api}>
        <LifelineStoreContext.Provider value={store}>
          <CoachClockContext.Provider value={() => now}>
            <CoachScreen phoneId="AAAA000000000001" intent="enter" />
          </CoachClockContext.Provider>
        </LifelineStoreContext.Provider>
      </LifelineApiContext.Provider>,
    );
    await wait(0);
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    await wait(0);
    act(() => {
      window.dispatchEvent(new Event('blur'));
    });
    expect(screen.getByRole('note')).toHaveTextContent('The countdown keeps time');
    // Time passes while the window is in the background; the position comes from the clock, not from ticks.
    now += 6_500;
    await wait(150);
    expect(screen.getByRole('heading', { level: 2, name: /^Press and hold Side and Volume Down/ })).toBeInTheDocument();
    expect(screen.getByTestId('coach-seconds')).toHaveTextContent('3');
    act(() => {
      window.dispatchEvent(new Event('focus'));
    });
    expect(screen.queryByRole('note')).not.toBeInTheDocument();
  });

  it('remembers the mute switch', async () => {
    localStorage.clear();
    const store = createLifelineStore();
    const { api } = fakeApi();
    store.setState({
      engine: 'connected',
      phones: [phone('AAAA000000000001', 'recovery')],
      route: { screen: 'coach', phoneId: 'AAAA000000000001' },
    });
    render(<App store={store} api={api} />);
    const beep = screen.getByRole('checkbox', { name: 'Beep at each step' });
    expect(beep).toBeChecked();
    fireEvent.click(beep);
    expect(loadSoundPrefs().sound).toBe(false);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Speak each step' }));
    expect(loadSoundPrefs()).toEqual({ sound: false, voice: true });
  });

  it('exit recovery is one click from the card', async () => {
    const store = createLifelineStore();
    const { api, calls } = fakeApi();
    store.setState({ engine: 'connected', phones: [phone('AAAA000000000001', 'recovery')], route: { screen: 'connect' } });
    render(<App store={store} api={api} />);
    const card = screen.getByRole('article', { name: 'iPhone 7 (GSM)' });
    fireEvent.click(within(card).getByRole('button', { name: 'Exit recovery mode' }));
    await wait(0);
    expect(calls).toContainEqual(['recovery.exit', { phoneId: 'AAAA000000000001' }]);
    act(() =>
      store.setState({
        jobs: {
          'exit-1': {
            job: 'exit-1',
            kind: 'recovery.exit',
            title: '',
            phoneId: 'AAAA000000000001',
            state: 'succeeded',
            startedAt: '',
            finishedAt: '',
            progress: null,
            problem: null,
          },
        },
      }),
    );
    expect(screen.getByRole('status')).toHaveTextContent('Done: the phone is starting normally.');
  });

  it('a phone in normal mode gets "Get into recovery / DFU mode" on its card', () => {
    const store = createLifelineStore();
    store.setState({ engine: 'connected', phones: [phone('BBBB000000000002', 'normal', 'iPhone 12')], route: { screen: 'connect' } });
    render(<App store={store} api={fakeApi().api} />);
    fireEvent.click(screen.getByRole('button', { name: 'Get into recovery / DFU mode' }));
    expect(store.getState().route).toEqual({ screen: 'coach', phoneId: 'BBBB000000000002', intent: 'enter' });
  });
});

vi.stubGlobal('AudioContext', undefined);
