import type { Clock, Seconds } from '../../time/clock.js';

export interface SendLoopOptions {
  clock: Clock;
  /**
   * Real time only: after the coarse timer, poll with setImmediate and spin the
   * last fraction of a millisecond. Must be false on an OfflineClock (its now()
   * does not move by itself, a spin would never end).
   */
  precise?: boolean;
  /** How long before an item the coarse timer wakes (timers are late by about a millisecond under load). */
  wakeEarly?: Seconds;
  /** Within this of the due time the loop busy-waits instead of yielding. */
  spinWindow?: Seconds;
}

export interface SendItem {
  at: Seconds;
  run: () => void;
}

/**
 * How long one poll spins before it yields to messages and timers. A message
 * or timer that comes in the last 2 ms before a send waits up to this plus
 * the spin window: harmless, since events arrive 100 ms ahead and a stop
 * arrives already due. Each yield allocates, so longer slices make less
 * garbage on the timing thread (docs/performance-history.md has the figures).
 */
const POLL_SLICE: Seconds = 0.0005;
/**
 * Between two clock readings of a spin: a few microseconds at most, well
 * inside the send error we aim for. performance.now() allocates a number each
 * call; read back to back it was most of the garbage.
 */
const PAUSE_LOADS = 250;
const PAUSE_CELL = new Int32Array(1);

interface Queued extends SendItem {
  seq: number;
}

/**
 * Runs callbacks at their time on the main thread, as exactly as it can: a
 * timer to about 2 ms before, then setImmediate polling, then a short spin.
 * MIDI has no timestamps, so this loop *is* the timing of the MIDI output.
 * Keep anything slow off the main thread while it runs.
 */
export class SendLoop {
  readonly #clock: Clock;
  readonly #precise: boolean;
  readonly #wakeEarly: Seconds;
  readonly #spinWindow: Seconds;
  readonly #heap: Queued[] = [];
  #seq = 0;
  #cancelTimer: (() => void) | null = null;
  #timerAt = Infinity;
  #immediate: NodeJS.Immediate | null = null;
  #firing = false;
  #onError: (error: unknown) => void;

  constructor(options: SendLoopOptions & { onError?: (error: unknown) => void }) {
    this.#clock = options.clock;
    this.#precise = options.precise ?? false;
    this.#wakeEarly = options.wakeEarly ?? 0.002;
    this.#spinWindow = options.spinWindow ?? 0.0003;
    this.#onError =
      options.onError ?? ((e) => process.stderr.write(`groovebox:midi send failed: ${(e as Error)?.message ?? e}\n`));
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Time of the earliest queued item, or Infinity. */
  nextAt(): Seconds {
    return this.#heap[0]?.at ?? Infinity;
  }

  /** Queues `run` for time `at`; items at the same time run in the order they were queued. */
  schedule(at: Seconds, run: () => void): SendItem {
    const item: Queued = { at, run, seq: this.#seq++ };
    this.#push(item);
    if (!this.#firing && this.#heap[0] === item) this.#wake();
    return item;
  }

  /** Removes and returns every queued item due after `t` (for stop). */
  removeAfter(t: Seconds): SendItem[] {
    const kept: Queued[] = [];
    const removed: Queued[] = [];
    for (const item of this.#heap) (item.at > t ? removed : kept).push(item);
    this.#heap.length = 0;
    for (const item of kept.sort(compare)) this.#heap.push(item); // a sorted array is a valid heap
    removed.sort(compare);
    this.#wake();
    return removed;
  }

  clear(): void {
    this.#heap.length = 0;
    this.#disarm();
  }

  #disarm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#timerAt = Infinity;
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = null;
  }

  #wake = (): void => {
    const next = this.#heap[0];
    if (!next) {
      this.#disarm();
      return;
    }
    const delta = next.at - this.#clock.now();
    if (!this.#precise) {
      if (delta > 0) return this.#armTimer(next.at, delta);
      return this.#fireDue();
    }
    if (delta > this.#wakeEarly) return this.#armTimer(next.at - this.#wakeEarly, delta - this.#wakeEarly);
    if (delta > this.#spinWindow) {
      // Spin a short slice, then yield to I/O; the last stretch is spun below.
      // Polling with a setImmediate per clock reading made so much garbage that
      // the timing thread ran young-generation collections many times a second.
      this.#spinUntil(Math.min(next.at - this.#spinWindow, this.#clock.now() + POLL_SLICE));
      this.#cancelTimer?.();
      this.#cancelTimer = null;
      this.#timerAt = Infinity;
      this.#immediate ??= setImmediate(this.#poll);
      return;
    }
    this.#spinUntil(next.at); // at most spinWindow
    this.#fireDue();
  };

  /** Busy-waits; reads the clock only every PAUSE_LOADS loads, since each read allocates. */
  #spinUntil(t: Seconds): void {
    while (this.#clock.now() < t) {
      for (let i = 0; i < PAUSE_LOADS; i++) Atomics.load(PAUSE_CELL, 0);
    }
  }

  readonly #poll = (): void => {
    this.#immediate = null;
    this.#wake();
  };

  #armTimer(at: Seconds, delay: Seconds): void {
    if (this.#cancelTimer && this.#timerAt <= at) return;
    this.#disarm();
    this.#timerAt = at;
    this.#cancelTimer = this.#clock.setTimeout(() => {
      this.#cancelTimer = null;
      this.#timerAt = Infinity;
      this.#wake();
    }, delay);
  }

  #fireDue(): void {
    this.#firing = true;
    try {
      const now = this.#clock.now();
      while (this.#heap.length > 0 && this.#heap[0].at <= now) {
        const item = this.#pop()!;
        try {
          item.run();
        } catch (error) {
          this.#onError(error);
        }
      }
    } finally {
      this.#firing = false;
    }
    this.#wake();
  }

  #push(item: Queued): void {
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(h[parent], h[i]) <= 0) break;
      [h[parent], h[i]] = [h[i], h[parent]];
      i = parent;
    }
  }

  #pop(): Queued | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && compare(h[l], h[m]) < 0) m = l;
        if (r < h.length && compare(h[r], h[m]) < 0) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

function compare(a: Queued, b: Queued): number {
  return a.at - b.at || a.seq - b.seq;
}
