import { act, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { BackupSummary, JobSummary, LifelineApi } from '../../common/api';
import { findModelByProductType } from '../../common/device-table';
import type { Phone } from '../../common/phone';
import { BackupCardAction } from '../../renderer/components/backup-card-action';
import { BackupScreen } from '../../renderer/screens/backup-screen';
import { ScreenRouter } from '../../renderer/screens/screen-router';
import { createLifelineStore, type LifelineStore } from '../../renderer/store/lifeline-store';
import { LifelineApiContext, LifelineStoreContext } from '../../renderer/store/use-lifeline';

const model = findModelByProductType('iPhone6,1')!;

function phone(canBackUp: boolean): Phone {
  return {
    id: 'AAAA000000000001',
    mode: canBackUp ? 'normal' : 'recovery',
    model: {
      name: model.name,
      productType: model.productType,
      boardConfig: model.boardConfig,
      cpid: model.cpid,
      bdid: model.bdid,
      buttons: model.buttons,
      known: true,
    },
    iosVersion: canBackUp ? '12.5.8' : null,
    buildVersion: null,
    deviceName: 'Ann’s iPhone',
    connected: true,
    identifying: false,
    trusted: canBackUp ? true : null,
    passcodeSet: true,
    triage: {
      canBackUp,
      headline: canBackUp ? 'A backup can be made now' : 'A backup is not possible in this mode',
      reason: '',
      nextSteps: [],
    },
  };
}

const existing: BackupSummary = {
  id: 'bk-0123456789ab',
  udid: '00008030-001234567890802E',
  path: '/home/ann/.local/share/lifeline/MobileSync/Backup/00008030-001234567890802E',
  location: 'Lifeline backups',
  deviceName: 'Ann’s iPhone',
  productType: 'iPhone6,1',
  modelName: 'iPhone 5s (GSM)',
  iosVersion: '12.5.8',
  buildVersion: '16H81',
  date: '2024-03-01T10:00:00.000Z',
  sizeBytes: 25_000_000,
  encrypted: false,
  complete: true,
};

function fakeApi(backups: BackupSummary[] = [existing]) {
  const calls: Array<[string, unknown]> = [];
  const api: LifelineApi = {
    invoke: (async (command: string, request: unknown) => {
      calls.push([command, request]);
      if (command === 'backup.list') return { locations: [], defaultDirectory: '/tmp', backups };
      if (command === 'backup.start') return { job: 'job-1' };
      if (command === 'jobs.cancel') return { cancelled: true };
      throw new Error(`unexpected ${command}`);
    }) as LifelineApi['invoke'],
    on: (() => () => undefined) as LifelineApi['on'],
  };
  return { api, calls };
}

function renderWith(store: LifelineStore, api: LifelineApi, node: React.ReactNode) {
  return render(
    <LifelineApiContext.Provider value={api}>
      <LifelineStoreContext.Provider value={store}>{node}</LifelineStoreContext.Provider>
    </LifelineApiContext.Provider>,
  );
}

const settle = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));

function job(state: JobSummary['state'], extra: Partial<JobSummary> = {}): JobSummary {
  return {
    job: 'job-1',
    kind: 'backup',
    title: 'Back up',
    phoneId: 'AAAA000000000001',
    state,
    startedAt: '',
    finishedAt: null,
    progress: null,
    problem: null,
    ...extra,
  };
}

describe('Back up now on the phone card', () => {
  it('is offered when triage says a backup can work, and opens the backup screen with the started job', async () => {
    const store = createLifelineStore();
    const { api, calls } = fakeApi();
    renderWith(store, api, <BackupCardAction phone={phone(true)} />);
    fireEvent.click(screen.getByRole('button', { name: 'Back up now' }));
    await settle();
    expect(calls).toContainEqual(['backup.start', { phoneId: 'AAAA000000000001' }]);
    expect(store.getState().route).toEqual({ screen: 'backup', phoneId: 'AAAA000000000001', job: 'job-1' });
  });

  it('is not offered when a backup cannot work; the existing backups of this phone are shown instead', async () => {
    const store = createLifelineStore();
    const { api, calls } = fakeApi();
    renderWith(store, api, <BackupCardAction phone={phone(false)} />);
    await settle();
    expect(screen.queryByRole('button', { name: 'Back up now' })).toBeNull();
    expect(calls).toContainEqual(['backup.list', { phoneId: 'AAAA000000000001' }]);
    expect(screen.getByRole('heading', { name: 'Backups of this phone on this computer' })).toBeInTheDocument();
    expect(screen.getByText(/iPhone 5s \(GSM\), iOS 12\.5\.8 · 25\.0 MB · complete · not encrypted/)).toBeInTheDocument();
  });

  it('says so when no backup of the phone exists', async () => {
    const store = createLifelineStore();
    const { api } = fakeApi([]);
    renderWith(store, api, <BackupCardAction phone={phone(false)} />);
    await settle();
    expect(screen.getByText('None found in the usual backup folders.')).toBeInTheDocument();
  });
});

describe('Backup screen', () => {
  it('asks for the passcode on the phone, shows progress figures and cancels the job', async () => {
    const store = createLifelineStore();
    const { api, calls } = fakeApi();
    store.setState({
      phones: [phone(true)],
      route: { screen: 'backup', phoneId: 'AAAA000000000001', job: 'job-1' },
      jobs: {
        'job-1': job('running', {
          progress: { job: 'job-1', phase: 'passcode', fraction: null, message: 'Enter the passcode on the phone to allow the backup' },
        }),
      },
    });
    renderWith(store, api, <ScreenRouter />);
    await settle();
    expect(screen.getByRole('heading', { level: 1, name: 'Back up Ann’s iPhone' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 2, name: 'Enter the passcode on the phone' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Enter the passcode on the phone to allow the backup');

    act(() =>
      store.setState({
        jobs: {
          'job-1': job('running', {
            progress: {
              job: 'job-1',
              phase: 'receiving',
              fraction: 0.5,
              message: 'Copying from the phone… 10 files, 5.0 MB',
              bytesDone: 5e6,
              bytesTotal: 1e7,
              bytesPerSecond: 2e6,
              etaSeconds: 2.5,
              filesDone: 10,
            },
          }),
        },
      }),
    );
    expect(screen.getByRole('progressbar', { name: 'Backup progress' })).toHaveAttribute('value', '50');
    expect(screen.getByText('10 files · 5.0 MB of 10.0 MB · 2.0 MB/s · about 3 s left')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel backup' }));
    expect(calls).toContainEqual(['jobs.cancel', { job: 'job-1' }]);
    expect(screen.getByRole('button', { name: 'Back to phones' })).toBeInTheDocument();
  });

  it('summarises a finished backup and announces it', async () => {
    const store = createLifelineStore();
    const { api } = fakeApi();
    const result = {
      udid: existing.udid,
      path: existing.path,
      files: 400,
      bytes: 25_000_000,
      bytesReceived: 25_000_000,
      seconds: 3.2,
      encrypted: false,
      reused: 0,
    };
    store.setState({
      phones: [phone(true)],
      route: { screen: 'backup', phoneId: 'AAAA000000000001', job: 'job-1' },
      jobs: { 'job-1': job('succeeded', { result }) },
    });
    renderWith(store, api, <ScreenRouter />);
    await settle();
    expect(screen.getByRole('heading', { name: 'Backup complete' })).toBeInTheDocument();
    expect(screen.getByText(/400 files, 25\.0 MB, in 3 s/)).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Backup complete.');
    expect(screen.getByRole('button', { name: 'Back up again' })).toBeInTheDocument();
  });

  it('shows the problem and its next steps when the backup failed, and says cancelled is not a failure', async () => {
    const store = createLifelineStore();
    const { api } = fakeApi();
    const problem = {
      code: 'backup-phone-disconnected',
      title: 'The phone was disconnected during the backup',
      detail: 'closed',
      nextSteps: ['Your previous backup is unchanged.'],
    };
    store.setState({
      phones: [phone(true)],
      route: { screen: 'backup', phoneId: 'AAAA000000000001', job: 'job-1' },
      jobs: { 'job-1': job('failed', { problem }) },
    });
    const view = renderWith(store, api, <ScreenRouter />);
    await settle();
    expect(screen.getByRole('heading', { name: problem.title })).toBeInTheDocument();
    expect(screen.getByText('Your previous backup is unchanged.')).toBeInTheDocument();
    view.unmount();
    store.setState({ jobs: { 'job-1': job('cancelled') } });
    renderWith(store, api, <ScreenRouter />);
    await settle();
    expect(screen.getByRole('heading', { name: 'Backup cancelled' })).toBeInTheDocument();
  });
});

describe('Choosing where the backup goes', () => {
  it('uses the standard folder unless the person gives another one', async () => {
    const store = createLifelineStore();
    store.setState({ engine: 'connected', phones: [phone(true)] });
    const { api, calls } = fakeApi();
    renderWith(store, api, <BackupScreen phoneId="AAAA000000000001" job={null} />);
    await settle();
    fireEvent.click(screen.getByText('Save somewhere else'));
    fireEvent.change(screen.getByLabelText(/Folder for the backup/), { target: { value: '  /media/ada/USB/Backups  ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Back up now' }));
    await settle();
    expect(calls).toContainEqual(['backup.start', { phoneId: 'AAAA000000000001', directory: '/media/ada/USB/Backups' }]);
  });
});
