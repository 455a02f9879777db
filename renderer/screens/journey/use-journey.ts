import { useCallback, useState } from 'react';
import type { JourneyActRequest, JourneyAction, JourneySnapshot } from '../../../common/contract/journey';
import { commandProblem } from '../../hooks/use-command';
import { keepJourney } from '../../store/lifeline-store';
import { useLifeline, useLifelineApi, useLifelineStore } from '../../store/use-lifeline';
import type { Problem } from '../../../common/api';

/** One phone's journey snapshot (re-renders on its own changes only). */
export function useJourney(phoneId: string): JourneySnapshot | null {
  return useLifeline((s) => s.journeys[phoneId] ?? null);
}

export type JourneyActing = {
  /** Sends the person's action; the answer (or the refusal) lands in the store / `problem`. */
  act(action: JourneyAction, extra?: Pick<JourneyActRequest, 'password' | 'typed'>): Promise<boolean>;
  busy: boolean;
  /** Why the last action was refused. */
  problem: Problem | null;
};

/** Sends `journey.act` for one phone; a refusal becomes a Problem to show beside the button. */
export function useJourneyAct(phoneId: string): JourneyActing {
  const api = useLifelineApi();
  const store = useLifelineStore();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const act = useCallback(
    async (action: JourneyAction, extra: Pick<JourneyActRequest, 'password' | 'typed'> = {}): Promise<boolean> => {
      setBusy(true);
      setProblem(null);
      try {
        const request: JourneyActRequest = {
          phoneId,
          action: action.id,
          ...extra,
          ...(action.backupId !== undefined ? { backupId: action.backupId } : {}),
        };
        keepJourney(store, await api.invoke('journey.act', request));
        return true;
      } catch (error) {
        setProblem(commandProblem(error, 'Lifeline could not do that.'));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [api, store, phoneId],
  );
  return { act, busy, problem };
}
