/**
 * The coach's time source: monotonic (performance.now), injectable so tests run on a manual clock. Every deadline
 * is computed from the attempt's start time, never by chaining timers (docs/protocols/coach.md#timeline-rules).
 */
export interface CoachClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): { cancel(): void };
}

export const monotonicClock: CoachClock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  },
};
