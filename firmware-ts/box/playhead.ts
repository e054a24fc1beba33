import { STEPS } from '../pattern/pattern.js';
import type { Unsubscribe } from '../devices/interfaces.js';
import type { SequencerEvent } from '../sequencer/events.js';
import { PULSES_PER_STEP, type Sequencer } from '../sequencer/sequencer.js';
import type { Seconds } from '../time/clock.js';
import type { ChangeSignal } from './changed.js';

/**
 * The step the loop is playing, for the LEDs and the panel. The sequencer
 * hands out pulses ahead of time; the playhead moves when their time comes.
 */
export class Playhead {
  readonly #changed: ChangeSignal;
  /** Downbeats of 16ths handed out by the sequencer and not yet reached: [time, position]. */
  #upcoming: [Seconds, number][] = [];
  #step: number | null = null;

  constructor(changed: ChangeSignal) {
    this.#changed = changed;
  }

  /** The step (0..31) playing now; null when stopped. */
  get step(): number | null {
    return this.#step;
  }

  /** Follows the sequencer's events. */
  attach(sequencer: Sequencer): Unsubscribe {
    return sequencer.on((event) => this.#hear(event));
  }

  #hear(event: SequencerEvent): void {
    if (event.type === 'pulse' && event.pulse % PULSES_PER_STEP === 0)
      this.#upcoming.push([event.time, event.pulse / PULSES_PER_STEP]);
    else if (event.type === 'stop') {
      this.#upcoming = [];
      this.#step = null;
      this.#changed.raise();
    } else if (event.type === 'start' || event.type === 'continue') {
      this.#upcoming = [];
    }
  }

  /** Moves to the latest 16th whose time has come. */
  advance(now: Seconds): void {
    while (this.#upcoming.length > 0 && this.#upcoming[0][0] <= now) {
      const step = ((this.#upcoming.shift()![1] % STEPS) + STEPS) % STEPS;
      if (step !== this.#step) {
        this.#step = step;
        this.#changed.raise();
      }
    }
  }
}
