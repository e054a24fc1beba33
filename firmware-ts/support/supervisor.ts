import type { Clock, Seconds } from '../time/clock.js';

/**
 * How long to wait after each failure in a row: either a doubling from
 * `first` up to `max`, or a list of waits whose last one repeats. Counting
 * only: who waits, and on which clock, is the caller's business (a driver's
 * poll loop, a RestartSupervisor).
 */
export type BackoffPolicy = { first: Seconds; max: Seconds } | { steps: readonly Seconds[] };

export class Backoff {
  readonly #policy: BackoffPolicy;
  #failures = 0;

  constructor(policy: BackoffPolicy) {
    if ('steps' in policy && policy.steps.length === 0)
      throw new RangeError('backoff steps: expected at least one wait, got none');
    this.#policy = policy;
  }

  /** Records a failure; returns how long to wait before the next attempt. */
  failed(): Seconds {
    const n = this.#failures++;
    const policy = this.#policy;
    if ('steps' in policy) return policy.steps[Math.min(n, policy.steps.length - 1)];
    return Math.min(policy.max, policy.first * 2 ** n);
  }

  /** The next attempt starts over from the first wait. */
  succeeded(): void {
    this.#failures = 0;
  }

  /** Failures in a row (0 after a success). */
  get failures(): number {
    return this.#failures;
  }
}

export interface SupervisorOptions {
  clock: Clock;
  backoff: BackoffPolicy;
  /** Restarts in a row without a healthy run in between, before giving up (default: never). */
  giveUpAfter?: number;
  /** A run that lasted this long counts as healthy (the backoff starts over), though nobody called healthy(). */
  healthyAfter?: Seconds;
}

export type CrashAnswer =
  | { restart: true; delay: Seconds }
  /** `crashes`: how many times in a row it died, this one included. */
  | { restart: false; crashes: number };

/**
 * The one restart policy for things that die and are brought back (the
 * generation worker, the MIDI timing thread): each restart waits longer while
 * restarts keep failing, on the injected clock, so a thing that dies at once
 * does not respawn in a tight loop on the cores that also feed MIDI, and a test
 * steps the waits instead of sleeping through them.
 */
export class RestartSupervisor {
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  readonly #giveUpAfter: number;
  readonly #healthyAfter: Seconds;
  #startedAt: Seconds;
  #cancel: (() => void) | null = null;
  #pending: (() => void) | null = null;
  #restarts = 0;

  constructor(options: SupervisorOptions) {
    this.#clock = options.clock;
    this.#backoff = new Backoff(options.backoff);
    this.#giveUpAfter = options.giveUpAfter ?? Infinity;
    this.#healthyAfter = options.healthyAfter ?? Infinity;
    this.#startedAt = this.#clock.now();
  }

  /** Restarts made so far. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Restarts in a row without a healthy run in between. */
  get inARow(): number {
    return this.#backoff.failures;
  }

  /** A restart is waiting its turn. */
  get pending(): boolean {
    return this.#pending !== null;
  }

  /** The supervised thing (re)started now: its run time counts from here. */
  started(): void {
    this.#startedAt = this.#clock.now();
  }

  /** It proved sound (a generation came back): the next crash restarts at once again. */
  healthy(): void {
    this.#backoff.succeeded();
  }

  /**
   * It died: schedules `restart` after the backoff's wait, or says to give up.
   * `restart` runs from the clock's timer (or from restartNow).
   */
  crashed(restart: () => void): CrashAnswer {
    this.cancel();
    if (this.#clock.now() - this.#startedAt >= this.#healthyAfter) this.#backoff.succeeded();
    if (this.#backoff.failures >= this.#giveUpAfter) return { restart: false, crashes: this.#backoff.failures + 1 };
    const delay = this.#backoff.failed();
    this.#pending = restart;
    this.#cancel = this.#clock.setTimeout(() => this.restartNow(), delay);
    return { restart: true, delay };
  }

  /** Runs a waiting restart at once (closing: the new thread must release the notes before the exit). */
  restartNow(): boolean {
    const restart = this.#pending;
    if (!restart) return false;
    this.cancel();
    this.#restarts++;
    this.started();
    restart();
    return true;
  }

  /** Drops a waiting restart (stopping). */
  cancel(): void {
    this.#cancel?.();
    this.#cancel = null;
    this.#pending = null;
  }
}
