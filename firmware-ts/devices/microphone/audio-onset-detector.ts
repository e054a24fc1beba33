import type { Seconds } from '../../time/clock.js';
import type { TapHit } from '../interfaces.js';
import { BandSpectrum } from './band-spectrum.js';

/** A tap heard by the microphone: a TapHit plus what it was made from. */
export interface AudioOnset extends TapHit {
  /** The onset's peak short-time (half a millisecond) RMS level, dB re full scale. */
  level: number;
  /** How far the spectral flux rose above its threshold, in dB (a confidence). */
  strength: number;
  /** When the detector knew of it: the time just after the last sample it had been given (before latency compensation). */
  knownAt: Seconds;
}

export interface AudioOnsetOptions {
  sampleRate: number;
  /**
   * 0..1: how quiet and how small a rise still counts as a tap. It sets both the
   * gate (the quietest level heard, -45 dBFS at 0 down to -75 dBFS at 1) and the
   * margin the spectral flux must rise above its recent median (4 dB at 0 down
   * to 1 dB at 1).
   */
  sensitivity: number;
  /** The input path's measured latency (converter, driver buffers): subtracted from every onset time. */
  inputLatency: Seconds;
  /** Two onsets closer than this are one (a clap's own bursts); double strokes a 32nd apart at fast tempos stay two. */
  minInterval: Seconds;
  /** Velocity curve: level (dBFS) that gives velocity 1. */
  loudLevel: number;
  /** Velocity curve: dB below loudLevel that give minVelocity; in between velocity rises linearly with the level in dB. */
  dynamicRange: number;
  minVelocity: number;
  /** Analysis window (rounded to a power of two in samples); the hop is a quarter of it. */
  windowTime: Seconds;
  /** How much recent flux the adaptive threshold's median is taken over. */
  medianTime: Seconds;
}

export const DEFAULT_AUDIO_ONSET_OPTIONS: Readonly<Omit<AudioOnsetOptions, 'sampleRate'>> = {
  sensitivity: 0.5,
  inputLatency: 0,
  minInterval: 0.025,
  loudLevel: -6,
  dynamicRange: 30,
  minVelocity: 0.05,
  windowTime: 0.006,
  medianTime: 0.25,
};

/** Validates options once, at the edge, naming the option, what was expected and what came. */
export function audioOnsetOptions(partial: Partial<AudioOnsetOptions> & { sampleRate: number }): AudioOnsetOptions {
  const o = { ...DEFAULT_AUDIO_ONSET_OPTIONS, ...partial };
  const check = (name: keyof AudioOnsetOptions, ok: boolean, expected: string): void => {
    if (!ok) throw new RangeError(`microphone ${name}: expected ${expected}, got ${JSON.stringify(o[name])}`);
  };
  const num = (name: keyof AudioOnsetOptions): number =>
    typeof o[name] === 'number' && Number.isFinite(o[name]) ? o[name] : NaN;
  check('sampleRate', num('sampleRate') >= 8000 && num('sampleRate') <= 384000, 'a sample rate 8000..384000 Hz');
  check('sensitivity', num('sensitivity') >= 0 && num('sensitivity') <= 1, 'a number 0..1');
  check('inputLatency', num('inputLatency') >= 0 && num('inputLatency') <= 0.5, 'seconds 0..0.5');
  check('minInterval', num('minInterval') >= 0.005 && num('minInterval') <= 0.5, 'seconds 0.005..0.5');
  check('loudLevel', num('loudLevel') <= 0 && num('loudLevel') >= -90, 'dBFS -90..0');
  check('dynamicRange', num('dynamicRange') >= 1 && num('dynamicRange') <= 90, 'dB 1..90');
  check('minVelocity', num('minVelocity') >= 0 && num('minVelocity') < 1, 'a velocity 0..1');
  check('windowTime', num('windowTime') >= 0.002 && num('windowTime') <= 0.05, 'seconds 0.002..0.05');
  check('medianTime', num('medianTime') >= 0.05 && num('medianTime') <= 5, 'seconds 0.05..5');
  return o;
}

/** The velocity curve: linear in dB between loudLevel - dynamicRange (minVelocity) and loudLevel (1). */
export function velocityOfLevel(
  level: number,
  o: Pick<AudioOnsetOptions, 'loudLevel' | 'dynamicRange' | 'minVelocity'>,
): number {
  const p = Math.min(1, Math.max(0, (level - (o.loudLevel - o.dynamicRange)) / o.dynamicRange));
  return o.minVelocity + (1 - o.minVelocity) * p;
}

/** Steps of the fine envelope that places an onset inside its analysis frame. */
const ENVELOPE_STEP: Seconds = 0.0005;
/** Looking back from the onset's peak, quiet gaps shorter than this belong to the same onset (a clap's bursts). */
const MAX_GAP: Seconds = 0.003;
/** How far past the onset its peak level is looked for. */
const LEVEL_SPAN: Seconds = 0.01;
/**
 * The flux compares each band with the loudest of it and its neighbour bands
 * over the frames LAG to LAG + REFERENCE_FRAMES - 1 hops back (SuperFlux's
 * maximum filter): a decaying tail's random wobble rarely rises above its own
 * recent maximum, while a new tap rises above everything before it. A lag of
 * a full window lets a clap's bursts, a few ms apart, count as one rise.
 */
const LAG = 4;
const REFERENCE_FRAMES = 3;

/**
 * Taps in a stream of audio blocks: spectral flux of log band energies on
 * short frames (a quarter-window hop), an adaptive threshold (the median of
 * the recent flux plus a margin), peak picking one frame after the peak, then
 * the onset placed within the frame from a half-millisecond energy envelope:
 * looking back from the loudest point to where the level last rose through a
 * fifth of the way up from the quiet before it.
 *
 * Pure: no clock, no I/O. Blocks must be contiguous; each carries the time of
 * its first sample on the box's clock, and onsets come out in that clock with
 * the input latency subtracted.
 */
export class AudioOnsetDetector {
  #options: AudioOnsetOptions;
  readonly #spectrum: BandSpectrum;
  readonly #window: number;
  readonly #hop: number;
  readonly #ring: Float32Array;
  #floor: number;
  #margin: number;
  readonly #minIntervalSamples: number;
  readonly #step: number;
  readonly #power: Float64Array;
  readonly #reference: Float64Array;
  /** Band levels (dB) of the last LAG + REFERENCE_FRAMES - 1 frames, oldest first. */
  readonly #previous: Float64Array[];
  readonly #recentFlux: number[] = [];
  readonly #sortedFlux: number[] = [];
  readonly #medianFrames: number;
  /** Samples received so far. */
  #count = 0;
  #nextFrame = 0;
  #anchorIndex = 0;
  #anchorTime: Seconds = 0;
  /** The last two frames' flux and threshold, for peak picking. */
  #candidate: { start: number; flux: number; threshold: number } | null = null;
  #beforeCandidate = 0;
  #lastOnset = -Infinity;
  #lastLevel = -Infinity;

  constructor(options: Partial<AudioOnsetOptions> & { sampleRate: number }) {
    this.#options = audioOnsetOptions(options);
    const o = this.#options;
    this.#window = 2 ** Math.max(5, Math.round(Math.log2(o.windowTime * o.sampleRate)));
    this.#hop = this.#window / 4;
    this.#spectrum = new BandSpectrum(this.#window);
    this.#ring = new Float32Array(2 ** Math.ceil(Math.log2(Math.max(8 * this.#window, o.sampleRate * 0.05))));
    [this.#floor, this.#margin] = this.#gateAndMargin(o.sensitivity);
    this.#minIntervalSamples = o.minInterval * o.sampleRate;
    this.#step = Math.max(1, Math.round(ENVELOPE_STEP * o.sampleRate));
    this.#power = new Float64Array(this.#spectrum.bands);
    this.#reference = new Float64Array(this.#spectrum.bands);
    // Before the first sample there was silence: a tap right at the start is heard.
    const silence = 10 * Math.log10(this.#floor);
    this.#previous = Array.from({ length: LAG + REFERENCE_FRAMES - 1 }, () =>
      new Float64Array(this.#spectrum.bands).fill(silence),
    );
    this.#medianFrames = Math.max(3, Math.round((o.medianTime * o.sampleRate) / this.#hop));
    // The same silence in the threshold's history, so that a first tap is not measured against itself.
    for (let k = 0; k < this.#medianFrames; k++) this.#remember(0);
  }

  get options(): Readonly<AudioOnsetOptions> {
    return this.#options;
  }

  /**
   * Changes the sensitivity of a running detector (the panel's control). The
   * recent frames keep the levels they were measured with: for the next few
   * hops the flux compares against a floor that has just moved, which at
   * worst hides or adds one onset in the 20 ms after the change.
   */
  setSensitivity(sensitivity: number): void {
    this.#options = audioOnsetOptions({ ...this.#options, sensitivity });
    [this.#floor, this.#margin] = this.#gateAndMargin(sensitivity);
  }

  #gateAndMargin(sensitivity: number): [floor: number, margin: number] {
    const gate = -45 - 30 * sensitivity;
    // The gate as a band power per bin: a broadband sound at the gate level spreads its power over half the window's bins.
    return [10 ** (gate / 10) / (this.#window / 2), 1 + 3 * (1 - sensitivity)];
  }

  /** The analysis frame in samples, and its hop (for latency reasoning in the benchmark and docs). */
  get frame(): { window: number; hop: number } {
    return { window: this.#window, hop: this.#hop };
  }

  /** The level of the last onset (dBFS), for bring-up logs and the panel. */
  get lastLevel(): number {
    return this.#lastLevel;
  }

  /** Feeds a block; `time` is when its first sample was captured. Returns the onsets it completed (usually none). */
  push(samples: Float32Array, time: Seconds): AudioOnset[] {
    if (!Number.isFinite(time)) return [];
    this.#anchorIndex = this.#count;
    this.#anchorTime = time;
    const knownAt = time + samples.length / this.#options.sampleRate;
    const mask = this.#ring.length - 1;
    const out: AudioOnset[] = [];
    let read = 0;
    while (read < samples.length) {
      const wanted = Math.min(samples.length - read, this.#nextFrame + this.#window - this.#count);
      for (let i = 0; i < wanted; i++) {
        const x = samples[read + i];
        this.#ring[(this.#count + i) & mask] = Number.isFinite(x) ? x : 0;
      }
      read += wanted;
      this.#count += wanted;
      if (this.#count === this.#nextFrame + this.#window) {
        const onset = this.#frame(this.#nextFrame, knownAt);
        if (onset) out.push(onset);
        this.#nextFrame += this.#hop;
      }
    }
    return out;
  }

  #timeOf(index: number): Seconds {
    return this.#anchorTime + (index - this.#anchorIndex) / this.#options.sampleRate;
  }

  #frame(start: number, knownAt: Seconds): AudioOnset | null {
    this.#spectrum.power(this.#ring, start, this.#power);
    const levels = new Float64Array(this.#power.length);
    const reference = this.#reference.fill(-Infinity);
    const bands = levels.length;
    for (let f = 0; f < REFERENCE_FRAMES; f++) {
      const past = this.#previous[f];
      for (let b = 0; b < bands; b++)
        reference[b] = Math.max(reference[b], past[b], past[Math.max(0, b - 1)], past[Math.min(bands - 1, b + 1)]);
    }
    let flux = 0;
    for (let b = 0; b < levels.length; b++) {
      levels[b] = 10 * Math.log10(this.#power[b] + this.#floor);
      flux += Math.max(0, levels[b] - reference[b]);
    }
    flux /= bands;
    this.#previous.shift();
    this.#previous.push(levels);
    const threshold = this.#median() + this.#margin;
    this.#remember(flux);

    // The previous frame is an onset when it peaked above its threshold.
    const c = this.#candidate;
    let onset: AudioOnset | null = null;
    if (c && c.flux > c.threshold && c.flux >= this.#beforeCandidate && c.flux > flux)
      onset = this.#place(c.start, c.flux - c.threshold, knownAt);
    this.#beforeCandidate = c?.flux ?? 0;
    this.#candidate = { start, flux, threshold };
    return onset;
  }

  /** Places the onset whose flux peaked at the frame starting at `start`; null when it falls within minInterval of the last. */
  #place(start: number, strength: number, knownAt: Seconds): AudioOnset | null {
    const mask = this.#ring.length - 1;
    const step = this.#step;
    const end = this.#count;
    const from = Math.max(
      0,
      start - this.#window,
      end - this.#ring.length + step,
      Math.ceil(this.#lastOnset + this.#minIntervalSamples),
    );
    const steps = Math.floor((end - from) / step);
    if (steps < 2) return null;
    const envelope = new Float64Array(steps);
    for (let j = 0; j < steps; j++) {
      let sum = 0;
      for (let i = from + j * step, e = i + step; i < e; i++) sum += this.#ring[i & mask] ** 2;
      envelope[j] = Math.sqrt(sum / step);
    }
    // The new sound came into the frame after its first hop: its peak is there or later.
    let peak = Math.min(steps - 1, Math.max(0, Math.floor((start + this.#hop - from) / step)));
    for (let j = peak; j < steps; j++) if (envelope[j] > envelope[peak]) peak = j;
    // The quiet before the onset: a low percentile, not the minimum, which noise would drag down until a noise wobble crossed the rise.
    const before = Array.from(envelope.subarray(0, peak + 1)).sort((a, b) => a - b);
    const quiet = before[Math.floor(before.length * 0.3)];
    // A fifth of the way up, and at least 6 dB over the quiet, so that room noise does not pull the onset early.
    const rise = Math.max(2 * quiet, quiet + 0.2 * (envelope[peak] - quiet));
    let first = peak;
    for (let j = peak - 1, gap = 0; j >= 0; j--) {
      if (envelope[j] >= rise) {
        first = j;
        gap = 0;
      } else if (++gap * step > MAX_GAP * this.#options.sampleRate) {
        break;
      }
    }
    const onsetIndex = from + first * step;
    if (onsetIndex - this.#lastOnset < this.#minIntervalSamples) return null;
    let loudest = 0;
    const levelSteps = Math.ceil((LEVEL_SPAN * this.#options.sampleRate) / step);
    for (let j = first; j < Math.min(steps, first + levelSteps); j++) loudest = Math.max(loudest, envelope[j]);
    const level = 20 * Math.log10(Math.max(loudest, 1e-9));
    this.#lastOnset = onsetIndex;
    this.#lastLevel = level;
    return {
      time: this.#timeOf(onsetIndex) - this.#options.inputLatency,
      velocity: velocityOfLevel(level, this.options),
      level,
      strength,
      knownAt,
    };
  }

  #median(): number {
    const s = this.#sortedFlux;
    if (s.length === 0) return 0;
    const mid = s.length >> 1;
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  }

  #remember(flux: number): void {
    this.#recentFlux.push(flux);
    insertSorted(this.#sortedFlux, flux);
    if (this.#recentFlux.length > this.#medianFrames) removeSorted(this.#sortedFlux, this.#recentFlux.shift()!);
  }
}

function lowerBound(sorted: number[], x: number): number {
  let lo = 0,
    hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: number[], x: number): void {
  sorted.splice(lowerBound(sorted, x), 0, x);
}

function removeSorted(sorted: number[], x: number): void {
  sorted.splice(lowerBound(sorted, x), 1);
}

/**
 * The same detector over a whole recording (the offline path): fed in blocks
 * as the live input would be, times from the recording's start.
 */
export function detectOnsets(
  samples: Float32Array,
  options: Partial<AudioOnsetOptions> & { sampleRate: number },
  blockSize = 512,
): AudioOnset[] {
  const detector = new AudioOnsetDetector(options);
  const out: AudioOnset[] = [];
  for (let i = 0; i < samples.length; i += blockSize)
    out.push(...detector.push(samples.subarray(i, i + blockSize), i / detector.options.sampleRate));
  return out;
}
