import type { Seconds } from '../../time/clock.js';
import type { TapHit } from '../interfaces.js';

/**
 * Onset detection as e-drum trigger modules do it. All levels are fractions
 * of the ADC's full scale (0..1).
 */
export interface OnsetOptions {
  /** Minimum level above the noise floor that starts a stroke. */
  threshold: number;
  /** After the threshold crossing, how long to look for the peak (the velocity). */
  scanTime: Seconds;
  /** After a stroke begins, how long nothing can start another (the piezo is still ringing). */
  maskTime: Seconds;
  /** After the mask, a new stroke must exceed this fraction of the last peak, decaying with `retriggerDecay`. */
  retriggerRatio: number;
  retriggerDecay: Seconds;
  /** The level a full-strength stroke reaches (3.3 V clamp at +-4.096 V = 0.8). */
  fullScale: number;
  /** Velocity curve: v = minVelocity + (1 - minVelocity) * p^gamma, p = peak's position between threshold and full scale. gamma < 1 = more sensitive. */
  gamma: number;
  minVelocity: number;
  /** The threshold rises to this many times the measured noise (mean deviation), so a noisy input does not trigger. */
  noiseMultiplier: number;
  /** How fast the noise floor follows the input. */
  floorTime: Seconds;
  /** Nothing triggers for this long after the first sample: the floor is still being measured. */
  warmupTime: Seconds;
}

export const DEFAULT_ONSET_OPTIONS: Readonly<OnsetOptions> = {
  threshold: 0.04,
  scanTime: 0.003,
  maskTime: 0.04,
  retriggerRatio: 0.6,
  retriggerDecay: 0.04,
  fullScale: 0.8,
  gamma: 0.8,
  minVelocity: 0.05,
  noiseMultiplier: 4,
  floorTime: 0.5,
  warmupTime: 0.25,
};

/** Validates options once, at the edge, naming the option, what was expected and what came. */
export function onsetOptions(partial: Partial<OnsetOptions> = {}): OnsetOptions {
  const o = { ...DEFAULT_ONSET_OPTIONS, ...partial };
  const check = (name: keyof OnsetOptions, ok: boolean, expected: string): void => {
    if (!ok) throw new RangeError(`tap pad ${name}: expected ${expected}, got ${JSON.stringify(partial[name])}`);
  };
  const num = (name: keyof OnsetOptions): number =>
    typeof o[name] === 'number' && Number.isFinite(o[name]) ? o[name] : NaN;
  check('threshold', num('threshold') > 0 && num('threshold') < 1, 'a level between 0 and 1');
  check('scanTime', num('scanTime') >= 0 && num('scanTime') <= 0.02, 'seconds 0..0.02');
  check('maskTime', num('maskTime') >= num('scanTime') && num('maskTime') <= 0.5, 'seconds between scanTime and 0.5');
  check('retriggerRatio', num('retriggerRatio') >= 0 && num('retriggerRatio') <= 1, 'a fraction 0..1');
  check('retriggerDecay', num('retriggerDecay') > 0, 'seconds > 0');
  check(
    'fullScale',
    num('fullScale') > num('threshold') && num('fullScale') <= 1,
    'a level above threshold, at most 1',
  );
  check('gamma', num('gamma') > 0 && num('gamma') <= 5, 'an exponent 0..5');
  check('minVelocity', num('minVelocity') >= 0 && num('minVelocity') < 1, 'a velocity 0..1');
  check('noiseMultiplier', num('noiseMultiplier') >= 0, 'a number >= 0');
  check('floorTime', num('floorTime') > 0, 'seconds > 0');
  check('warmupTime', num('warmupTime') >= 0, 'seconds >= 0');
  return o;
}

type Phase = 'armed' | 'scanning' | 'masked' | 'rearming';

/**
 * Turns a sample stream into strokes. Feed every sample in time order; a
 * stroke comes out once its scan window has passed, stamped with the time of
 * the sample that crossed the threshold. Pure: no clock, no I/O.
 *
 * Phantom-tap guards: the threshold sits on top of a slowly tracked floor
 * (so a stuck or offset input raises its own threshold), grows with the
 * measured noise, and after each stroke the input must fall back below half
 * the threshold before another can start (a stuck-high input never does).
 */
export class OnsetDetector {
  readonly options: OnsetOptions;
  #phase: Phase = 'armed';
  #firstTime: Seconds | null = null;
  #lastTime: Seconds | null = null;
  #floor = 0;
  #noise = 0;
  #onset: Seconds = 0;
  #onsetThreshold = 0;
  #peak = 0;
  #lastPeak = 0;
  #lastOnset = -Infinity;
  #tracked = 0;

  constructor(options: Partial<OnsetOptions> = {}) {
    this.options = onsetOptions(options);
  }

  /** The level a stroke must reach now. */
  threshold(time: Seconds): number {
    const o = this.options;
    const base = this.#floor + Math.max(o.threshold, o.noiseMultiplier * this.#noise);
    const retrigger = this.#lastPeak * o.retriggerRatio * Math.exp(-(time - this.#lastOnset) / o.retriggerDecay);
    return Math.max(base, retrigger);
  }

  /** The peak level of the last stroke, the one its velocity came from (for bring-up logs). */
  get lastPeak(): number {
    return this.#lastPeak;
  }

  /** The floor the detector has measured (useful for diagnosing a stuck input). */
  get floor(): number {
    return this.#floor;
  }

  push(level: number, time: Seconds): TapHit | null {
    const o = this.options;
    if (!Number.isFinite(level) || !Number.isFinite(time)) return null;
    if (this.#lastTime !== null && time < this.#lastTime) return null; // out of order: a driver bug, never a stroke
    const dt = this.#lastTime === null ? 0 : time - this.#lastTime;
    this.#lastTime = time;
    if (this.#firstTime === null) this.#firstTime = time;

    if (this.#phase === 'scanning') {
      this.#peak = Math.max(this.#peak, level);
      if (time - this.#onset < o.scanTime) return null;
      return this.#emit();
    }
    if (this.#phase === 'masked') {
      if (time - this.#onset < o.maskTime) return null;
      this.#phase = 'rearming';
    }
    // Only quiet-time samples move the floor; strokes are too short to drag it far.
    this.#track(level, dt);
    if (this.#phase === 'rearming') {
      if (level >= this.#floor + this.options.threshold / 2) return null;
      this.#phase = 'armed';
    }
    if (time - this.#firstTime < o.warmupTime) return null;
    const needed = this.threshold(time);
    if (level < needed) return null;
    this.#phase = 'scanning';
    this.#onset = time;
    this.#onsetThreshold = needed;
    this.#peak = level;
    return o.scanTime === 0 ? this.#emit() : null;
  }

  #emit(): TapHit {
    const o = this.options;
    this.#phase = 'masked';
    this.#lastPeak = this.#peak;
    this.#lastOnset = this.#onset;
    const p = Math.min(1, Math.max(0, (this.#peak - this.#onsetThreshold) / (o.fullScale - this.#onsetThreshold)));
    return { time: this.#onset, velocity: o.minVelocity + (1 - o.minVelocity) * p ** o.gamma };
  }

  #track(level: number, dt: Seconds): void {
    // A plain running mean at first (exact over the warm-up), a slow exponential average after.
    this.#tracked++;
    const a = Math.max(1 - Math.exp(-dt / this.options.floorTime), 1 / this.#tracked);
    const deviation = Math.abs(level - this.#floor);
    this.#floor += a * (level - this.#floor);
    this.#noise += a * (deviation - this.#noise);
  }
}
