import type { Clock, Seconds } from '../../time/clock.js';
import { Listeners, type Unsubscribe } from '../../support/listeners.js';
import type { AudioBlock, AudioInput } from './audio-input.js';

export interface FakeAudioInputOptions {
  clock: Clock;
  sampleRate?: number;
  /** Samples per block (the ALSA period). */
  blockSize?: number;
}

/**
 * A sound card as a test instrument: every block period of the injected
 * clock it delivers the next block of what was `play`ed (silence when nothing
 * is queued), stamped as captured one period earlier, as a real card's
 * period is. `unplug` ends capture as a pulled USB microphone does.
 */
export class FakeAudioInput implements AudioInput {
  readonly sampleRate: number;
  readonly blockSize: number;
  readonly #clock: Clock;
  readonly #blocks = new Listeners<[AudioBlock]>();
  readonly #ends = new Listeners<[Error]>();
  #queue: Float32Array[] = [];
  #cancel: (() => void) | null = null;
  #closed = false;
  blocksDelivered = 0;
  lastBlock: AudioBlock | null = null;

  constructor(options: FakeAudioInputOptions) {
    this.#clock = options.clock;
    this.sampleRate = options.sampleRate ?? 48000;
    this.blockSize = options.blockSize ?? 128;
    if (!Number.isInteger(this.blockSize) || this.blockSize < 1)
      throw new RangeError(`fake audio input blockSize: expected a whole number >= 1, got ${this.blockSize}`);
  }

  get blockDuration(): Seconds {
    return this.blockSize / this.sampleRate;
  }

  /** Queues samples to be captured after what is already queued. */
  play(samples: Float32Array): void {
    if (this.#closed) throw new Error('fake audio input: play after close');
    this.#queue.push(samples.slice());
  }

  /** Samples still to be delivered. */
  get queued(): number {
    return this.#queue.reduce((n, q) => n + q.length, 0);
  }

  /** Starts the periodic delivery (the first block comes one period from now). */
  start(): void {
    if (this.#closed) throw new Error('fake audio input: start after close');
    if (this.#cancel) return;
    const tick = (): void => {
      this.#cancel = this.#clock.setTimeout(tick, this.blockDuration);
      this.#deliver();
    };
    this.#cancel = this.#clock.setTimeout(tick, this.blockDuration);
  }

  /** Capture ends by itself, as when the microphone is pulled. */
  unplug(reason = 'device removed'): void {
    this.#stop();
    this.#ends.emit(new Error(`audio input ended: ${reason}`));
  }

  onBlock(listener: (block: AudioBlock) => void): Unsubscribe {
    return this.#blocks.add(listener);
  }

  onEnd(listener: (error: Error) => void): Unsubscribe {
    return this.#ends.add(listener);
  }

  async close(): Promise<void> {
    this.#stop();
    this.#closed = true;
    this.#blocks.clear();
    this.#ends.clear();
  }

  #stop(): void {
    this.#cancel?.();
    this.#cancel = null;
  }

  #deliver(): void {
    const samples = new Float32Array(this.blockSize);
    let filled = 0;
    while (filled < this.blockSize && this.#queue.length > 0) {
      const head = this.#queue[0];
      const n = Math.min(head.length, this.blockSize - filled);
      samples.set(head.subarray(0, n), filled);
      filled += n;
      if (n === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(n);
    }
    const block = { samples, time: this.#clock.now() - this.blockDuration };
    this.blocksDelivered++;
    this.lastBlock = block;
    this.#blocks.emit(block);
  }
}
