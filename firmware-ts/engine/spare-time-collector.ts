import type { Seconds } from '../time/clock.js';

/**
 * Full garbage collections for the generation worker, run just after a
 * generation has been sent back, at most once per interval. Each generation
 * leaves garbage (tensor wrappers, arrays), some of it in the old generation,
 * which V8 collects only once it has grown well past what the last collection
 * kept, so the worker's heap crept up over a soak. A full collection costs
 * milliseconds, so it runs on a thread idle between bars, after the result is
 * on its way, and no generation waits for it (figures:
 * docs/performance-history.md).
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
    this.#collect = options.collect === undefined ? ((globalThis as { gc?: () => void }).gc ?? null) : options.collect;
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
