/** Seconds on some monotonic clock. */
export type Seconds = number;

/**
 * Time, injected. Everything that schedules, debounces or timestamps takes a
 * Clock, so tests step an OfflineClock instead of sleeping on wall time.
 */
export interface Clock {
  now(): Seconds;
  /** Calls `fn` after `delay` seconds; returns a function that cancels it. */
  setTimeout(fn: () => void, delay: Seconds): () => void;
}

/** The process's monotonic clock (performance.now), with real timers. */
export class SystemClock implements Clock {
  now(): Seconds {
    return performance.now() / 1000;
  }

  setTimeout(fn: () => void, delay: Seconds): () => void {
    const handle = setTimeout(fn, Math.max(0, delay * 1000));
    return () => clearTimeout(handle);
  }
}

/** A clock that only moves when a test says so; timers fire in time order as it advances. */
export class OfflineClock implements Clock {
  #now: Seconds;
  #timers: { at: Seconds; seq: number; fn: () => void }[] = [];
  #seq = 0;

  constructor(start: Seconds = 0) {
    this.#now = start;
  }

  now(): Seconds {
    return this.#now;
  }

  setTimeout(fn: () => void, delay: Seconds): () => void {
    const timer = { at: this.#now + Math.max(0, delay), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by `dt`, firing every timer that falls due, in order. */
  advance(dt: Seconds): void {
    this.advanceTo(this.#now + dt);
  }

  advanceTo(t: Seconds): void {
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers[0];
      if (!next || next.at > t) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = Math.max(this.#now, t);
  }

  pendingTimers(): number {
    return this.#timers.length;
  }
}
