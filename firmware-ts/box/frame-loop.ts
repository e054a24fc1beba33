import type { Clock, Seconds } from '../time/clock.js';
import type { ChangeSignal } from './changed.js';

export interface FrameLoopOptions {
  clock: Clock;
  /** Time between frames. */
  interval: Seconds;
  changed: ChangeSignal;
  /** At each frame, before drawing: what moves with time (the playhead, a take, a device in trouble) raises `changed`. */
  poll(now: Seconds): void;
  /** Draws one frame: the grid's LEDs and the panel. */
  draw(): void;
}

/**
 * The LED and panel refresh: a frame is drawn at the next tick after
 * `changed` was raised, once however often it was raised, and never more
 * often than the interval. The first frame is always drawn.
 */
export class FrameLoop {
  readonly #options: FrameLoopOptions;
  #due = true;
  #cancel: (() => void) | null = null;
  #stopped = false;

  constructor(options: FrameLoopOptions) {
    this.#options = options;
    options.changed.subscribe(() => {
      this.#due = true;
    });
  }

  /** Draws the first frame now and keeps going until `stop`. */
  start(): void {
    this.#tick();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
  }

  #tick(): void {
    if (this.#stopped) return;
    const { clock, poll, draw, interval } = this.#options;
    poll(clock.now());
    if (this.#due) {
      this.#due = false;
      draw();
    }
    this.#cancel = clock.setTimeout(() => this.#tick(), interval);
  }
}
