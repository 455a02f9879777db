import { createStore } from 'zustand/vanilla';
import type { AppInfo, EngineStatus, JobSummary, LifelineApi, PracticePhone } from '../../common/api';
import type { JourneySnapshot } from '../../common/contract/journey';
import type { HostStatus, Phone } from '../../common/phone';
import { HOME, type Route } from '../navigation';

export type LifelineState = {
  engine: 'connecting' | 'connected' | 'lost';
  /** The desktop app's engine process: null until it reports (and always in a browser). */
  engineStatus: EngineStatus | null;
  appInfo: AppInfo | null;
  phones: Phone[];
  host: HostStatus | null;
  /** Practice mode only: the virtual phones and whether each is plugged in. */
  practicePhones: PracticePhone[];
  /** Every job the engine knows about, latest state (progress included), by job id. */
  jobs: Record<string, JobSummary>;
  /** Every phone's rescue journey, latest snapshot, by phone id (journey.list, then journey.changed). */
  journeys: Record<string, JourneySnapshot>;
  route: Route;
};

export type LifelineStore = ReturnType<typeof createLifelineStore>;

export function createLifelineStore() {
  return createStore<LifelineState>(() => ({
    engine: 'connecting',
    engineStatus: null,
    appInfo: null,
    phones: [],
    host: null,
    practicePhones: [],
    jobs: {},
    journeys: {},
    route: HOME,
  }));
}

/** Feeds the store from the contract: a snapshot (again after every reconnect), then live events. */
export function startLifelineFeed(api: LifelineApi, store: LifelineStore): { refresh: () => void; stop: () => void } {
  const refreshPractice = (): void => {
    if (!store.getState().appInfo?.demo) return;
    void api.invoke('practice.phones', {}).then(
      (practicePhones) => store.setState({ practicePhones }),
      () => undefined,
    );
  };
  const stops = [
    api.on('engine.status', (engineStatus) => {
      store.setState({ engineStatus });
      // A restarted engine starts from nothing: take its snapshot again (jobs.list keeps the interrupted ones).
      if (engineStatus.state === 'running') refresh();
    }),
    api.on('devices.changed', (phones) => {
      store.setState({ phones });
      refreshPractice();
    }),
    api.on('host.status', (host) => store.setState({ host })),
    api.on('jobs.changed', (summary) => store.setState((state) => ({ jobs: { ...state.jobs, [summary.job]: summary } }))),
    api.on('journey.changed', (journey) => keepJourney(store, journey)),
    api.on('progress', (progress) =>
      store.setState((state) => {
        const job = state.jobs[progress.job];
        return job ? { jobs: { ...state.jobs, [progress.job]: { ...job, progress } } } : {};
      }),
    ),
  ];
  const refresh = (): void => {
    // Journeys come on their own: an engine without them still shows its phones and jobs.
    void api.invoke('journey.list', {}).then(
      (journeyList) => store.setState({ journeys: Object.fromEntries(journeyList.map((journey) => [journey.phoneId, journey])) }),
      () => undefined,
    );
    void Promise.all([
      api.invoke('app.info', {}),
      api.invoke('devices.list', {}),
      api.invoke('host.status', {}),
      api.invoke('jobs.list', {}),
    ])
      .then(([appInfo, phones, host, jobList]) => {
        store.setState({ appInfo, phones, host, jobs: Object.fromEntries(jobList.map((job) => [job.job, job])), engine: 'connected' });
        refreshPractice();
      })
      .catch(() => store.setState({ engine: 'lost' }));
  };
  refresh();
  return {
    refresh,
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}

export function setEngineConnection(store: LifelineStore, connected: boolean): void {
  store.setState({ engine: connected ? 'connected' : 'lost' });
}

export function navigate(store: LifelineStore, route: Route): void {
  store.setState({ route });
}

/** A journey snapshot from an event or an answer (journey.start / journey.act); an older one than the store holds is dropped. */
export function keepJourney(store: LifelineStore, journey: JourneySnapshot): void {
  store.setState((state) => {
    const held = state.journeys[journey.phoneId];
    if (held && held.updatedAt > journey.updatedAt) return {};
    return { journeys: { ...state.journeys, [journey.phoneId]: journey } };
  });
}

/** Forgets a journey the engine forgot (journey.forget). */
export function dropJourney(store: LifelineStore, phoneId: string): void {
  store.setState((state) => {
    const { [phoneId]: _gone, ...rest } = state.journeys;
    return { journeys: rest };
  });
}
