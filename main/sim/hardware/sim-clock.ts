/** Time source for the simulated hardware, injectable so button-timing tests run instantly and deterministically. */
export interface SimClock {
  /** Milliseconds on this clock's own time line. */
  now(): number;
  setTimeout(callback: () => void, ms: number): SimTimer;
  clearTimeout(timer: SimTimer): void;
}

export type SimTimer = { readonly cancel: () => void };

export const realClock: SimClock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  },
  clearTimeout(timer) {
    timer.cancel();
  },
};

type Pending = { at: number; seq: number; callback: () => void; cancelled: boolean };

/** A clock that only moves when told to; timers fire in time order during advance(). */
export class ManualClock implements SimClock {
  #now: number;
  #seq = 0;
  #pending: Pending[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): SimTimer {
    const entry: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback, cancelled: false };
    this.#pending.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  clearTimeout(timer: SimTimer): void {
    timer.cancel();
  }

  /** Move time forward by ms, firing every due timer (including ones scheduled by fired timers) in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      this.#pending = this.#pending.filter((p) => !p.cancelled);
      let next: Pending | undefined;
      for (const p of this.#pending) {
        if (p.at <= target && (next === undefined || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      }
      if (next === undefined) break;
      this.#now = next.at;
      next.cancelled = true;
      next.callback();
    }
    this.#now = target;
  }

  /** Advance to an absolute time on this clock. */
  advanceTo(time: number): void {
    if (time > this.#now) this.advance(time - this.#now);
  }

  get pendingTimers(): number {
    return this.#pending.filter((p) => !p.cancelled).length;
  }
}
