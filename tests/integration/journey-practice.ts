/** Helpers of the journey tests: the practice phones by name, and a phone's journey reaching a state. */
import type { JourneySnapshot, JourneyState, LifelineApi } from '../../common/api';
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
export function journeyIn(api: LifelineApi, phoneId: string, state: JourneyState, failOn: JourneyState[] = ['backupFailed', 'firmwareFailed', 'restoreFailed', 'dataFailed']): Promise<JourneySnapshot> {
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
