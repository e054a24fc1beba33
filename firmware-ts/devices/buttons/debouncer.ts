import type { Clock, Seconds } from '../../time/clock.js';
import type { Level } from '../gpio/gpio.js';

/**
 * Contact-bounce filter with an injected clock. The first edge that changes
 * the stable level is reported at once, stamped with its own time (a PLAY
 * press must not wait for the bounce to settle); further edges are ignored
 * for `lockout`; when the lockout ends the line is read again so a release
 * that happened inside the lockout is not lost.
 */
export class Debouncer {
  #stable: Level;
  #locked = false;
  #cancel: (() => void) | null = null;

  constructor(
    readonly clock: Clock,
    readonly lockout: Seconds,
    readonly read: () => Level,
    readonly onChange: (level: Level, time: Seconds) => void,
  ) {
    if (!(lockout >= 0 && lockout <= 0.2)) throw new RangeError(`debounce time: expected 0..0.2 s, got ${lockout}`);
    this.#stable = read();
  }

  get level(): Level {
    return this.#stable;
  }

  edge(level: Level, time: Seconds): void {
    if (this.#locked || level === this.#stable) return;
    this.#change(level, time);
  }

  #change(level: Level, time: Seconds): void {
    this.#stable = level;
    this.#locked = true;
    this.#cancel = this.clock.setTimeout(() => {
      this.#locked = false;
      this.#cancel = null;
      const now = this.read();
      if (now !== this.#stable) this.#change(now, this.clock.now());
    }, this.lockout);
    this.onChange(level, time);
  }

  dispose(): void {
    this.#cancel?.();
  }
}
