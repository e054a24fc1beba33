import type { Clock, Seconds } from '../../time/clock.js';

/**
 * node-web-audio-api frees a node's native memory only when V8 collects the
 * node's JS wrapper, and V8 cannot see that memory. The wrapper of a hit
 * lives for as long as the hit sounds, long enough to reach V8's old
 * generation, which is collected only when the JS heap itself grows; the
 * box's main heap stays small and calm, so the audio engine's memory grew
 * steadily. A full collection every half minute returns it, on the main
 * thread, which sends no MIDI (its own thread) and schedules audio ahead by
 * more than a collection takes (figures: docs/performance-history.md).
 * Needs node's --expose-gc (npm start and the unit pass it); without it,
 * says so once and does nothing.
 */
export class NativeAudioMemory {
  readonly #clock: Clock;
  readonly #interval: Seconds;
  readonly #collect: (() => void) | null;
  #cancel: (() => void) | null = null;
  /** Collections run, and the longest one (ms). */
  runs = 0;
  longestMs = 0;

  /** `collect` defaults to V8's gc() where node exposes it (null: there is none). */
  constructor(
    clock: Clock,
    log: (message: string) => void,
    interval: Seconds = 30,
    collect: (() => void) | null = (globalThis as { gc?: () => void }).gc ?? null,
  ) {
    this.#clock = clock;
    this.#interval = interval;
    this.#collect = collect;
    if (!this.#collect)
      log(
        "node runs without --expose-gc: the audio engine's memory is returned only when V8 happens to collect (it grows meanwhile)",
      );
  }

  start(): void {
    if (!this.#collect || this.#cancel) return;
    const tick = () => {
      const t0 = performance.now();
      this.#collect!();
      this.longestMs = Math.max(this.longestMs, performance.now() - t0);
      this.runs++;
      this.#cancel = this.#clock.setTimeout(tick, this.#interval);
    };
    this.#cancel = this.#clock.setTimeout(tick, this.#interval);
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = null;
  }
}
