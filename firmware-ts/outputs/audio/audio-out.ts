import type { SequencerEvent } from '../../sequencer/events.js';
import type { Sequencer } from '../../sequencer/sequencer.js';
import type { Clock, Seconds } from '../../time/clock.js';
import { playDrum, type Voice } from './drum-kit.js';

export interface AudioOutOptions {
  context: BaseAudioContext;
  /**
   * The sequencer's clock. Given: sequencer times are converted to context time
   * through an anchor pair (clock.now(), context.currentTime) taken at each
   * start/continue. Omitted: the two clocks are the same (offline rendering).
   */
  clock?: Clock;
  /** Master gain 0..1. */
  gain?: number;
  log?: (message: string) => void;
}

/**
 * Sequencer events -> the synthesised kit, scheduled ahead on the AudioContext
 * clock, so onsets are sample-accurate whatever the main thread is doing.
 */
export class AudioOut {
  readonly #ctx: BaseAudioContext;
  readonly #clock?: Clock;
  readonly #master: GainNode;
  #voices: Voice[] = [];
  /** contextTime = sequencerTime + #shift. */
  #shift = 0;
  #late = 0;

  constructor(options: AudioOutOptions) {
    this.#ctx = options.context;
    this.#clock = options.clock;
    const gain = options.gain ?? 0.8;
    if (!(gain >= 0 && gain <= 1)) throw new RangeError(`gain: expected 0..1, got ${gain}`);
    this.#master = this.#ctx.createGain();
    this.#master.gain.value = gain;
    this.#master.connect(this.#ctx.destination);
    this.#anchor();
  }

  get context(): BaseAudioContext {
    return this.#ctx;
  }

  /** Notes that arrived after their time (played at once instead). */
  get late(): number {
    return this.#late;
  }

  /** The explicit clock conversion: a sequencer time in AudioContext seconds. */
  toContextTime(t: Seconds): number {
    return t + this.#shift;
  }

  attach(sequencer: Sequencer): () => void {
    return sequencer.on((event) => this.handle(event));
  }

  handle(event: SequencerEvent): void {
    switch (event.type) {
      case 'start':
      case 'continue':
        this.#anchor();
        return;
      case 'note': {
        const when = this.toContextTime(event.time);
        const now = this.#ctx.currentTime;
        if (when < now) this.#late++;
        this.#forgetOld(now);
        this.#voices.push(playDrum(this.#ctx, this.#master, event.drum, Math.max(when, now), event.velocity));
        return;
      }
      case 'stop': {
        // Voices not yet begun are cancelled; those already sounding ring out (drums decay by themselves).
        const at = this.toContextTime(event.time);
        for (const voice of this.#voices) {
          if (voice.when > at) for (const s of voice.sources) s.stop(0);
        }
        this.#voices = this.#voices.filter((v) => v.when <= at);
        return;
      }
      case 'pulse':
        return;
    }
  }

  #anchor(): void {
    // Both clocks read back to back; the context clock moves in 128-sample blocks, so this is good to about one block.
    if (this.#clock) this.#shift = this.#ctx.currentTime - this.#clock.now();
  }

  #forgetOld(now: number): void {
    if (this.#voices.length < 64) return;
    this.#voices = this.#voices.filter((v) => v.when > now - 2);
  }
}
