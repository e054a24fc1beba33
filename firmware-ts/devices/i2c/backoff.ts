import type { Seconds } from '../../time/clock.js';
import type { DeviceLog } from '../log.js';
import { errorCode } from './bus.js';

/**
 * What a polling driver does when its chip stops answering: wait longer
 * between attempts (doubling up to `max`), say so once when the trouble
 * starts and once when it ends, never once per poll — a loose cable at 860
 * polls a second would otherwise bury every other message.
 */
export class RetryBackoff {
  #failures = 0;
  #first: Seconds;
  #max: Seconds;
  #device: string;
  #log: DeviceLog;

  constructor(device: string, log: DeviceLog, first: Seconds = 0.01, max: Seconds = 2) {
    this.#device = device;
    this.#log = log;
    this.#first = first;
    this.#max = max;
  }

  /** Records a failure; returns how long to wait before the next attempt. */
  failed(err: unknown): Seconds {
    this.#failures++;
    if (this.#failures === 1) {
      this.#log.warn(`${this.#device}: ${errorCode(err)} on the bus; retrying with backoff (logged once until it recovers)`);
    }
    return Math.min(this.#max, this.#first * 2 ** (this.#failures - 1));
  }

  succeeded(): void {
    if (this.#failures > 0) this.#log.info(`${this.#device}: answering again after ${this.#failures} failed attempt(s)`);
    this.#failures = 0;
  }

  get failures(): number {
    return this.#failures;
  }
}
