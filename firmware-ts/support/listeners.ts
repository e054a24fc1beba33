/** Ends one subscription. */
export type Unsubscribe = () => void;

/**
 * The one listener set of the tree (drivers, fakes, gestures, the sequencer,
 * MIDI input): a listener that throws never stops delivery to the others nor
 * corrupts the caller's state, and neither does a reporter that throws.
 */
export class Listeners<T extends unknown[]> {
  readonly #listeners = new Set<(...args: T) => void>();
  readonly #onError: (error: unknown, ...args: T) => void;

  constructor(onError: (error: unknown, ...args: T) => void = reportToStderr) {
    this.#onError = onError;
  }

  add(listener: (...args: T) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Iterates the set itself (no copy per event: the sequencer emits on every pulse); one removed meanwhile is skipped. */
  emit(...args: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(...args);
      } catch (error) {
        try {
          this.#onError(error, ...args);
        } catch {
          // A broken reporter must not stop the delivery either.
        }
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }

  clear(): void {
    this.#listeners.clear();
  }
}

function reportToStderr(error: unknown, ..._args: unknown[]): void {
  process.stderr.write(`groovebox:listeners a listener failed: ${(error as Error)?.stack ?? error}\n`);
}

/**
 * Reports the first failure and then every `every`th, with the count so far:
 * a listener that throws on every event must not flood the journal.
 */
export function throttledReport<A extends unknown[]>(
  report: (count: number, ...args: A) => void,
  every = 1000,
): (...args: A) => void {
  let count = 0;
  return (...args) => {
    count++;
    if (count === 1 || count % every === 0) report(count, ...args);
  };
}
