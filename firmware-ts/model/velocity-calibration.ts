/**
 * A per-drum map from the velocities a model plays to the velocities drummers
 * play, for the notes it writes with no groove to follow.
 *
 * With only a score given, the step decoder's dynamics come from a hidden
 * groove latent, and they need not sit where the drummers' do (docs/models.md
 * says what was measured). Matching quantiles (the model's velocities of a drum
 * on training windows against the drummers' on the same notes) moves each
 * drum's whole distribution where the data has it and never reverses the order
 * of two notes: a louder note stays at least as loud, so the backbeat, the ghost
 * notes and the accents keep their shape (notes the drummers play at full
 * velocity may meet there).
 *
 * The file is optional: a model without one plays its velocities as drawn.
 */
import * as v from 'valibot';
import { DRUM_COUNT } from '../pattern/drums.js';
import * as validation from '../support/validate.js';

/** The file beside a model's weights that holds its calibration. */
export const VELOCITY_CALIBRATION_FILE = 'velocity-calibration.json';

/** Quantiles matched per drum: enough to follow a two-peaked snare (ghosts and backbeats), few enough to stay smooth. */
export const CALIBRATION_QUANTILES = 33;

/** A drum with fewer notes than this on either side keeps its velocities: its quantiles would be noise. */
export const MIN_CALIBRATION_NOTES = 200;

/** One drum's map: the model's velocity quantiles and the drummers' at the same probabilities, both ascending, 0..1. */
export interface DrumCalibration {
  model: number[];
  real: number[];
}

export interface VelocityCalibration {
  /** Per drum (drum order), null where the drum keeps its velocities. */
  drums: (DrumCalibration | null)[];
}

/** `v` (0..1) through drum `drum`'s map: linear between matched quantiles, shifted by the end's difference beyond them. */
export function calibrateVelocity(calibration: VelocityCalibration, drum: number, v: number): number {
  const map = calibration.drums[drum];
  if (!map) return v;
  const { model, real } = map;
  const last = model.length - 1;
  let out: number;
  if (v <= model[0]) out = v + real[0] - model[0];
  else if (v >= model[last]) out = v + real[last] - model[last];
  else {
    let hi = 1;
    while (model[hi] < v) hi++;
    const lo = hi - 1;
    const span = model[hi] - model[lo];
    out = span > 0 ? real[lo] + ((v - model[lo]) / span) * (real[hi] - real[lo]) : real[hi];
  }
  return Math.min(1, Math.max(1 / 127, out));
}

/** The value at probability p of an ascending sample (linear between order statistics). */
function quantile(sorted: Float64Array, p: number): number {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

/** Velocities as the fit reads them: finite ones only, within 0..1, ascending. */
function cleanSorted(values: readonly number[]): Float64Array {
  return Float64Array.from(values.filter(Number.isFinite), (x) => Math.min(1, Math.max(0, x))).sort();
}

/** Map points as the file keeps them: five decimals, far below one MIDI step. */
const round = (x: number): number => Math.round(x * 1e5) / 1e5;

/**
 * Fits the map per drum from the model's velocities and the drummers' (0..1, any
 * order; anything not a finite number is left out). Quantile points where the
 * model's velocity repeats (many notes at one value, e.g. clipped at full
 * velocity) are merged into one, the drummers' values averaged, so the map stays
 * a function; a drum left with fewer than two points keeps its velocities.
 */
export function fitVelocityCalibration(
  generated: readonly (readonly number[])[],
  real: readonly (readonly number[])[],
  quantiles = CALIBRATION_QUANTILES,
): VelocityCalibration {
  const drums = Array.from({ length: DRUM_COUNT }, (_, d): DrumCalibration | null => {
    const gs = cleanSorted(generated[d] ?? []);
    const rs = cleanSorted(real[d] ?? []);
    if (gs.length < MIN_CALIBRATION_NOTES || rs.length < MIN_CALIBRATION_NOTES) return null;
    const model: number[] = [];
    const matched: number[] = [];
    const weight: number[] = [];
    for (let q = 0; q < quantiles; q++) {
      const p = q / (quantiles - 1);
      // Rounded before comparing, so that two points the file would write alike are one.
      const x = round(quantile(gs, p));
      const y = quantile(rs, p);
      const last = model.length - 1;
      if (last >= 0 && x <= model[last]) {
        matched[last] += y;
        weight[last]++;
      } else {
        model.push(x);
        matched.push(y);
        weight.push(1);
      }
    }
    if (model.length < 2) return null;
    return { model, real: matched.map((y, k) => round(y / weight[k])) };
  });
  return { drums };
}

/** The calibration as its file's text. */
export function encodeVelocityCalibration(calibration: VelocityCalibration): string {
  return `${JSON.stringify(calibration)}\n`;
}

const VELOCITIES = v.array(validation.numberIn(0, 1, 'a velocity 0..1'), 'a list of velocities 0..1');

const DRUM_MAP = v.pipe(
  validation.objectWith({ model: VELOCITIES, real: VELOCITIES }, 'null or an object { model, real }'),
  v.check((m) => m.model.length >= 2 && m.model.length === m.real.length, 'model and real of one length, at least 2'),
  v.check((m) => m.model.every((x, k) => k === 0 || x > m.model[k - 1]), 'model rising from point to point'),
  v.check((m) => m.real.every((y, k) => k === 0 || y >= m.real[k - 1]), 'real never falling from point to point'),
);

const CALIBRATION_SCHEMA = validation.plainObjectWith(
  {
    drums: v.pipe(
      v.array(v.nullable(DRUM_MAP), `a list of ${DRUM_COUNT} entries, one per drum`),
      v.length(DRUM_COUNT, `a list of ${DRUM_COUNT} entries, one per drum`),
    ),
  },
  'a JSON object',
);

/** Reads a calibration file's text; anything off is one line naming the file, the key, the value and what was expected. */
export function decodeVelocityCalibration(text: string, file: string): VelocityCalibration {
  return validation.validateJsonFile(CALIBRATION_SCHEMA, text, file);
}
