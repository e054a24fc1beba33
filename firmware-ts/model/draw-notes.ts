/**
 * The step decoder's notes, drawn in plain JS from its raw outputs: which drums play
 * (forced where given, sampled or thresholded elsewhere), then each note's velocity and
 * offset around the model's likeliest value, then the loop fitted to the gestures the
 * performer gave, so that the loop's own groove and accents are the ones given, and the
 * notes under each tap placed by the model's under-tap network where it has one.
 */
import { DRUM_COUNT } from '../pattern/drums.js';
import { givenDrumRows, type Gestures } from '../pattern/gesture-layout.js';
import type { Accent } from '../pattern/gestures.js';
import { STEPS } from '../pattern/pattern.js';
import { FEATURES } from '../pattern/tensor-layout.js';
import { MIN_SCALE, STEP_OUTPUT_WIDTH } from './step-decoder.js';
import {
  inputFromSteps,
  loopSteps,
  UNDER_TAP_FEATURES,
  UNDER_TAP_OUTPUTS,
  type LoopView,
  type UnderTapPredictor,
} from './under-tap.js';
import { calibrateVelocity, type VelocityCalibration } from './velocity-calibration.js';

/** How notes are drawn from a decoder's output (the LSTM decoder reads the first three). */
export interface NoteDrawOptions {
  /** Hits: thresholded at 0.5 (default) or sampled with a temperature. */
  hits?: 'threshold' | 'sample';
  /**
   * Play the given score exactly: while decoding, the hits of every given drum
   * (a `drums` row, or all nine from `score`) are forced to the given ones and
   * fed back as such, so the model writes velocity and timing for them and
   * fits the other drums around them. Off by default (the evaluation measures
   * the model's own fidelity); the box turns it on: the score is what to play.
   */
  keepGiven?: boolean;
  hitTemperature?: number;
  /**
   * Step decoder only: scale of the spread sampled around each note's most
   * likely velocity and offset (1 = the spread the model learned, 0 = always the
   * most likely value). Default 0 where a groove is given, else 1.
   */
  valueTemperature?: number;
  /**
   * Step decoder only, when a groove is given: play where the groove has a hit
   * and nowhere else (a step the model left empty gets its likeliest drum; a hit
   * off the groove is dropped unless it is a given drum's). Default true: the
   * tapped rhythm is what the performer asked for.
   */
  followGroove?: boolean;
  /**
   * Step decoder only, when an accent is given: the loop's accents (the paper's rule: a
   * note louder than its drum's mean + one std) are made the given ones: an accented
   * step's likeliest-to-be-loud note is raised past that line, notes on other steps are
   * kept below it. Default true.
   */
  followAccent?: boolean;
  /**
   * Step decoder only, with no groove given: each note's velocity goes through the
   * model's velocity calibration where it has one (velocity-calibration.ts). Default true.
   */
  calibrateVelocities?: boolean;
  /**
   * Step decoder only, when a groove is given: the notes that share a tapped step with the
   * note carrying the tap get their offset and velocity from the model's under-tap network
   * (under-tap.ts) where it has one, around the tap. Default true.
   */
  underTap?: boolean;
}

/** What a model fitted beside its weights for drawing notes (each optional). */
export interface DrawingFits {
  calibration?: VelocityCalibration | null;
  underTap?: UnderTapPredictor | null;
}

/** Hits to force while decoding, per request, step and drum (index (k * 32 + step) * 9 + drum). */
export interface ForcedHits {
  mask: Uint8Array;
  value: Uint8Array;
}

/** The given drums' hits of every request (a `drums` row where given, else all nine from `score`). */
export function givenHits(requests: Gestures[]): ForcedHits {
  const size = STEPS * DRUM_COUNT;
  const mask = new Uint8Array(requests.length * size);
  const value = new Uint8Array(requests.length * size);
  requests.forEach((g, k) => {
    givenDrumRows(g).forEach((row, d) => {
      if (!row) return;
      for (let step = 0; step < STEPS; step++) {
        const cell = k * size + step * DRUM_COUNT + d;
        mask[cell] = 1;
        value[cell] = row[step] > 0.5 ? 1 : 0;
      }
    });
  });
  return { mask, value };
}

/** A draw from the standard Laplace distribution from a uniform in [0, 1). */
function laplace(u: number): number {
  const c = Math.min(Math.max(u, 1e-7), 1 - 1e-7) - 0.5;
  return -Math.sign(c) * Math.log(1 - 2 * Math.abs(c));
}

/**
 * Turns the step decoder's raw outputs [n, 32, 45] into pattern tensors [n, 32, 27]:
 * hits (forced, sampled or thresholded, then fitted to a given groove), then each
 * played note's velocity and offset drawn around the model's most likely value
 * (velocities through the calibration where no groove is given; the notes under a tap
 * around the under-tap network's values where a groove is given).
 */
export function drawSteps(
  raw: Float32Array,
  requests: Gestures[],
  options: NoteDrawOptions,
  rand: () => number,
  fits: DrawingFits = {},
): Float32Array {
  const calibration = fits.calibration ?? null;
  const underTap = (options.underTap ?? true) ? (fits.underTap ?? null) : null;
  const n = requests.length;
  const forced = options.keepGiven ? givenHits(requests) : null;
  // The drums left to the model are drawn at the rate it learned (thresholding plays only its surest
  // notes: sparse loops, soft hats); the given drums are read at their likeliest.
  const sampleHits = (options.hits ?? 'sample') === 'sample';
  const hitTemperature = options.hitTemperature ?? 1;
  const followGroove = options.followGroove ?? true;
  const followAccent = options.followAccent ?? true;
  const out = new Float32Array(n * STEPS * FEATURES);
  const D = DRUM_COUNT;
  // Each note's drawn spread around its likeliest value, kept so that the notes under a tap keep theirs around the
  // under-tap network's value.
  const velocityNoise = new Float32Array(STEPS * D);
  const offsetNoise = new Float32Array(STEPS * D);
  for (let k = 0; k < n; k++) {
    const groove = followGroove ? (requests[k].groove ?? null) : null;
    const given = givenDrumRows(requests[k]).map((row) => row !== null);
    // With a groove given, the taps are the feel: the other notes sit where the model finds them
    // likeliest around it. Without one, the model's own spread is the feel.
    const valueTemperature = options.valueTemperature ?? (requests[k].groove ? 0 : 1);
    // A tapped groove is the performer's own dynamics; without one, the model's are mapped to the drummers'.
    const velocityMap = !requests[k].groove && (options.calibrateVelocities ?? true) ? calibration : null;
    for (let t = 0; t < STEPS; t++) {
      const r = (k * STEPS + t) * STEP_OUTPUT_WIDTH;
      const o = (k * STEPS + t) * FEATURES;
      const isForced = (d: number) => forced !== null && forced.mask[(k * STEPS + t) * D + d] === 1;
      // Uniforms drawn in a fixed order per cell, so a seed gives the same loop whatever is decided.
      const u = Array.from({ length: 3 * D }, rand);
      let any = false;
      for (let d = 0; d < D; d++) {
        const logit = raw[r + d];
        let hit: number;
        if (isForced(d)) hit = forced!.value[(k * STEPS + t) * D + d];
        else if (sampleHits && !given[d]) hit = u[d] < sigmoid(logit / hitTemperature) ? 1 : 0;
        else hit = logit > 0 ? 1 : 0;
        if (groove && !isForced(d) && groove.hits[t] <= 0.5) hit = 0;
        out[o + d] = hit;
        any ||= hit === 1;
      }
      if (groove && groove.hits[t] > 0.5 && !any) {
        let best = -1;
        for (let d = 0; d < D; d++) if (!isForced(d) && (best < 0 || raw[r + d] > raw[r + best])) best = d;
        if (best >= 0) out[o + best] = 1;
      }
      for (let d = 0; d < D; d++) {
        if (!out[o + d]) continue;
        velocityNoise[t * D + d] = valueTemperature * softplusScale(raw[r + 2 * D + d]) * laplace(u[D + d]);
        offsetNoise[t * D + d] = valueTemperature * softplusScale(raw[r + 4 * D + d]) * laplace(u[2 * D + d]);
        const velocity = raw[r + D + d] + velocityNoise[t * D + d];
        const offset = raw[r + 3 * D + d] + offsetNoise[t * D + d];
        const drawn = Math.min(1, Math.max(1 / 127, velocity));
        out[o + D + d] = velocityMap ? calibrateVelocity(velocityMap, d, drawn) : drawn;
        out[o + 2 * D + d] = Math.min(1, Math.max(-1, offset));
      }
    }
    const carriers = groove && underTap ? placeUnderTaps(out, k, groove, underTap, velocityNoise, offsetNoise) : null;
    const accent = followAccent ? (requests[k].accent ?? null) : null;
    if (accent) fitToAccent(out, k, accent);
    // After the accents: the groove is the exact gesture (velocity and timing), the accent a coarser one. The note the
    // network chose keeps the tap even where the accent fit raised another past it (that one goes back under it).
    if (groove) {
      for (let t = 0; t < STEPS; t++) {
        if (groove.hits[t] <= 0.5) continue;
        const o = (k * STEPS + t) * FEATURES;
        const chosen = carriers && carriers[t] >= 0 ? carriers[t] : carrierAt(out, o);
        pinToGroove(out, o, groove.velocities[t], groove.offsets[t], chosen);
      }
    }
  }
  return out;
}

/**
 * Makes a step's notes agree with the groove that was given for it. A groove is, by
 * definition, the loudest note of each step (its velocity and timing), so the note that
 * carries the tap (`loudest`: the loudest drawn one, or the under-tap network's choice)
 * plays the tapped velocity and offset exactly, and no other note is louder.
 */
function pinToGroove(out: Float32Array, o: number, velocity: number, offset: number, loudest: number): void {
  const D = DRUM_COUNT;
  if (loudest < 0) return;
  // One MIDI step softer, so that no other note ties with the loudest one.
  const softer = Math.max(1 / 127, velocity - 1 / 127);
  for (let d = 0; d < D; d++) if (out[o + d]) out[o + D + d] = Math.min(out[o + D + d], softer);
  out[o + D + loudest] = Math.max(1 / 127, velocity);
  out[o + 2 * D + loudest] = offset;
}

/** The drawn note that carries the tap at a step: the loudest (the lowest drum of a tie, as the Groove reads a pattern), or -1. */
function carrierAt(out: Float32Array, o: number): number {
  const D = DRUM_COUNT;
  let loudest = -1;
  for (let d = 0; d < D; d++) {
    if (out[o + d] && (loudest < 0 || out[o + D + d] > out[o + D + loudest])) loudest = d;
  }
  return loudest;
}

/**
 * Places the notes of each tapped step of request `k` with the under-tap network: where a step holds two or more
 * notes, the one it scores highest carries the tap (pinned to it), and each other note gets the tap's offset and
 * velocity plus the network's departure for it, plus the spread it was drawn with. A note alone carries its tap.
 * Returns the carrier chosen per step (-1 where the network chose none).
 */
function placeUnderTaps(
  out: Float32Array,
  k: number,
  groove: NonNullable<Gestures['groove']>,
  predict: UnderTapPredictor,
  velocityNoise: Float32Array,
  offsetNoise: Float32Array,
): Int8Array {
  const D = DRUM_COUNT;
  const at = (t: number) => (k * STEPS + t) * FEATURES;
  const carriers = new Int8Array(STEPS).fill(-1);
  // Read from the hits as drawn, before any note is placed.
  const loop: LoopView = { hit: (t, d) => out[at(t) + d] === 1, groove };
  const cells: number[] = [];
  for (let t = 0; t < STEPS; t++) {
    if (groove.hits[t] <= 0.5) continue;
    let notes = 0;
    for (let d = 0; d < D; d++) notes += out[at(t) + d];
    if (notes >= 2) for (let d = 0; d < D; d++) if (out[at(t) + d]) cells.push(t * D + d);
  }
  if (cells.length === 0) return carriers;
  const steps = loopSteps(loop);
  const x = new Float32Array(cells.length * UNDER_TAP_FEATURES);
  cells.forEach((cell, i) =>
    inputFromSteps(
      steps,
      Math.floor(cell / D),
      cell % D,
      x.subarray(i * UNDER_TAP_FEATURES, (i + 1) * UNDER_TAP_FEATURES),
    ),
  );
  const predicted = predict(x, cells.length);
  const best = new Float32Array(STEPS).fill(-Infinity);
  cells.forEach((cell, i) => {
    const t = Math.floor(cell / D);
    const score = predicted[i * UNDER_TAP_OUTPUTS + 2];
    if (score > best[t]) [best[t], carriers[t]] = [score, cell % D];
  });
  cells.forEach((cell, i) => {
    const t = Math.floor(cell / D);
    const d = cell % D;
    if (d === carriers[t]) return;
    const o = at(t);
    const offset = predicted[i * UNDER_TAP_OUTPUTS];
    const velocity = predicted[i * UNDER_TAP_OUTPUTS + 1];
    out[o + D + d] = Math.min(1, Math.max(1 / 127, groove.velocities[t] + velocity + velocityNoise[cell]));
    out[o + 2 * D + d] = Math.min(1, Math.max(-1, groove.offsets[t] + offset + offsetNoise[cell]));
  });
  // Pinned now as well as after the accents: the accent fit reads the step's velocities as they will be played.
  for (let t = 0; t < STEPS; t++) {
    if (carriers[t] >= 0) pinToGroove(out, at(t), groove.velocities[t], groove.offsets[t], carriers[t]);
  }
  return carriers;
}

/** The step decoder's spread from its raw output (as stepHeads computes it). */
function softplusScale(x: number): number {
  return (x > 20 ? x : Math.log1p(Math.exp(x))) + MIN_SCALE;
}

/** How far past (accented) or under (not) its drum's mean + one std a note is moved, in that drum's stds. */
const ACCENT_MARGIN = 0.25;
const LINE_GAP = 1e-4;

/**
 * Fits one request's notes to the given accent by the paper's rule, per drum over the
 * loop: passes until nothing moves, as raising a note moves its drum's mean and std.
 */
function fitToAccent(out: Float32Array, k: number, accent: Accent): void {
  const D = DRUM_COUNT;
  const at = (t: number) => (k * STEPS + t) * FEATURES;
  for (let pass = 0, changed = true; changed && pass < 20; pass++) {
    changed = false;
    const line = new Float32Array(D).fill(Infinity);
    const std = new Float32Array(D);
    for (let d = 0; d < D; d++) {
      let n = 0,
        sum = 0,
        sumSq = 0;
      for (let t = 0; t < STEPS; t++) {
        if (!out[at(t) + d]) continue;
        const v = out[at(t) + D + d];
        n++;
        sum += v;
        sumSq += v * v;
      }
      // One note is its own mean: the rule can never call it loud.
      if (n < 2) continue;
      const mean = sum / n;
      std[d] = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
      line[d] = mean + std[d];
    }
    for (let t = 0; t < STEPS; t++) {
      const o = at(t);
      if (accent[t] <= 0.5) {
        for (let d = 0; d < D; d++) {
          // Kept a little under the line: capping lowers the drum's mean and std, so the line falls too.
          if (out[o + d] && out[o + D + d] > line[d] - LINE_GAP) {
            out[o + D + d] = line[d] - ACCENT_MARGIN * std[d] - LINE_GAP;
            changed = true;
          }
        }
        continue;
      }
      let best = -1;
      let bestScore = -Infinity;
      for (let d = 0; d < D; d++) {
        if (!out[o + d] || line[d] === Infinity) continue;
        const score = (out[o + D + d] - line[d]) / Math.max(std[d], 1 / 127);
        if (score > bestScore) [best, bestScore] = [d, score];
      }
      if (best >= 0 && bestScore <= 0) {
        out[o + D + best] = Math.min(1, line[best] + ACCENT_MARGIN * std[best] + 1 / 127);
        changed = true;
      }
    }
  }
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
