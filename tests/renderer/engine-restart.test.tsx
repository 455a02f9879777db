import { act, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { EngineStatus, JobSummary, LifelineApi } from '../../common/api';
import { App } from '../../renderer/app';
import { createLifelineStore, startLifelineFeed } from '../../renderer/store/lifeline-store';

const interrupted: JobSummary = {
  job: 'job-1',
  kind: 'backup',
  title: 'Back up Ann’s iPhone',
  phoneId: 'AAAA000000000001',
  state: 'interrupted',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:05.000Z',
  progress: null,
  problem: {
    code: 'job-interrupted',
    title: 'Back up Ann’s iPhone — interrupted',
    detail: 'Lifeline’s engine stopped while this was running and has been restarted.',
    nextSteps: [
      'Your previous backup is unchanged: an unfinished backup never replaces it.',
      'Check that the phone is still connected, then start the backup again.',
    ],
  },
};

/** The contract as the desktop app's supervisor offers it: engine.status comes from the test. */
function supervisedApi() {
  const listeners = new Map<string, Array<(payload: unknown) => void>>();
  const invoked: string[] = [];
  let jobs: JobSummary[] = [];
  const api: LifelineApi = {
    invoke: (async (command: string) => {
      invoked.push(command);
      if (command === 'app.info') return { name: 'Lifeline', version: '1', platform: 'linux', transport: 'electron', demo: false };
      if (command === 'devices.list') return [];
      if (command === 'host.status') return { usb: { state: 'ready' }, usbmux: { state: 'connected' } };
      if (command === 'jobs.list') return jobs;
      if (command === 'backup.list') return { locations: [], defaultDirectory: '/tmp', backups: [] };
      throw new Error(`unexpected ${command}`);
    }) as LifelineApi['invoke'],
    on: ((event: string, listener: (payload: unknown) => void) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return () => undefined;
    }) as LifelineApi['on'],
  };
  const emit = (event: string, payload: unknown): void => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  };
  return { api, emit, invoked, setJobs: (list: JobSummary[]) => (jobs = list) };
}

describe('when the engine process restarts', () => {
  it('shows a calm banner while it restarts, then takes a fresh snapshot (interrupted jobs included) and clears it', async () => {
    const { api, emit, invoked, setJobs } = supervisedApi();
    const store = createLifelineStore();
    startLifelineFeed(api, store);
    render(<App store={store} api={api} />);
    await act(async () => undefined);
    expect(screen.queryByRole('complementary', { name: /restarting/ })).not.toBeInTheDocument();

    const restarting: EngineStatus = { state: 'restarting', reason: 'The engine process stopped (signal SIGKILL).' };
    act(() => emit('engine.status', restarting));
    const banner = screen.getByRole('complementary', { name: 'Lifeline is restarting the part that talks to phones' });
    expect(banner).toHaveTextContent('each task says what to do next');
    expect(banner.parentElement).toHaveAttribute('aria-live', 'polite');

    setJobs([interrupted]);
    const snapshots = invoked.filter((command) => command === 'jobs.list').length;
    await act(async () => emit('engine.status', { state: 'running', reason: 'The engine was restarted.' }));
    expect(screen.queryByRole('complementary', { name: /restarting/ })).not.toBeInTheDocument();
    expect(invoked.filter((command) => command === 'jobs.list')).toHaveLength(snapshots + 1);
    expect(store.getState().jobs['job-1']?.state).toBe('interrupted');
  });

  it('says so, with what to do, when the engine could not be started at all', () => {
    const { api, emit } = supervisedApi();
    const store = createLifelineStore();
    startLifelineFeed(api, store);
    render(<App store={store} api={api} />);
    act(() => emit('engine.status', { state: 'stopped', reason: 'That USB/IP address is not usable.' }));
    const banner = screen.getByRole('complementary', { name: /could not be started/ });
    expect(banner).toHaveTextContent('That USB/IP address is not usable.');
    expect(banner).toHaveTextContent('Quit Lifeline and open it again.');
  });

  it('shows an interrupted backup with its next steps on the backup screen', async () => {
    const { api } = supervisedApi();
    const store = createLifelineStore();
    store.setState({
      engine: 'connected',
      jobs: { 'job-1': interrupted },
      route: { screen: 'backup', phoneId: 'AAAA000000000001', job: 'job-1' },
    });
    render(<App store={store} api={api} />);
    await act(async () => undefined);
    const outcome = screen.getByRole('region', { name: 'Back up Ann’s iPhone — interrupted' });
    expect(
      within(outcome)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual(interrupted.problem!.nextSteps);
    expect(screen.getByText('The backup was interrupted.')).toBeInTheDocument();
  });
});
