import { useCallback, useEffect, useRef, useState } from 'react';

export type Countdown = {
  /** Milliseconds since the attempt began, on our own monotonic clock. */
  elapsed: number;
  /** Aligns once per attempt (from its first snapshot's elapsed time); true when `attemptId` is new. */
  align(attemptId: string, elapsedMs: number): boolean;
  /** Reads the clock now (a snapshot arrived). */
  mark(): void;
};

/**
 * The countdown's time: while `runningId` names the aligned attempt, redrawn every frame (and every 100 ms when
 * frames stop in a background window), always computed from the start time. `onTick` hears each reading.
 */
export function useCountdown(clock: () => number, runningId: string | null, onTick: (elapsedMs: number) => void): Countdown {
  const [elapsed, setElapsed] = useState(0);
  const timing = useRef<{ id: string; startedAt: number } | null>(null);
  const onTickRef = useRef(onTick);
  useEffect(() => {
    onTickRef.current = onTick;
  });

  const align = useCallback(
    (attemptId: string, elapsedMs: number): boolean => {
      if (timing.current?.id === attemptId) return false;
      timing.current = { id: attemptId, startedAt: clock() - elapsedMs };
      return true;
    },
    [clock],
  );
  const mark = useCallback(() => setElapsed(clock() - (timing.current?.startedAt ?? clock())), [clock]);

  useEffect(() => {
    if (!runningId) return undefined;
    let frame = 0;
    const tick = (): void => {
      const t = timing.current;
      if (!t || t.id !== runningId) return;
      const now = clock() - t.startedAt;
      setElapsed(now);
      onTickRef.current(now);
    };
    const loop = (): void => {
      tick();
      frame = requestAnimationFrame(loop);
    };
    frame = requestAnimationFrame(loop);
    const interval = setInterval(tick, 100);
    return () => {
      cancelAnimationFrame(frame);
      clearInterval(interval);
    };
  }, [runningId, clock]);

  return { elapsed, align, mark };
}
