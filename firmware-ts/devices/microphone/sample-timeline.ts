import type { Seconds } from '../../time/clock.js';

/**
 * When each captured sample was taken, from when the blocks arrived. Arrival
 * times jitter (the process is scheduled late, the pipe is read late), but a
 * block can never arrive before its last sample was captured: so the
 * earliest-looking arrival of the last few seconds, minus the samples before
 * it, is the best guess of when sample 0 was taken. A sliding minimum follows
 * the card's clock drifting against the box's without passing on the jitter.
 */
export class SampleTimeline {
  readonly #sampleRate: number;
  readonly #window: Seconds;
  /** Candidate times of sample 0, with when they were seen; increasing candidates only (a monotonic deque). */
  #candidates: { origin: Seconds; seen: Seconds }[] = [];
  #samples = 0;

  constructor(sampleRate: number, window: Seconds = 2) {
    this.#sampleRate = sampleRate;
    this.#window = window;
  }

  /** A block of `count` samples arrived at `arrival`; returns the capture time of its first sample. */
  add(count: number, arrival: Seconds): Seconds {
    const first = this.#samples;
    this.#samples += count;
    const origin = arrival - this.#samples / this.#sampleRate;
    while (this.#candidates.length > 0 && this.#candidates[this.#candidates.length - 1].origin >= origin)
      this.#candidates.pop();
    this.#candidates.push({ origin, seen: arrival });
    while (this.#candidates.length > 1 && arrival - this.#candidates[0].seen > this.#window) this.#candidates.shift();
    return this.#candidates[0].origin + first / this.#sampleRate;
  }
}
