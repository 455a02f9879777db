import { useCallback, useEffect, useState } from 'react';
import { problemOf, type CommandName, type CommandRequest, type CommandResponse, type Problem } from '../../common/api';
import { useLifelineApi } from '../store/use-lifeline';

/** Values that say "ask again" when they change (e.g. a job finishing). */
export type RefreshKey = string | number | boolean | null;

export type CommandState<C extends CommandName> = {
  /** The last good answer. Kept while a new ask is under way, while asking is off, and after a failed ask. */
  data: CommandResponse<C> | null;
  /** Why the latest ask failed, in the contract's Problem shape; null once an ask succeeds. */
  problem: Problem | null;
  /** An ask for the current request is under way. */
  loading: boolean;
  /** Counts answers (values, problems and replacements): tells "a newer answer arrived" apart from "same answer". */
  revision: number;
  /** Ask again with the same request. */
  refetch: () => void;
  /** A fresher value pushed by an event: shown at once, until the next answer. */
  replace: (value: CommandResponse<C>) => void;
};

type Answer<C extends CommandName> = { ask: string | null; data: CommandResponse<C> | null; problem: Problem | null; revision: number };

/** Turns any rejection into the contract's Problem: the engine's own when it sent one, else `fallbackTitle`. */
export function commandProblem(error: unknown, fallbackTitle: string): Problem {
  return (
    problemOf(error) ?? {
      code: 'renderer.unanswered',
      title: fallbackTitle,
      detail: error instanceof Error ? error.message : '',
      nextSteps: [],
    }
  );
}

/**
 * Asks the engine `command` with `request` and keeps the answer: again whenever the request (compared by value:
 * requests are JSON) or `refreshOn` changes, or on `refetch()`. `request` null = don't ask. An answer that arrives
 * after the request changed or the component went away is dropped.
 */
export function useCommand<C extends CommandName>(
  command: C,
  request: CommandRequest<C> | null,
  options: { refreshOn?: readonly RefreshKey[]; fallbackTitle?: string } = {},
): CommandState<C> {
  const api = useLifelineApi();
  const [asked, setAsked] = useState(0);
  const [answer, setAnswer] = useState<Answer<C>>({ ask: null, data: null, problem: null, revision: 0 });
  const fallbackTitle = options.fallbackTitle ?? 'Lifeline could not get an answer from the engine.';
  // One string names this exact ask; the request travels inside it, so the effect never sees a stale object.
  const ask = request === null ? null : JSON.stringify([command, request, options.refreshOn ?? [], asked]);
  // Asking turned off: forget which ask the answer belongs to, so turning it on again counts as loading.
  if (ask === null && answer.ask !== null) setAnswer({ ...answer, ask: null });

  useEffect(() => {
    if (ask === null) return undefined;
    let live = true;
    const [, sent] = JSON.parse(ask) as [C, CommandRequest<C>];
    api.invoke(command, sent).then(
      (data) => {
        if (live) setAnswer((last) => ({ ask, data, problem: null, revision: last.revision + 1 }));
      },
      (error: unknown) => {
        if (live)
          setAnswer((last) => ({ ask, data: last.data, problem: commandProblem(error, fallbackTitle), revision: last.revision + 1 }));
      },
    );
    return () => {
      live = false;
    };
  }, [api, command, ask, fallbackTitle]);

  const refetch = useCallback(() => setAsked((n) => n + 1), []);
  const replace = useCallback(
    (data: CommandResponse<C>) => setAnswer((last) => ({ ...last, data, problem: null, revision: last.revision + 1 })),
    [],
  );

  return {
    data: answer.data,
    problem: answer.problem,
    loading: ask !== null && answer.ask !== ask,
    revision: answer.revision,
    refetch,
    replace,
  };
}
