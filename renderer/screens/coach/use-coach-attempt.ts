import { useCallback, useEffect, useRef, useState } from 'react';
import type { CoachAttempt } from '../../../common/api';
import { useCoachClock } from '../../components/coach-countdown';
import { useLifelineApi } from '../../store/use-lifeline';
import type { CoachCues } from './use-coach-sound';
import { useCountdown } from './use-countdown';

export type CoachAttemptView = {
  attempt: CoachAttempt | null;
  /** Milliseconds into the attempt, on our monotonic clock. */
  elapsed: number;
  /** Takes a snapshot (from `coach.start` or `coach.changed`); other phones' snapshots are ignored. */
  accept(snapshot: CoachAttempt): void;
};

/** Counting down or watching the phone. */
export function isRunning(state: CoachAttempt['state']): boolean {
  return state === 'running' || state === 'watching';
}

/** The latest attempt for this phone, from the engine's `coach.changed` snapshots, with its countdown and cues. */
export function useCoachAttempt(phoneId: string | null, cues: CoachCues): CoachAttemptView {
  const api = useLifelineApi();
  const clock = useCoachClock();
  const [attempt, setAttempt] = useState<CoachAttempt | null>(null);
  const lastSnapshot = useRef<CoachAttempt | null>(null);
  const countdown = useCountdown(clock, attempt && isRunning(attempt.state) ? attempt.attempt : null, (elapsedMs) => {
    const current = lastSnapshot.current;
    if (current) cues.at(current.plan, elapsedMs);
  });
  const { align, mark } = countdown;

  const acceptLatest = (snapshot: CoachAttempt): void => {
    if (snapshot.phoneId !== phoneId) return;
    // Align once: the countdown runs from this start on our own monotonic clock.
    if (align(snapshot.attempt, snapshot.elapsedMs)) cues.attemptBegan(snapshot);
    const previous = lastSnapshot.current;
    if (snapshot.outcome && !(previous?.attempt === snapshot.attempt && previous.outcome)) cues.outcome(snapshot.outcome.headline);
    if (snapshot.state === 'cancelled') cues.stopped();
    lastSnapshot.current = snapshot;
    setAttempt(snapshot);
    mark();
  };
  const acceptRef = useRef(acceptLatest);
  useEffect(() => {
    acceptRef.current = acceptLatest;
  });
  const accept = useCallback((snapshot: CoachAttempt) => acceptRef.current(snapshot), []);
  useEffect(() => api.on('coach.changed', accept), [api, accept]);

  return { attempt, elapsed: countdown.elapsed, accept };
}
