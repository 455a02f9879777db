import { act, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { JobSummary, LifelineApi, Problem } from '../../common/api';
import type * as StatusAnnouncerModule from '../../renderer/components/status-announcer';
import { findModelByProductType } from '../../common/device-table';
import type { Phone } from '../../common/phone';
import { RestoreScreen } from '../../renderer/screens/restore-screen';
import { createLifelineStore, type LifelineStore } from '../../renderer/store/lifeline-store';
import { LifelineApiContext, LifelineStoreContext } from '../../renderer/store/use-lifeline';

// The screen renders the announcer on every render of its own, so counting the announcer counts the screen.
const renders = vi.hoisted(() => ({ screen: 0 }));
vi.mock('../../renderer/components/status-announcer', async (importOriginal) => {
  const real = await importOriginal<typeof StatusAnnouncerModule>();
  return {
    ...real,
    StatusAnnouncer: (props: Parameters<typeof real.StatusAnnouncer>[0]) => {
      renders.screen += 1;
      return real.StatusAnnouncer(props);
    },
  };
});

const model = findModelByProductType('iPhone6,1')!;
const PHONE: Phone = {
  id: 'AAAA000000000001',
  mode: 'recovery',
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
  connected: true,
  identifying: false,
  trusted: null,
  passcodeSet: null,
  triage: { canBackUp: false, headline: 'A backup is not possible in this mode', reason: '', nextSteps: [] },
};

function fakeApi() {
  const calls: Array<[string, unknown]> = [];
  const api: LifelineApi = {
    invoke: (async (command: string, request: unknown) => {
      calls.push([command, request]);
      if (command === 'restore.start') return { job: 'job-r' };
      if (command === 'firmware.status') return { phoneId: PHONE.id, state: 'not-ready', firmware: null, job: null };
      if (command === 'jobs.cancel') return { cancelled: true };
      throw new Error(`unexpected ${command}`);
    }) as LifelineApi['invoke'],
    on: (() => () => undefined) as LifelineApi['on'],
  };
  return { api, calls };
}

function job(state: JobSummary['state'], extra: Partial<JobSummary> = {}): JobSummary {
  return {
    job: 'job-r',
    kind: 'restore',
    title: 'Erase and restore',
    phoneId: PHONE.id,
    state,
    startedAt: '2024-01-01T00:00:00.000Z',
    finishedAt: null,
    progress: null,
    problem: null,
    ...extra,
  };
}

function renderScreen(store: LifelineStore, api: LifelineApi, jobId: string | null) {
  return render(
    <LifelineApiContext.Provider value={api}>
      <LifelineStoreContext.Provider value={store}>
        <RestoreScreen phoneId={PHONE.id} job={jobId} />
      </LifelineStoreContext.Provider>
    </LifelineApiContext.Provider>,
  );
}

const settle = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));

describe('RestoreScreen', () => {
  it('starts an erase only after the name (or "erase") is typed, and sends confirmed: true', async () => {
    const store = createLifelineStore();
    store.setState({ phones: [PHONE] });
    const { api, calls } = fakeApi();
    renderScreen(store, api, null);
    await settle();
    fireEvent.click(screen.getByRole('radio', { name: 'Erase and restore' }));
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    const erase = screen.getByRole('button', { name: `Erase ${model.name}` });
    expect(erase).toBeDisabled();
    fireEvent.change(screen.getByRole('textbox'), { target: { value: 'eras' } });
    expect(erase).toBeDisabled();
    fireEvent.change(screen.getByRole('textbox'), { target: { value: 'Erase' } });
    expect(erase).toBeEnabled();
    fireEvent.click(erase);
    await settle();
    expect(calls.filter(([command]) => command === 'restore.start')).toEqual([
      ['restore.start', { choice: 'erase', phoneId: PHONE.id, confirmed: true }],
    ]);
    expect(store.getState().route).toEqual({ screen: 'restore', phoneId: PHONE.id, job: 'job-r' });
  });

  it('shows a failed restore’s Problem with its next steps and a way to try again', async () => {
    const problem: Problem = {
      code: 'restore-error-4013',
      title: 'The phone stopped talking to the computer during the restore (error 4013)',
      detail: 'The phone disconnected. Lifeline cannot see the phone now.',
      nextSteps: ['Plug the phone back in, then run the same restore again.', 'Use another cable.'],
      helpUrl: 'https://support.apple.com/en-us/HT201444',
    };
    const store = createLifelineStore();
    store.setState({ phones: [PHONE], jobs: { 'job-r': job('failed', { problem }) } });
    renderScreen(store, fakeApi().api, 'job-r');
    expect(screen.getByRole('heading', { name: problem.title })).toBeInTheDocument();
    expect(screen.getByText('Plug the phone back in, then run the same restore again.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Apple’s support site/ })).toHaveAttribute('href', problem.helpUrl);
    expect(screen.getByRole('status')).toHaveTextContent(`The restore stopped: ${problem.title}.`);
    fireEvent.click(screen.getByRole('button', { name: 'Try the restore again' }));
    expect(store.getState().route).toEqual({ screen: 'restore', phoneId: PHONE.id, job: null });
  });

  it('re-renders only the progress panel on progress within a stage; offers Cancel only before the phone is touched', async () => {
    const store = createLifelineStore();
    store.setState({
      phones: [PHONE],
      jobs: { 'job-r': job('running', { progress: { job: 'job-r', phase: 'firmware', fraction: 0.01, message: 'Downloading iOS…' } }) },
    });
    renderScreen(store, fakeApi().api, 'job-r');
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeInTheDocument();
    const before = renders.screen;
    act(() => {
      const current = store.getState().jobs['job-r']!;
      store.setState({
        jobs: {
          'job-r': {
            ...current,
            progress: { job: 'job-r', phase: 'firmware', fraction: 0.02, message: 'Downloading iOS…', etaSeconds: 90 },
          },
        },
      });
    });
    expect(screen.getByText(/2% · about 2 min left/)).toBeInTheDocument();
    expect(renders.screen - before).toBe(0);
    act(() => {
      const current = store.getState().jobs['job-r']!;
      store.setState({
        jobs: { 'job-r': { ...current, progress: { job: 'job-r', phase: 'installing', fraction: 0.4, message: 'Installing iOS…' } } },
      });
    });
    // A new stage is announced: the screen renders again for it.
    expect(renders.screen - before).toBe(1);
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
    expect(screen.getByText('The restore can no longer be cancelled. Keep the phone plugged in.')).toBeInTheDocument();
    expect(screen.getByRole('listitem', { current: 'step' })).toHaveTextContent('Install iOS');
  });
});
