import { Backoff } from '../../support/supervisor.js';
import type { Clock, Seconds } from '../../time/clock.js';
import type { DeviceLog } from '../../support/log.js';
import { errorCode } from './bus.js';

export interface BackoffOptions {
  /** The wait after the first failure; it doubles with each failure in a row. */
  first?: Seconds;
  max?: Seconds;
  /** After a warning, how long the chip must run without an error before the summary line. */
  quietTime?: Seconds;
}

/** Failures in a row that make an outage: one failed attempt that the retry fixes is a glitch, not trouble. */
const FAILING_AFTER = 3;

/**
 * What a driver does when its chip stops answering: wait longer between
 * attempts (the support's Backoff, doubling up to `max`; the driver's poll
 * loop waits on its clock) and keep the log short. The first error
 * is one warning; then the backoff stays quiet until the chip has run
 * cleanly for `quietTime` and sums up the errors in one line. A marginal
 * cable that fails 1% of 860 reads a second is two lines, not two per glitch.
 */
export class RetryBackoff {
  readonly #device: string;
  readonly #log: DeviceLog;
  readonly #clock: Clock;
  readonly #quietTime: Seconds;
  /** Failures in a row: sets the wait. */
  readonly #backoff: Backoff;
  /** Failures since the warning: the summary's count. */
  #errors = 0;
  #warned = false;
  #cleanSince: Seconds | null = null;
  #lastError = '';

  constructor(device: string, log: DeviceLog, clock: Clock, options: BackoffOptions = {}) {
    this.#device = device;
    this.#log = log;
    this.#clock = clock;
    this.#backoff = new Backoff({ first: options.first ?? 0.01, max: options.max ?? 2 });
    this.#quietTime = options.quietTime ?? 5;
  }

  /** Records a failure; returns how long to wait before the next attempt. */
  failed(err: unknown): Seconds {
    const wait = this.#backoff.failed();
    this.#errors++;
    this.#cleanSince = null;
    this.#lastError = errorCode(err);
    if (!this.#warned) {
      this.#warned = true;
      this.#log.warn(
        `${this.#device}: ${this.#lastError} on the bus; retrying with backoff (quiet until it has run cleanly for ${this.#quietTime} s)`,
      );
    }
    return wait;
  }

  succeeded(): void {
    this.#backoff.succeeded();
    if (!this.#warned) return;
    const now = this.#clock.now();
    this.#cleanSince ??= now;
    if (now - this.#cleanSince < this.#quietTime) return;
    this.#log.info(
      `${this.#device}: running cleanly again; ${this.#errors} bus error(s) since the warning (the last: ${this.#lastError})`,
    );
    this.#warned = false;
    this.#errors = 0;
    this.#cleanSince = null;
  }

  /** Failures in a row (0 after a success). */
  get failures(): number {
    return this.#backoff.failures;
  }

  /** An outage rather than a glitch: several attempts in a row have failed and none has succeeded since. */
  get failing(): boolean {
    return this.#backoff.failures >= FAILING_AFTER;
  }

  /** The errno name (or message) of the latest failure. */
  get lastError(): string {
    return this.#lastError;
  }
}
