import type { Clock, Seconds } from '../time/clock.js';

/**
 * Wakes the scheduler up, nothing more. It does not need to be punctual: the
 * scheduler works on a time window and gives every event its exact time, so a
 * late tick only shortens the margin, never moves a note.
 */
export class Ticker {
  readonly #clock: Clock;
  readonly #interval: Seconds;
  readonly #onTick: () => void;
  #cancel: (() => void) | null = null;

  constructor(clock: Clock, interval: Seconds, onTick: () => void) {
    if (!(interval > 0)) throw new RangeError(`ticker interval: expected seconds > 0, got ${interval}`);
    this.#clock = clock;
    this.#interval = interval;
    this.#onTick = onTick;
  }

  get running(): boolean {
    return this.#cancel !== null;
  }

  start(): void {
    if (this.#cancel) return;
    this.#arm();
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = null;
  }

  #arm(): void {
    this.#cancel = this.#clock.setTimeout(() => {
      // Re-arm first: if the tick throws, the ticker must keep running.
      this.#arm();
      this.#onTick();
    }, this.#interval);
  }
}
