import type { Sequencer } from '../../sequencer/sequencer.js';
import { PULSES_PER_STEP } from '../../sequencer/sequencer.js';
import { STEPS_PER_BEAT } from '../../sequencer/tempo.js';
import type { Seconds } from '../../time/clock.js';
import type { MidiInput } from './midi-input.js';

/** Longer than four pulses at 40 BPM, the slowest tempo the box plays. */
const PAUSE: Seconds = 0.25;

export interface ClockFollowerOptions {
  input: MidiInput;
  sequencer: Sequencer;
  /** Pulses averaged for the tempo estimate (24 = one beat): more is steadier, fewer follows faster. */
  window?: number;
}

/**
 * Slave mode: tempo from the incoming MIDI clock, start/stop/continue from the
 * master. The sequencer keeps its own look-ahead, so the box starts at the
 * first pulse after Start plus half a 16th (the window early hits need); it
 * follows the master's tempo, not its phase. The tempo comes from the input's
 * own arrival stamps where it has them: a pulse this thread sees 30 ms late
 * (a garbage collection) would otherwise move a one-beat estimate by 6 %.
 */
export class MidiClockFollower {
  readonly #sequencer: Sequencer;
  readonly #window: number;
  readonly #unsubscribe: () => void;
  readonly #pulseTimes: Seconds[] = [];
  #armed: 'start' | 'continue' | null = null;
  #pulses = 0;

  constructor(options: ClockFollowerOptions) {
    this.#sequencer = options.sequencer;
    this.#window = Math.max(2, Math.round(options.window ?? 24));
    this.#unsubscribe = options.input.onMessage((bytes, time, deviceTime) => this.#onMessage(bytes, time, deviceTime));
  }

  /** The master's tempo estimate, or null before two pulses. */
  get bpm(): number | null {
    const t = this.#pulseTimes;
    if (t.length < 2) return null;
    const pulse = (t[t.length - 1] - t[0]) / (t.length - 1);
    return 60 / (pulse * PULSES_PER_STEP * STEPS_PER_BEAT);
  }

  close(): void {
    this.#unsubscribe();
  }

  #onMessage(bytes: readonly number[], time: Seconds, deviceTime: Seconds | undefined): void {
    switch (bytes[0]) {
      case 0xf8: {
        const stamp = deviceTime ?? time;
        // A master that paused its clock: the estimate starts again rather than averaging over the pause.
        const last = this.#pulseTimes[this.#pulseTimes.length - 1];
        if (last !== undefined && stamp - last > PAUSE) this.#pulseTimes.length = 0;
        this.#pulseTimes.push(stamp);
        if (this.#pulseTimes.length > this.#window + 1) this.#pulseTimes.shift();
        this.#pulses++;
        const bpm = this.bpm;
        // Re-tempo once per 16th, not per pulse: the estimate moves slowly anyway.
        if (bpm !== null && this.#pulses % PULSES_PER_STEP === 0) this.#sequencer.setTempo(bpm);
        if (this.#armed) {
          if (bpm !== null) this.#sequencer.setTempo(bpm);
          if (this.#armed === 'start') this.#sequencer.start(time);
          else this.#sequencer.continue(time);
          this.#armed = null;
        }
        return;
      }
      case 0xfa:
        this.#sequencer.stop();
        this.#armed = 'start';
        return;
      case 0xfb:
        this.#armed = 'continue';
        return;
      case 0xfc:
        this.#armed = null;
        this.#sequencer.stop(time);
        return;
    }
  }
}
