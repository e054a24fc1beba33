import type { Seconds } from '../time/clock.js';

/**
 * Full garbage collections for the generation worker, run just after a
 * generation has been sent back, at most once per interval. Each generation
 * leaves garbage (tensor wrappers, arrays), some of it in the old generation,
 * which V8 collects only once it has grown well past what the last collection
 * kept: in the 2-hour soak of 27afa75 the worker's used heap rose from 20.6 to
 * 22.0 MB (bench/results/parts/soak-120min-oldlimit8.json). Here 15 generations
 * (30 s at 120 BPM) left 2-8 MB over the 19.0-19.2 MB the model lives on, and a
 * full collection took 10-17 ms (scripts/measure-generation-garbage.ts): on a
 * thread idle between bars, after the result is on its way, so no generation
 * waits for it.
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
