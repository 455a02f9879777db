import { useEffect, useRef } from 'react';
import { keepJourney } from '../store/lifeline-store';
import { useLifeline, useLifelineApi, useLifelineStore } from '../store/use-lifeline';

/**
 * Plugging a phone in is step one: every connected, recognised phone without a journey gets one (`journey.start` only
 * looks at what can be saved; nothing happens to the phone until the person chooses). A phone the engine refuses is
 * asked again only when its record changes (mode, recognition).
 */
export function useJourneyAutostart(): void {
  const api = useLifelineApi();
  const store = useLifelineStore();
  const engine = useLifeline((s) => s.engine);
  const phones = useLifeline((s) => s.phones);
  const journeys = useLifeline((s) => s.journeys);
  const asked = useRef(new Set<string>());

  useEffect(() => {
    if (engine !== 'connected') return;
    for (const phone of phones) {
      if (!phone.connected || phone.identifying || journeys[phone.id]) continue;
      const key = `${phone.id}:${phone.mode}`;
      if (asked.current.has(key)) continue;
      asked.current.add(key);
      api.invoke('journey.start', { phoneId: phone.id }).then(
        (journey) => keepJourney(store, journey),
        () => undefined,
      );
    }
  }, [api, store, engine, phones, journeys]);
}
