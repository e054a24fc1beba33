import type { TapHit } from '../devices/interfaces.js';
import type { Unsubscribe } from '../devices/interfaces.js';
import { Listeners } from '../support/listeners.js';
import { emptyGroove, type Groove } from '../pattern/gestures.js';
import { clamp, Pattern, STEPS, STEPS_PER_BAR } from '../pattern/pattern.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import type { Clock, Seconds } from '../time/clock.js';

export type RecorderPhase = 'idle' | 'count-in' | 'recording';

/** The time frame of one take, fixed when REC is pressed. */
export interface TakeWindow {
  bpm: number;
  /** Seconds per 16th at that tempo. */
  stepDuration: Seconds;
  /** When REC was pressed (count-in runs from here to `start` when the loop was stopped). */
  armedAt: Seconds;
  /** The downbeat of the first recorded bar. */
  start: Seconds;
  /** The downbeat after the second bar. */
  end: Seconds;
}

/**
 * One stroke of any source: the pad, the microphone, a MIDI note. A MIDI
 * note may also say which drum it plays (`drum`, DRUMS order) or that it is
 * the dedicated accent note (`accent`: it marks its step, it is no tap).
 */
export interface Stroke extends TapHit {
  drum?: number;
  accent?: boolean;
  /** This stroke's velocity is meant for the accent (the paper's rule over the take): a MIDI note, by config. */
  velocityAccent?: boolean;
}

export interface Take {
  window: TakeWindow;
  /** null when nothing was tapped: the old groove stays. */
  groove: Groove | null;
  taps: number;
  /** The strokes that named a drum, as the loop they played (louder of two on a step stays); null when none did. */
  drums: Pattern | null;
  /** Steps marked by the dedicated accent note; null when it was not played. */
  accentMarks: Float32Array | null;
  /** A stroke asked for the accent from velocities (see Stroke.velocityAccent). */
  velocityAccent: boolean;
}

export interface TapRecorderOptions {
  clock: Clock;
  /** The tempo now; read once per take. */
  bpm: () => number;
  /** Extra time after the last bar to collect strokes still in the detector's scan window. */
  grace?: Seconds;
}

/**
 * REC arms; then a one-bar count-in (or, when the loop is running, the wait
 * for its next downbeat); then two bars of tapping. Each stroke goes to the
 * nearest 16th with offset = (time - grid time) / half a 16th, so +-1 is
 * half a step and positive is late, and its velocity; one voice, so when two
 * strokes land on one step the louder stays.
 */
export class TapRecorder {
  readonly #clock: Clock;
  readonly #bpm: () => number;
  readonly #grace: Seconds;
  readonly #listeners = new Listeners<[Take]>();
  #window: TakeWindow | null = null;
  #groove: Groove = emptyGroove();
  #taps = 0;
  #drums: Pattern | null = null;
  #accentMarks: Float32Array | null = null;
  #velocityAccent = false;
  #cancelFinish: (() => void) | null = null;

  constructor(options: TapRecorderOptions) {
    this.#clock = options.clock;
    this.#bpm = options.bpm;
    this.#grace = options.grace ?? 0.05;
  }

  /**
   * Starts a take. `nextDownbeat`: the running loop's next bar-1 downbeat
   * (recording starts there, no count-in); omit it when stopped.
   */
  arm(nextDownbeat?: Seconds | null): TakeWindow {
    this.cancel();
    const bpm = this.#bpm();
    if (!(bpm >= 20 && bpm <= 400)) throw new RangeError(`tap recorder tempo: expected 20..400 BPM, got ${bpm}`);
    const now = this.#clock.now();
    const stepDuration = 60 / bpm / 4;
    const bar = stepDuration * STEPS_PER_BAR;
    const start = nextDownbeat != null && nextDownbeat >= now ? nextDownbeat : now + bar;
    const window: TakeWindow = { bpm, stepDuration, armedAt: now, start, end: start + STEPS * stepDuration };
    this.#window = window;
    this.#groove = emptyGroove();
    this.#taps = 0;
    this.#drums = null;
    this.#accentMarks = null;
    this.#velocityAccent = false;
    this.#cancelFinish = this.#clock.setTimeout(() => this.#finish(), window.end + this.#grace - now);
    return window;
  }

  /**
   * Delivers the take now if its last bar is over (only the grace for strokes
   * still being scanned is left); returns whether it did.
   */
  finishIfOver(now: Seconds = this.#clock.now()): boolean {
    if (!this.#window || now < this.#window.end) return false;
    this.#cancelFinish?.();
    this.#finish();
    return true;
  }

  /** Drops the take in progress without touching the groove. */
  cancel(): void {
    this.#cancelFinish?.();
    this.#cancelFinish = null;
    this.#window = null;
  }

  get window(): TakeWindow | null {
    return this.#window;
  }

  phase(now: Seconds = this.#clock.now()): RecorderPhase {
    if (!this.#window) return 'idle';
    return now < this.#window.start ? 'count-in' : 'recording';
  }

  /** The groove tapped so far (for the LEDs while recording). */
  get partial(): Groove {
    return this.#groove;
  }

  /** The strokes that named a drum so far (for the LEDs and the panel while recording); null when none did. */
  get partialDrums(): Pattern | null {
    return this.#drums;
  }

  /**
   * Offers a stroke; returns true when it landed in the take. Every stroke
   * but an accent mark is a tap of the groove (the paper's groove is the
   * loudest stroke per step, whichever drum played it); one naming a drum
   * also lands on that drum's row.
   */
  hit(tap: Stroke): boolean {
    const w = this.#window;
    if (!w) return false;
    const position = (tap.time - w.start) / w.stepDuration;
    // Strokes up to half a 16th early for the first step count (they belong to it); the same amount before the end belongs to the next loop.
    if (position < -0.5 || position >= STEPS - 0.5) return false;
    const step = Math.round(position);
    const offset = clamp((position - step) * 2, -1, 1);
    const velocity = clamp(tap.velocity, 0, 1);
    if (tap.accent) {
      (this.#accentMarks ??= new Float32Array(STEPS))[step] = 1;
      return true;
    }
    const drum = tap.drum;
    if (drum !== undefined && Number.isInteger(drum) && drum >= 0 && drum < DRUM_COUNT) {
      const drums = (this.#drums ??= new Pattern());
      if (!drums.hit(step, drum) || drums.velocity(step, drum) < velocity) drums.set(step, drum, velocity, offset);
    }
    this.#taps++;
    if (tap.velocityAccent) this.#velocityAccent = true;
    if (this.#groove.hits[step] > 0.5 && this.#groove.velocities[step] >= velocity) return true;
    this.#groove.hits[step] = 1;
    this.#groove.velocities[step] = velocity;
    this.#groove.offsets[step] = offset;
    return true;
  }

  onTake(listener: (take: Take) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  #finish(): void {
    const window = this.#window;
    this.#cancelFinish = null;
    this.#window = null;
    if (!window) return;
    this.#listeners.emit({
      window,
      groove: this.#taps > 0 ? this.#groove : null,
      taps: this.#taps,
      drums: this.#drums,
      accentMarks: this.#accentMarks,
      velocityAccent: this.#velocityAccent,
    });
  }
}
