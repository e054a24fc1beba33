import type { Seconds } from '../time/clock.js';

/**
 * Full garbage collections for the generation worker, run just after a
 * generation has been sent back, at most once per interval. Each generation
 * leaves a little garbage in the worker's old generation (tensor wrappers,
 * arrays), and V8 collects that generation only when it has grown well past
 * what the last collection kept: in a 2-hour soak the worker's heap rose
 * from 20.6 to 22.0 MB without one. A collection here keeps it at the ~19 MB
 * it lives on, costs 11-20 ms of a thread that is idle between bars
 * (scripts measured it; see README, Performance) and never delays a
 * generation, since the result is already on its way.
 */
export class SpareTimeCollector {
  readonly #interval: Seconds;
  readonly #now: () => Seconds;
  readonly #collect: (() => void) | null;
  #last: Seconds;
  /** Collections run, and the longest one (ms). */
  runs = 0;
  longestMs = 0;

  /** `collect` defaults to V8's gc() where node exposes it (--expose-gc); null: never collects. */
  constructor(options: { interval: Seconds; now: () => Seconds; collect?: (() => void) | null }) {
    this.#interval = options.interval;
    this.#now = options.now;
    this.#collect = options.collect === undefined ? (globalThis as { gc?: () => void }).gc ?? null : options.collect;
    this.#last = this.#now();
  }

  /** Call when a piece of work has been handed over: collects if the interval has passed since the last collection. */
  afterWork(): void {
    const now = this.#now();
    if (!this.#collect || now - this.#last < this.#interval) return;
    const t0 = performance.now();
    this.#collect();
    this.longestMs = Math.max(this.longestMs, performance.now() - t0);
    this.runs++;
    this.#last = this.#now();
  }
}
