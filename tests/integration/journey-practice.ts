/** Helpers of the journey tests: the practice phones by name, and a phone's journey reaching a state. */
import type { JobSummary, JourneySnapshot, JourneyState, LifelineApi } from '../../common/api';
import type { Phone } from '../../common/phone';

/** The practice phone whose name starts with `name`, once the registry has identified it. */
export function practicePhone(api: LifelineApi, name: string, ready: (phone: Phone) => boolean = () => true): Promise<Phone> {
  return new Promise((resolve, reject) => {
    let off: () => void = () => undefined;
    const check = (phones: Phone[]): void => {
      const phone = phones.find((p) => p.connected && !p.identifying && (p.deviceName ?? '').startsWith(name) && ready(p));
      if (!phone) return;
      off();
      resolve(phone);
    };
    off = api.on('devices.changed', check);
    api.invoke('devices.list', {}).then(check, reject);
  });
}

/** Every state a phone's journey went through, in order, as journey.changed told it. */
export function journeyTrail(api: LifelineApi, phoneId: string): { states: JourneyState[]; snapshots: JourneySnapshot[]; stop(): void } {
  const states: JourneyState[] = [];
  const snapshots: JourneySnapshot[] = [];
  const stop = api.on('journey.changed', (snapshot) => {
    if (snapshot.phoneId !== phoneId) return;
    snapshots.push(snapshot);
    if (states.at(-1) !== snapshot.state) states.push(snapshot.state);
  });
  return { states, snapshots, stop };
}

/** The phone's journey once it is in `state` (now, or when journey.changed says so); a failure state on the way rejects. */
export function journeyIn(
  api: LifelineApi,
  phoneId: string,
  state: JourneyState,
  failOn: JourneyState[] = ['backupFailed', 'firmwareFailed', 'restoreFailed', 'dataFailed'],
): Promise<JourneySnapshot> {
  return new Promise((resolve, reject) => {
    let off: () => void = () => undefined;
    const check = (snapshot: JourneySnapshot): void => {
      if (snapshot.phoneId !== phoneId) return;
      if (snapshot.state === state) {
        off();
        resolve(snapshot);
      } else if (failOn.includes(snapshot.state)) {
        off();
        reject(new Error(`journey reached ${snapshot.state}: ${snapshot.problem?.code ?? ''} ${snapshot.problem?.detail ?? ''}`));
      }
    };
    off = api.on('journey.changed', check);
    api.invoke('journey.list', {}).then((journeys) => journeys.forEach(check), reject);
  });
}

/** The phone's journey once a snapshot satisfies `ready` (now, or when journey.changed says so). */
export function journeyUntil(api: LifelineApi, phoneId: string, ready: (snapshot: JourneySnapshot) => boolean): Promise<JourneySnapshot> {
  return new Promise((resolve, reject) => {
    let off: () => void = () => undefined;
    const check = (snapshot: JourneySnapshot): void => {
      if (snapshot.phoneId !== phoneId || !ready(snapshot)) return;
      off();
      resolve(snapshot);
    };
    off = api.on('journey.changed', check);
    api.invoke('journey.list', {}).then((journeys) => journeys.forEach(check), reject);
  });
}

/** A job's end (jobs.changed, or jobs.list when it already ended); a job that did not succeed rejects. */
export function finished(api: LifelineApi, job: string): Promise<JobSummary> {
  return new Promise((resolve, reject) => {
    let off: () => void = () => undefined;
    const check = (summary: JobSummary): void => {
      if (summary.job !== job || summary.state === 'running') return;
      off();
      if (summary.state === 'succeeded') resolve(summary);
      else reject(new Error(`job ${summary.state}: ${summary.problem?.code ?? ''} ${summary.problem?.detail ?? ''}`));
    };
    off = api.on('jobs.changed', check);
    api.invoke('jobs.list', {}).then((jobs) => jobs.forEach(check), reject);
  });
}
